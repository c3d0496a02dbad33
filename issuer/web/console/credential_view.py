"""A credential's console page: what it shows and what the signed-in person may do there.

The routes (``routes/credential.py``, ``routes/credential_actions.py``,
``routes/reissue.py``) find the credential here as the API does (``readable``,
``changeable``: the API's resolver and the one policy); this module also gathers the page's
parts (fields, timeline, share links, predecessor, waiting requests) and renders it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse

from issuer.access.policy import (
    require_overseer,
    require_readable,
    require_unit,
    require_writer,
)
from issuer.credentials.lifecycle import find_credential
from issuer.documents.share_link import list_share_links
from issuer.documents.view_link import link_state
from issuer.errors import PermissionDeniedError
from issuer.services import Services
from issuer.store.audit import AuditQuery, list_events
from issuer.store.models import Approval, AuditEvent, Credential
from issuer.vocabulary import ApprovalAction, ApprovalState, AuditAction, CredentialState
from issuer.web.console.identity import ConsoleUser
from issuer.web.console.pages import page
from issuer.web.console.templates import local_time
from issuer.web.console.words import (
    EVENTS,
    REASON_CODES,
    Words,
    actor_words,
    event_words,
    reason_words,
    state_words,
)
from verifier import labels
from verifier.i18n import Lang, both, say

SECTION = "/console/credentials"
MAX_EVENTS = 500  # a credential's whole history is a handful; a bound all the same

DONE: dict[str, Words] = {
    "revoked": Words(*both("console.credential.done.revoked"), "good"),
    "suspended": Words(*both("console.credential.done.suspended"), "good"),
    "reinstated": Words(*both("console.credential.done.reinstated"), "good"),
    "reissued": Words(*both("console.credential.done.reissued"), "good"),
    "link_revoked": Words(*both("console.credential.done.link_revoked"), "good"),
    "approval": Words(*both("console.credential.done.approval"), "warn"),
}


def readable(session: Session, user: ConsoleUser, reference: str) -> Credential:
    """The credential ``reference`` (id or certificate number) names, if ``user`` may see it:
    404 and 403 as the API answers."""
    row = find_credential(session, reference)
    require_readable(user.principal, row.unit.code)
    return row


def changeable(session: Session, user: ConsoleUser, reference: str) -> Credential:
    """The credential, if ``user`` may act for its unit: 404 and 403 as the API answers."""
    row = find_credential(session, reference)
    require_unit(user.principal, row.unit.code)
    return row


def page_url(row: Credential, done: str | None = None) -> str:
    return f"{SECTION}/{row.id}" + (f"?done={done}" if done else "")


def reads_notes(user: ConsoleUser) -> bool:
    """Notes are audit-log text: shown to those who may read the audit log (the policy's)."""
    try:
        require_overseer(user.principal)
    except PermissionDeniedError:
        return False
    return True


def may_change(user: ConsoleUser, row: Credential) -> bool:
    """Whether the policy lets ``user`` change ``row`` (asked, never decided here)."""
    try:
        require_writer(user.principal)
        require_unit(user.principal, row.unit.code)
    except PermissionDeniedError:
        return False
    return True


@dataclass(frozen=True)
class Field:
    label: labels.Label
    value: str


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    words: Words
    reason: Words | None
    actor: str
    note: str | None
    link: str | None  # the replacement a reissue made


def timeline(session: Session, credential_id: str) -> list[TimelineEntry]:
    """Every audit event whose subject is the credential, oldest first."""
    events, _total = list_events(
        session, AuditQuery(target=credential_id), limit=MAX_EVENTS, offset=0
    )
    return [_entry(event) for event in events]


def _entry(event: AuditEvent) -> TimelineEntry:
    details = event.details or {}
    replaced_by = details.get("replaced_by")
    link = f"{SECTION}/{replaced_by}" if event.action == AuditAction.CREDENTIAL_REISSUE else None
    note = details.get("note")
    return TimelineEntry(
        at=event.occurred_at,
        words=event_words(event.action),
        reason=reason_words(event.reason),
        actor=actor_words(event.actor),
        note=note if isinstance(note, str) else None,
        link=link if isinstance(replaced_by, str) else None,
    )


def predecessor(session: Session, row: Credential) -> Credential | None:
    """The credential this one replaced, if it was a reissue."""
    return session.scalars(select(Credential).where(Credential.replaced_by_id == row.id)).first()


@dataclass(frozen=True)
class Waiting:
    """A revocation or suspension of this credential waiting for a second admin."""

    words: Words
    reason: Words | None
    by: str
    at: dt.datetime


_WAITING = {
    ApprovalAction.CREDENTIAL_REVOKE: EVENTS[AuditAction.CREDENTIAL_REVOKE],
    ApprovalAction.CREDENTIAL_SUSPEND: EVENTS[AuditAction.CREDENTIAL_SUSPEND],
}


def waiting(session: Session, row: Credential) -> list[Waiting]:
    """The pending requests to change ``row`` (few: each waits for one decision)."""
    pending = session.scalars(
        select(Approval)
        .where(Approval.state == ApprovalState.PENDING, Approval.action.in_(tuple(_WAITING)))
        .order_by(Approval.requested_at)
    )
    return [
        Waiting(
            _WAITING[ApprovalAction(a.action)],
            reason_words(a.params.get("reason")),
            actor_words(a.requested_by),
            a.requested_at,
        )
        for a in pending
        if a.params.get("credential_id") == row.id
    ]


def fields(row: Credential, localtime: Any) -> list[Field]:
    """The credential's fields, named as the certificate and the verify page name them."""
    score = "—" if row.score is None else f"{row.score:g}"
    return [
        Field(labels.HOLDER_NAME, row.holder_name),
        Field(labels.EMPLOYEE_NUMBER, row.holder.employee_number),
        Field(labels.OCCUPATION_CODE, row.occupation.code),
        Field(labels.OCCUPATION, f"{row.occupation.name_zh} {row.occupation.name_en}"),
        Field(labels.LEVEL, f"{row.level.name_zh} {row.level.name_en}"),
        Field(labels.UNIT, f"{row.unit.code} {row.unit.name_zh} {row.unit.name_en}"),
        Field(labels.EXAM_DATE, row.exam_date.isoformat()),
        Field(EXAM_SESSION, row.exam_session),
        Field(SCORE, score),
        Field(labels.CERTIFICATE_NUMBER, row.number),
        Field(labels.CREDENTIAL_ID, row.id),
        Field(ISSUED_AT, localtime(row.issued_at)),
        Field(labels.VALID_FROM, localtime(row.valid_from)),
        Field(labels.VALID_UNTIL, localtime(row.valid_until) if row.valid_until else _NO_EXPIRY),
        Field(labels.SIGNING_KEY, row.kid),
    ]


_NO_EXPIRY = say("certificate.no_expiry", Lang.BOTH, sep=" ")  # as the certificate says it
EXAM_SESSION = labels.EXAM_SESSION
SCORE = labels.SCORE
ISSUED_AT = labels.ISSUED_AT


def credential_page(
    services: Services,
    session: Session,
    user: ConsoleUser,
    row: Credential,
    *,
    done: str | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The page of ``row`` for ``user``; ``context`` adds a created link or a form's error."""
    time_zone = services.profile(session).time_zone
    changeable = row.state in (CredentialState.ACTIVE, CredentialState.SUSPENDED)
    defaults: dict[str, Any] = {"created_link": None, "action_error": None, "kept_note": ""}
    return page(
        services,
        "credential/page.html",
        user=user,
        current=SECTION,
        status_code=status_code,
        row=row,
        fields=fields(row, lambda value: local_time(value, time_zone)),
        state=state_words(row.state),
        reason=reason_words(row.state_reason),
        done=DONE.get(done or ""),
        may_change=may_change(user, row),
        changeable=changeable,
        reasons=[(code, reason_words(code)) for code in REASON_CODES],
        timeline=timeline(session, row.id),
        reads_notes=reads_notes(user),
        predecessor=predecessor(session, row),
        waiting=waiting(session, row),
        share_links=[
            (link, link_state(link, now=services.clock()))
            for link in list_share_links(session, row.id)
        ],
        base=page_url(row),
        **{**defaults, **context},
    )
