"""What the account and users pages show for stored codes: roles and states, in words.

Each code names a catalogue key (verifier/i18n.py) through a ``Label``, written out here as
a literal so tests/verifier/test_catalogues.py sees every key; a template shows one with
``w(words[code].key)``, or ``plain(...)`` inside an attribute or an ``<option>``.
"""

from __future__ import annotations

from typing import Final

from issuer.vocabulary import Role, TokenState
from verifier.labels import Label

ROLES: Final[dict[str, Label]] = {
    Role.ADMIN: Label("console.role.admin"),
    Role.REGISTRAR: Label("console.role.registrar"),
    Role.AUDITOR: Label("console.role.auditor"),
}

USER_STATES: Final[dict[str, Label]] = {
    "enabled": Label("console.user_state.enabled"),
    "disabled": Label("console.user_state.disabled"),
    "locked": Label("console.user_state.locked"),
}
"""A console user's state as ``issuer.web.console.routes.users.state_of`` names it."""

TOKEN_STATES: Final[dict[str, Label]] = {
    TokenState.ACTIVE: Label("console.token_state.active"),
    TokenState.EXPIRED: Label("console.token_state.expired"),
    TokenState.REVOKED: Label("console.token_state.revoked"),
}
