"""Revocations and suspensions within the caller's limit, for the API and the console alike.

Past ``TESSERA_BATCH_APPROVAL_THRESHOLD`` revocations and suspensions in the window
(issuer/access/limits.py) a change becomes a request for a second admin and changes nothing
yet. Both the API's routes and the console's pages come here, so they cannot disagree on
when a change waits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from issuer.access.approvals import request_approval
from issuer.access.limits import needs_approval
from issuer.access.tokens import Principal
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.models import Approval, Credential
from issuer.vocabulary import ApprovalAction, Role


def over_limit(
    session: Session, services: Services, principal: Principal, adding: int, now: dt.datetime
) -> bool:
    """Whether ``adding`` revocations or suspensions pass the caller's limit in the window."""
    settings = services.settings
    return needs_approval(
        session,
        principal,
        adding,
        threshold=settings.batch_approval_threshold,
        window=dt.timedelta(seconds=settings.batch_approval_window_seconds),
        now=now,
    )


def requester_units(principal: Principal) -> list[str] | None:
    """The units an approved request may still act in: the requester's (``None``: all)."""
    return None if principal.role == Role.ADMIN else list(principal.units)


def limited_change(
    session: Session,
    services: Services,
    principal: Principal,
    actor: Actor,
    row: Credential,
    action: ApprovalAction,
    fields: dict[str, Any],
    change: Callable[[str], object],
) -> Approval | None:
    """Apply ``change`` to ``row`` within the caller's limit (``None``), or past it file the
    request for a second admin and return it. The caller has checked the unit and commits."""
    now = services.clock()
    if over_limit(session, services, principal, 1, now):
        params = {"credential_id": row.id, **fields, "units": requester_units(principal)}
        return request_approval(session, action, params, actor=actor, now=now)
    change(row.id)
    return None
