"""Every role and state the account and users pages show has its words in both catalogues.

The pages look words up by the stored code (``role_words[token.role]``), so a role or state
without words would be a broken page, not a blank; this test fails first.
"""

from __future__ import annotations

import datetime as dt

import pytest

from issuer.store.models import PrincipalRecord
from issuer.vocabulary import Role, TokenState
from issuer.web.console.people_words import ROLES, TOKEN_STATES, USER_STATES
from issuer.web.console.routes.users import state_of
from issuer.web.console.templates import navigation
from verifier.i18n import Lang, catalogue
from verifier.labels import Label

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def _keys(table: dict[str, Label]) -> set[str]:
    return {label.key for label in table.values()}


def test_every_role_and_token_state_has_words() -> None:
    assert set(ROLES) == set(Role)
    assert set(TOKEN_STATES) == set(TokenState)
    for lang in (Lang.ZH, Lang.EN):
        assert _keys(ROLES) | _keys(TOKEN_STATES) | _keys(USER_STATES) <= set(catalogue(lang))


@pytest.mark.parametrize(
    ("disabled_at", "locked_until", "state"),
    [
        (None, None, "enabled"),
        (None, NOW + dt.timedelta(minutes=5), "locked"),
        (NOW, None, "disabled"),
    ],
)
def test_every_user_state_has_words(
    disabled_at: dt.datetime | None, locked_until: dt.datetime | None, state: str
) -> None:
    person = PrincipalRecord(disabled_at=disabled_at, locked_until=locked_until)
    assert state_of(person, NOW) == state
    assert USER_STATES[state].zh != USER_STATES[state].en


@pytest.mark.parametrize("role", list(Role))
def test_navigation_names_each_section_in_both_languages(role: Role) -> None:
    for item in navigation(role):
        assert item.label.zh != item.label.en, item.href
