"""Issue credentials: one request or a whole campaign, signed and stored in bulk.

The service flushes; the caller (route or CLI command) commits once.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from issuer.credentials.catalog import Catalog, achievement, load_catalog, unit_profile
from issuer.credentials.claims import build_credential
from issuer.credentials.holder_email import clean_email
from issuer.credentials.lookup import holder_name_key
from issuer.credentials.profile import issuer_today
from issuer.credentials.qr import check_qr_capacity
from issuer.credentials.status_list import allocate_indexes, status_entry
from issuer.credentials.text import clean_identifier, clean_name
from issuer.errors import AlreadyIssuedError, ConflictError, InvalidInputError, IssuerErrorCode
from issuer.keys.signer import SignedJws, Signer
from issuer.store.audit import Actor, lock_writes, record_events
from issuer.store.models import Credential, Holder, StatusAllocation, Unit, core_table
from issuer.vocabulary import AuditAction, CredentialState
from verifier.i18n import Lang, say

_CHUNK = 200  # bind parameters per IN (...) query; SQLAlchemy compiles these slowly


@dataclass(frozen=True)
class IssueRequest:
    """What a registrar (or an import row) asks to certify."""

    holder_name: str
    employee_number: str
    occupation: str
    level: str
    unit: str
    exam_date: dt.date
    exam_session: str
    score: float | None = None
    national_id: str | None = None
    birth_date: dt.date | None = None
    valid_until: dt.datetime | None = None
    # Where notices go (decision 0030): kept with the credential, never signed into it, and
    # not part of what a request certifies (a reissue changing only this corrects nothing).
    holder_email: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # Every way in builds one of these: the text's one normal form (decision 0024), so
        # look-ups by employee number and exam session compare normalised values.
        cleaned = {
            "holder_name": clean_name(self.holder_name, "the holder's name"),
            "employee_number": clean_identifier(self.employee_number, "the employee number"),
            "occupation": clean_identifier(self.occupation, "the occupation code"),
            "level": clean_identifier(self.level, "the level"),
            "unit": clean_identifier(self.unit, "the unit code"),
            "exam_session": clean_identifier(self.exam_session, "the exam session"),
        }
        if self.national_id is not None:
            cleaned["national_id"] = clean_identifier(self.national_id, "the national id")
        if self.holder_email is not None:
            cleaned["holder_email"] = clean_email(self.holder_email)
        for name, value in cleaned.items():
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class IssuerIdentity:
    """Who signs: the public base URL (``issuer.id``), display name and active signer."""

    base_url: str
    name: str
    signer: Signer


def issue_credentials(
    session: Session,
    requests: Sequence[IssueRequest],
    *,
    issuer: IssuerIdentity,
    actor: Actor,
    now: dt.datetime,
    rng: random.Random | None = None,
    exactly_once: bool = False,
    checked_new: bool = False,
    units: Collection[str] | None = None,
) -> list[str]:
    """Sign and store one credential per request; returns their ids in request order.

    ``exactly_once`` stamps each credential with its ``issuance_key`` (candidate and exam
    session): the database refuses a second first-issuance of the same exam, and a request
    whose exam is already issued raises ``AlreadyIssuedError`` (``already_issued``, naming the
    credential in force for it). The API and ``tessera issue`` set it, as imports do: one
    rule everywhere (decision 0035). Reissues leave it off: a corrected credential belongs to
    the same exam as the one it replaces.
    ``checked_new`` says the caller has just found none of these exams issued
    (``find_issued``) under this transaction's write lock, so the look-up is not repeated;
    the unique issuance key still stands behind it.
    ``units`` confines the caller (a registrar's token) to those units: a request that
    collides with another unit's record (its exam issued there, or its employee number
    registered there under another name) raises ``ConflictError``
    (``conflicts_with_other_unit``), which names no id and says no more.
    """
    if not requests:
        return []
    rng = rng or random.SystemRandom()
    lock_writes(session)  # before choosing status slots: concurrent issuers cannot collide
    catalog = load_catalog(session)
    today = issuer_today(session, now)
    for request in requests:
        _check_request(request, catalog, now, today)
    if units is not None:
        _refuse_other_units(session, requests, units, check_issued=exactly_once and not checked_new)
    if exactly_once:
        keys = [issuance_key(r) for r in requests]
        if len(set(keys)) != len(keys):
            raise ConflictError(
                "the same candidate and exam session appear twice",
                code=IssuerErrorCode.ALREADY_ISSUED,
            )
        if not checked_new:
            issued = find_issued(session, requests)
            if issued:
                raise already_issued(session, next(iter(issued.values())).id)
    holders = _holders_for(session, requests, now)
    slots = allocate_indexes(session, len(requests), now=now, rng=rng)
    achievements: dict[tuple[str, str], dict[str, Any]] = {}
    unit_profiles: dict[str, dict[str, Any]] = {}
    credential_rows: list[dict[str, Any]] = []
    allocation_rows: list[dict[str, Any]] = []
    events: list[tuple[str | None, dict[str, Any]]] = []
    signatures: list[SignedJws] = []
    valid_from = now.replace(microsecond=0)
    credential_ids = random_uuids(rng, len(requests))
    for request, (list_id, index), credential_id in zip(
        requests, slots, credential_ids, strict=True
    ):
        number = certificate_number(now, list_id, index)
        occupation = catalog.occupations[request.occupation]
        level = catalog.levels[request.level]
        unit = catalog.units[request.unit]
        key = (request.occupation, request.level)
        if key not in achievements:
            achievements[key] = achievement(issuer.base_url, occupation, level)
        if request.unit not in unit_profiles:
            unit_profiles[request.unit] = unit_profile(issuer.base_url, unit)
        holder = holders[request.employee_number]
        payload = build_credential(
            base_url=issuer.base_url,
            issuer_name=issuer.name,
            credential_id=credential_id,
            holder_id=holder.id,
            holder_name=holder.name,
            employee_number=holder.employee_number,
            achievement=achievements[key],
            unit=unit_profiles[request.unit],
            exam_date=request.exam_date,
            valid_from=now,
            valid_until=request.valid_until,
            status=status_entry(issuer.base_url, list_id, index),
            issued_at=now,
        )
        signed = issuer.signer.sign_parts(payload)
        signatures.append(signed)
        credential_rows.append(
            {
                "id": credential_id,
                "number": number,
                "holder_id": holder.id,
                "holder_name": holder.name,
                "holder_name_key": holder_name_key(holder.name),
                "occupation_id": occupation.id,
                "level_id": level.id,
                "unit_id": unit.id,
                "exam_date": request.exam_date,
                "exam_session": request.exam_session,
                "score": request.score,
                "valid_from": valid_from,
                "valid_until": request.valid_until,
                "issued_at": now,
                "kid": issuer.signer.kid,
                "jws": signed.token,
                "state": CredentialState.ACTIVE.value,
                "issuance_key": issuance_key(request) if exactly_once else None,
                "holder_email": request.holder_email,
            }
        )
        allocation_rows.append({"list_id": list_id, "index": index, "credential_id": credential_id})
        events.append(
            (credential_id, {"number": number, "list": list_id, "kid": issuer.signer.kid})
        )
    for signed in signatures:  # in a loop of its own: DEFLATE runs with a warm cache
        check_qr_capacity(issuer.base_url, signed)  # refuse a QR that cannot scan (issue 7)
    # Core executemany: the ORM unit of work costs more than signing for a whole campaign.
    connection = session.connection()
    connection.execute(insert(core_table(Credential)), credential_rows)
    connection.execute(insert(core_table(StatusAllocation)), allocation_rows)
    record_events(session, actor, AuditAction.CREDENTIAL_ISSUE, events, now=now)
    return [row["id"] for row in credential_rows]


def random_uuids(rng: random.Random, count: int) -> list[str]:
    """``count`` random (version 4) UUIDs from one draw of ``rng``."""
    blob = rng.randbytes(16 * count)
    return [str(uuid.UUID(bytes=blob[i : i + 16], version=4)) for i in range(0, len(blob), 16)]


def _check_request(
    request: IssueRequest, catalog: Catalog, now: dt.datetime, today: dt.date
) -> None:
    if not request.holder_name.strip():
        raise InvalidInputError("holder name is empty", code=IssuerErrorCode.MISSING_HOLDER_NAME)
    if not request.employee_number.strip():
        raise InvalidInputError(
            "employee number is empty", code=IssuerErrorCode.MISSING_EMPLOYEE_NUMBER
        )
    for value, limit, what in (
        (request.holder_name, 200, "holder name"),
        (request.employee_number, 64, "employee number"),
        (request.exam_session, 64, "exam session"),
        (request.national_id or "", 64, "national id"),
    ):
        if len(value) > limit:
            raise InvalidInputError(f"{what} is longer than {limit} characters")
    if request.occupation not in catalog.occupations:
        raise InvalidInputError("unknown occupation code", code=IssuerErrorCode.UNKNOWN_OCCUPATION)
    if request.level not in catalog.levels:
        raise InvalidInputError("unknown level", code=IssuerErrorCode.UNKNOWN_LEVEL)
    offered = catalog.occupations[request.occupation].levels
    if offered is not None and request.level not in offered:
        raise InvalidInputError(
            "this occupation is not offered at this level", code=IssuerErrorCode.LEVEL_NOT_OFFERED
        )
    if request.unit not in catalog.units:
        raise InvalidInputError("unknown unit code", code=IssuerErrorCode.UNKNOWN_UNIT)
    if request.exam_date > today:  # in the issuer's time zone: an exam not held yet
        raise InvalidInputError(
            say("import.reason.exam_date_in_future", Lang.BOTH),
            code=IssuerErrorCode.EXAM_DATE_IN_FUTURE,
        )
    if request.valid_until is not None and request.valid_until <= now:
        raise InvalidInputError(
            "valid_until must be in the future", code=IssuerErrorCode.INVALID_VALIDITY
        )


def _refuse_other_units(
    session: Session,
    requests: Sequence[IssueRequest],
    units: Collection[str],
    *,
    check_issued: bool,
) -> None:
    outside = other_unit_conflicts(session, requests, units, check_issued=check_issued)
    if outside:
        raise ConflictError(
            "this record conflicts with a record of another unit; ask an admin",
            code=IssuerErrorCode.CONFLICTS_WITH_OTHER_UNIT,
        )


def other_unit_conflicts(
    session: Session,
    requests: Sequence[IssueRequest],
    units: Collection[str],
    *,
    check_issued: bool = True,
) -> set[str]:
    """The issuance keys of ``requests`` that collide with a record outside ``units``: the
    exam already issued in another unit (``check_issued``), or the employee number known
    under another name to a holder who has credentials in another unit."""
    conflicts: set[str] = set()
    if check_issued:
        issued = find_issued(session, requests)
        conflicts.update(key for key, found in issued.items() if found.unit not in units)
    names = holder_names(session, [r.employee_number for r in requests])
    renamed = [
        r
        for r in requests
        if r.employee_number in names and names[r.employee_number] != r.holder_name.strip()
    ]
    if renamed:
        shared = holders_outside(session, [r.employee_number for r in renamed], units)
        conflicts.update(issuance_key(r) for r in renamed if r.employee_number in shared)
    return conflicts


class _HolderRef(NamedTuple):
    id: str
    employee_number: str
    name: str


def _holders_for(
    session: Session, requests: Sequence[IssueRequest], now: dt.datetime
) -> dict[str, _HolderRef]:
    """Existing holders by employee number, creating the missing ones; names must agree."""
    numbers = list({r.employee_number: None for r in requests})
    found: dict[str, _HolderRef] = {}
    for start in range(0, len(numbers), _CHUNK):
        query = select(Holder.id, Holder.employee_number, Holder.name).where(
            Holder.employee_number.in_(numbers[start : start + _CHUNK])
        )
        found.update((row.employee_number, _HolderRef(*row)) for row in session.execute(query))
    new_rows: list[dict[str, Any]] = []
    new_ids = iter(random_uuids(random.SystemRandom(), len(numbers) - len(found)))
    for request in requests:
        holder = found.get(request.employee_number)
        name = request.holder_name.strip()
        if holder is None:
            holder = _HolderRef(next(new_ids), request.employee_number, name)
            found[request.employee_number] = holder
            new_rows.append(
                {
                    "id": holder.id,
                    "employee_number": holder.employee_number,
                    "name": name,
                    "national_id": request.national_id,
                    "birth_date": request.birth_date,
                    "created_at": now,
                }
            )
        elif holder.name != name:
            raise ConflictError(
                "this employee number is registered under another name; correct it by reissue",
                code=IssuerErrorCode.HOLDER_NAME_MISMATCH,
            )
    if new_rows:
        session.connection().execute(insert(core_table(Holder)), new_rows)
    return found


def issuance_key(request: IssueRequest) -> str:
    """``<employee number>|<exam session>``: one first issuance per candidate and exam."""
    return f"{request.employee_number.strip()}|{request.exam_session.strip()}"


def already_issued(session: Session, credential_id: str) -> AlreadyIssuedError:
    """The refusal naming the credential that now stands for ``credential_id``'s exam: the
    last of its reissues."""
    row = session.get(Credential, credential_id)
    assert row is not None
    for _ in range(1000):  # a chain of reissues is short; never loop on bad data
        if row.replaced_by_id is None:
            break
        following = session.get(Credential, row.replaced_by_id)
        if following is None:
            break
        row = following
    return AlreadyIssuedError.naming(row.id, row.number)


class Issued(NamedTuple):
    """A credential already issued for an exam: its id and its unit's code."""

    id: str
    unit: str


