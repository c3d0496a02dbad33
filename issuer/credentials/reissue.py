"""Reissue and supersede: a corrected or upgraded credential replaces the old one.

The replacement is a new credential (new id, new random status index: BSL §6.7); the old one
becomes ``superseded``, points at it (``replaced_by_id``) and gets its revocation bit set, so
verifiers that know only the standard see it revoked. All in the caller's one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.credentials.issuance import (
    IssueRequest,
    IssuerIdentity,
    holders_outside,
    issue_credentials,
)
from issuer.credentials.lifecycle import check_reason, locked_credential
from issuer.credentials.notices import queue_notice
from issuer.credentials.status_list import set_status_bit, set_status_bits, set_suspension_bit
from issuer.credentials.text import clean_optional_note
from issuer.errors import (
    ConflictError,
    InvalidInputError,
    IssuerErrorCode,
    PermissionDeniedError,
)
from issuer.store.audit import Actor, record_event, record_events
from issuer.store.models import Credential, Holder
from issuer.vocabulary import AuditAction, CredentialState, NoticeKind, ReasonCode

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Corrections:
    """What changes in the replacement; ``None`` keeps the old value."""

    holder_name: str | None = None
    occupation: str | None = None
    level: str | None = None
    unit: str | None = None
    exam_date: dt.date | None = None
    exam_session: str | None = None
    score: float | None = None
    valid_until: dt.datetime | None = None
    holder_email: str | None = None  # where notices go; not a field of the credential

    def changed(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def request_from(row: Credential, corrections: Corrections) -> IssueRequest:
    """The issue request that reproduces ``row`` with ``corrections`` applied."""
    base = IssueRequest(
        holder_name=row.holder.name,
        employee_number=row.holder.employee_number,
        occupation=row.occupation.code,
        level=row.level.code,
        unit=row.unit.code,
        exam_date=row.exam_date,  # the award date of the original stays (BSL §2.1, OB)
        exam_session=row.exam_session,
        score=row.score,
        valid_until=row.valid_until,
        holder_email=row.holder_email,
    )
    return replace(base, **corrections.changed())  # IssueRequest keeps the normal form


def reissue_credential(
    session: Session,
    credential_id: str,
    corrections: Corrections,
    *,
    reason: str,
    note: str | None,
    issuer: IssuerIdentity,
    actor: Actor,
    now: dt.datetime,
    rng: random.Random | None = None,
    units: Collection[str] | None = None,
) -> Credential:
    """Issue the replacement of ``credential_id`` and supersede the old one; returns the new.

    A holder-name correction renames the holder deliberately (holders are keyed by employee
    number, and issuance refuses a different name anywhere else). The holder's other
    credentials keep the name they were signed with (``Credential.holder_name``) until they
    are themselves reissued. ``units`` confines the caller (a registrar's token): a rename of
    a holder who also holds credentials outside them is refused (``holder_in_other_units``),
    an admin makes it.
    """
    note = clean_optional_note(note)  # the CLI's too: the API's models clean theirs
    check_reason(reason)
    old = locked_credential(session, credential_id)
    request = request_from(old, corrections)  # in normal form: a respelling changes nothing
    if reason == ReasonCode.DATA_CORRECTION and request == request_from(old, Corrections()):
        raise InvalidInputError(
            "a data correction must change a field", code=IssuerErrorCode.NOTHING_TO_CORRECT
        )
    if corrections.holder_name is not None and request.holder_name != old.holder.name:
        if not request.holder_name:
            raise InvalidInputError(
                "holder name is empty", code=IssuerErrorCode.MISSING_HOLDER_NAME
            )
        number = old.holder.employee_number
        if units is not None and holders_outside(session, [number], units):
            raise PermissionDeniedError(
                "this holder also holds credentials of other units; an admin corrects the name",
                code=IssuerErrorCode.HOLDER_IN_OTHER_UNITS,
            )
        holder = session.get(Holder, old.holder_id)
        assert holder is not None
        holder.name = request.holder_name
        session.flush()
    [new_id] = issue_credentials(session, [request], issuer=issuer, actor=actor, now=now, rng=rng)
    _supersede(session, old, new_id, reason=reason, now=now)
    record_event(
        session,
        actor,
        AuditAction.CREDENTIAL_REISSUE,
        old.id,
        now=now,
        reason=reason,
        details={
            "replaced_by": new_id,
            "changed": sorted(corrections.changed()),
            **({"note": note} if note else {}),
        },
    )
    session.flush()
    log.info("credential reissued", extra={"credential_id": old.id, "replaced_by": new_id})
    new = session.get(Credential, new_id)
    assert new is not None
    return new


def _supersede(
    session: Session,
    old: Credential,
    new_id: str,
    *,
    reason: str,
    now: dt.datetime,
    set_bit: bool = True,
) -> None:
    was_suspended, suspension_reason = old.state == CredentialState.SUSPENDED, old.state_reason
    old.state = CredentialState.SUPERSEDED
    old.state_changed_at = now
    old.state_reason = reason
    old.replaced_by_id = new_id
    if set_bit:  # otherwise the caller sets the bits of a whole batch (set_status_bits)
        set_status_bit(session, old.id, now=now)
    # About the old credential, with the new one's link; sent to the replacement's address.
    new_email = session.scalar(select(Credential.holder_email).where(Credential.id == new_id))
    address = new_email or old.holder_email
    queue_notice(session, old.id, NoticeKind.REISSUED, address=address, now=now, reason=reason)
    if was_suspended:  # the replacement inherits the suspension; lifting it stays a decision
        set_suspension_bit(session, new_id, now=now)
        new = session.get(Credential, new_id)
        assert new is not None
        new.state, new.state_reason, new.state_changed_at = (
            CredentialState.SUSPENDED,
            suspension_reason,
            now,
        )


def reissue_compromised(
    session: Session,
    olds: list[Credential],
    kid: str,
    *,
    issuer: IssuerIdentity,
    actor: Actor,
    now: dt.datetime,
    rng: random.Random | None = None,
) -> list[str]:
    """Re-issue ``olds`` (locked rows signed by the compromised ``kid``) with the active key
    and supersede them; returns the new ids, in order. One chunk of a re-issue run
    (``issuer/credentials/reissue_runs.py``, decisions 0009 and 0066)."""
    if issuer.signer.kid == kid:
        raise ConflictError(
            "the key is still the active key; rotate first", code=IssuerErrorCode.KEY_ACTIVE
        )
    if not olds:
        return []
    new_ids = issue_credentials(
        session,
        [request_from(row, Corrections()) for row in olds],
        issuer=issuer,
        actor=actor,
        now=now,
        rng=rng,
    )
    events: list[tuple[str | None, dict[str, Any]]] = []
    for old, new_id in zip(olds, new_ids, strict=True):
        _supersede(session, old, new_id, reason=ReasonCode.SUPERSEDED, now=now, set_bit=False)
        events.append((old.id, {"replaced_by": new_id, "key_compromised": kid}))
    set_status_bits(session, [old.id for old in olds], now=now)
    record_events(
        session,
        actor,
        AuditAction.CREDENTIAL_REISSUE,
        events,
        now=now,
        reason=ReasonCode.SUPERSEDED,
    )
    session.flush()
    log.info("credentials re-issued after key compromise", extra={"kid": kid, "count": len(olds)})
    return new_ids
