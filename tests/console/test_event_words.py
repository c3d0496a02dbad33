"""Every code the console shows has its words in both catalogues, and an action has one
wording wherever it appears: the audit log, the dashboard and a credential's timeline.

The tables (issuer/web/console/actions.py, words.py, credential_words.py, routes/search.py)
are built from the enums the database stores; a new member without words would be shown as
its code, so these tests name the member that lacks them.
"""

from __future__ import annotations

import pytest

from issuer.credentials.activity import LIFECYCLE_ACTIONS
from issuer.credentials.search import SortOrder
from issuer.vocabulary import ApprovalState, AuditAction, CredentialState, KeyState, Role
from issuer.web.console import credential_words, words
from issuer.web.console.actions import (
    APPROVAL_STATES,
    AUDIT_ACTIONS,
    KEY_STATES,
    ROLES,
)
from issuer.web.console.routes.search import SORTS
from verifier.i18n import Lang, catalogue


@pytest.mark.parametrize("action", list(AuditAction))
def test_every_audit_action_has_words_in_both_languages(action: AuditAction) -> None:
    zh, en = AUDIT_ACTIONS[action]
    assert zh in catalogue(Lang.ZH).values()
    assert en in catalogue(Lang.EN).values()
    assert action.value not in (zh, en)


@pytest.mark.parametrize("action", LIFECYCLE_ACTIONS)
def test_a_lifecycle_action_reads_the_same_on_every_page(action: AuditAction) -> None:
    """The audit log, the dashboard's recent changes and the timeline name it alike."""
    audit_log = AUDIT_ACTIONS[action]
    dashboard = credential_words.action_words(action)
    timeline = words.event_words(action)
    assert dashboard == audit_log == (timeline.zh, timeline.en)


def test_the_reinstatement_is_worded_once() -> None:
    assert words.event_words(AuditAction.CREDENTIAL_REINSTATE).zh == "恢复证书"
    assert credential_words.action_words(AuditAction.CREDENTIAL_REINSTATE)[1] == (
        "Credential reinstated"
    )


def test_every_state_role_and_order_has_words() -> None:
    for state in CredentialState:
        assert words.state_words(state).zh != state.value
    shown = [APPROVAL_STATES[state] for state in ApprovalState]
    shown += [KEY_STATES[state] for state in KeyState]
    shown += [ROLES[role] for role in Role]
    shown += [SORTS[order] for order in SortOrder]
    for zh, en in shown:
        assert zh in catalogue(Lang.ZH).values(), zh
        assert en in catalogue(Lang.EN).values(), en


def test_an_unknown_code_is_shown_as_itself() -> None:
    assert credential_words.action_words("credential.someday") == (
        "credential.someday",
        "credential.someday",
    )
    assert words.event_words("credential.someday").en == "credential.someday"
