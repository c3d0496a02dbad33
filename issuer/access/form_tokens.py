"""One-time form tokens: a console form cannot be submitted twice.

The page asks for a token when it draws a form (``issue_form_token``) and sends it back
with the submission; the handler consumes it (``consume_form_token``) in the transaction
of the work it guards, so a submission that fails gives the token back with the rollback
and a second submission of a form that succeeded is refused (``form_already_submitted``).
Only the token's SHA-256 is stored (decision 0035).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from issuer.errors import ConflictError, InvalidInputError, IssuerErrorCode
from issuer.store.models import FormToken

MAX_PURPOSE_LENGTH = 64


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_form_token(
    session: Session, *, principal_id: int, purpose: str, now: dt.datetime, ttl: dt.timedelta
) -> str:
    """A new token for one form (``purpose``, e.g. ``"issue"``) drawn for ``principal_id``.

    Flushes; the caller commits. Expired tokens are purged on the way.
    """
    if not 1 <= len(purpose) <= MAX_PURPOSE_LENGTH:
        raise InvalidInputError("a form's purpose is 1-64 characters")
    session.execute(delete(FormToken).where(FormToken.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(
        FormToken(
            token_hash=_hash(token),
            principal_id=principal_id,
            purpose=purpose,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    session.flush()
    return token


def consume_form_token(
    session: Session, token: str, *, principal_id: int, purpose: str, now: dt.datetime
) -> None:
    """Use ``token`` up, in the caller's transaction; raises if it cannot be used.

    One conditional UPDATE: of two submissions at once, the database lets one change the
    row; the other changes none and is refused.
    """
    hashed = _hash(token[:200])
    used = session.execute(
        update(FormToken)
        .where(FormToken.token_hash == hashed)
        .where(FormToken.principal_id == principal_id)
        .where(FormToken.purpose == purpose)
        .where(FormToken.used_at.is_(None))
        .where(FormToken.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(used, "rowcount", 0) == 1:
        return
    found = session.execute(
        select(FormToken.principal_id, FormToken.purpose, FormToken.used_at).where(
            FormToken.token_hash == hashed
        )
    ).one_or_none()
    mine = found is not None and (found.principal_id, found.purpose) == (principal_id, purpose)
    if mine and found is not None and found.used_at is not None:
        raise ConflictError(
            "this form was already submitted", code=IssuerErrorCode.FORM_ALREADY_SUBMITTED
        )
    raise InvalidInputError(
        "this form has expired or is not yours; open it again",
        code=IssuerErrorCode.INVALID_FORM_TOKEN,
    )