def find_issued(session: Session, requests: Sequence[IssueRequest]) -> dict[str, Issued]:
    """Credentials already issued for these requests' exams, by issuance key.

    Matches the stored ``issuance_key`` and, for credentials issued without one (the demo
    loader, single issues), the same employee number and exam session.
    """
    wanted = {issuance_key(r): r for r in requests}
    keys = list(wanted)
    found: dict[str, Issued] = {}
    for start in range(0, len(keys), _CHUNK):
        part = keys[start : start + _CHUNK]
        query = (
            select(Credential.issuance_key, Credential.id, Unit.code)
            .join(Unit, Unit.id == Credential.unit_id)
            .where(Credential.issuance_key.in_(part))
        )
        for key, cid, unit in session.execute(query):
            found[str(key)] = Issued(str(cid), unit)
    numbers = list({r.employee_number.strip() for r in requests})
    for start in range(0, len(numbers), _CHUNK):
        pairs = (
            select(Holder.employee_number, Credential.exam_session, Credential.id, Unit.code)
            .join(Credential, Credential.holder_id == Holder.id)
            .join(Unit, Unit.id == Credential.unit_id)
            .where(Holder.employee_number.in_(numbers[start : start + _CHUNK]))
            .where(Credential.replaced_by_id.is_(None))
        )
        for number, exam_session, cid, unit in session.execute(pairs):
            key = f"{number}|{exam_session}"
            if key in wanted:
                found.setdefault(key, Issued(str(cid), unit))
    return found


