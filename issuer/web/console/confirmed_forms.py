"""Forms that act only when confirmed, once: the text of a field, the one-time form token.

A form that changes something irreversible is submitted twice: first without ``confirm``,
which only shows what will happen and draws a one-time form token
(issuer/access/form_tokens.py); then with ``confirm=yes`` and that token, consumed in the
transaction of the work, so a second submission is refused (409 ``form_already_submitted``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from issuer.access.form_tokens import consume_form_token, issue_form_token
from issuer.services import Services
from issuer.web.console.identity import ConsoleUser

CONFIRM = "yes"
TOKEN_FIELD = "form_token"  # noqa: S105 - a field's name, not a secret


def form_text(form: FormData, name: str) -> str:
    """A field's text, trimmed; ``""`` when absent or a file."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def confirmed(form: FormData) -> bool:
    return form_text(form, "confirm") == CONFIRM


def new_form_token(session: Session, services: Services, user: ConsoleUser, purpose: str) -> str:
    """A token for the confirmation about to be shown (flushes; the caller commits)."""
    return issue_form_token(
        session,
        principal_id=user.principal.principal_id,
        purpose=purpose,
        now=services.clock(),
        ttl=dt.timedelta(seconds=services.settings.form_token_ttl_seconds),
    )


def use_form_token(
    session: Session, services: Services, user: ConsoleUser, form: FormData, purpose: str
) -> None:
    """Use up the token the confirmed form carried, in the caller's transaction."""
    consume_form_token(
        session,
        form_text(form, TOKEN_FIELD),
        principal_id=user.principal.principal_id,
        purpose=purpose,
        now=services.clock(),
    )