def holders_outside(
    session: Session, employee_numbers: Collection[str], units: Collection[str]
) -> set[str]:
    """The employee numbers whose holder has a credential (in any state) outside ``units``:
    their record is shared with another unit."""
    numbers = list(set(employee_numbers))
    found: set[str] = set()
    for start in range(0, len(numbers), _CHUNK):
        query = (
            select(Holder.employee_number)
            .join(Credential, Credential.holder_id == Holder.id)
            .join(Unit, Unit.id == Credential.unit_id)
            .where(Holder.employee_number.in_(numbers[start : start + _CHUNK]))
            .where(Unit.code.not_in(list(units)))
            .distinct()
        )
        found.update(session.scalars(query))
    return found


def holder_names(session: Session, employee_numbers: Collection[str]) -> dict[str, str]:
    """The register's current name of each known employee number."""
    numbers = list(set(employee_numbers))
    found: dict[str, str] = {}
    for start in range(0, len(numbers), _CHUNK):
        query = select(Holder.employee_number, Holder.name).where(
            Holder.employee_number.in_(numbers[start : start + _CHUNK])
        )
        found.update((number, name) for number, name in session.execute(query))
    return found


def certificate_number(now: dt.datetime, list_id: int, index: int) -> str:
    """``TS<year><list:3><index:6>``: unique because a status slot is never reused."""
    return f"TS{now.year}{list_id:03d}{index:06d}"
