"""Issue credentials: one request or a whole campaign, signed and stored in bulk.

The service flushes; the caller (route or CLI command) commits once.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from issuer.audit import Actor, record_events
from issuer.catalog import Catalog, achievement, load_catalog, unit_profile
from issuer.credential import build_credential
from issuer.errors import ConflictError, InvalidInputError
from issuer.models import Credential, Holder, StatusAllocation
from issuer.signing import Signer
from issuer.status_list import allocate_indexes, status_entry

_CHUNK = 500


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
) -> list[str]:
    """Sign and store one credential per request; returns their ids in request order."""
    if not requests:
        return []
    rng = rng or random.SystemRandom()
    catalog = load_catalog(session)
    for request in requests:
        _check_request(request, catalog, now)
    holders = _holders_for(session, requests, now)
    slots = allocate_indexes(session, len(requests), now=now, rng=rng)
    numbers = _new_numbers(session, len(requests), now, rng)
    achievements: dict[tuple[str, str], dict[str, object]] = {}
    units: dict[str, dict[str, object]] = {}
    credential_rows, allocation_rows, events = [], [], []
    for request, (list_id, index), number in zip(requests, slots, numbers, strict=True):
        occupation = catalog.occupations[request.occupation]
        level = catalog.levels[request.level]
        unit = catalog.units[request.unit]
        key = (request.occupation, request.level)
        if key not in achievements:
            achievements[key] = achievement(issuer.base_url, occupation, level)
        if request.unit not in units:
            units[request.unit] = unit_profile(issuer.base_url, unit, issuer.name)
        holder = holders[request.employee_number]
        credential_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        payload = build_credential(
            base_url=issuer.base_url,
            issuer_name=issuer.name,
            credential_id=credential_id,
            holder_id=holder.id,
            holder_name=holder.name,
            employee_number=holder.employee_number,
            achievement=achievements[key],
            unit=units[request.unit],
            exam_date=request.exam_date,
            valid_from=now,
            valid_until=request.valid_until,
            status=status_entry(issuer.base_url, list_id, index),
            issued_at=now,
        )
        credential_rows.append(
            {
                "id": credential_id,
                "number": number,
                "holder_id": holder.id,
                "occupation_id": occupation.id,
                "level_id": level.id,
                "unit_id": unit.id,
                "exam_date": request.exam_date,
                "exam_session": request.exam_session,
                "score": request.score,
                "valid_from": now.replace(microsecond=0),
                "valid_until": request.valid_until,
                "issued_at": now,
                "kid": issuer.signer.kid,
                "jws": issuer.signer.sign(payload),
                "state": "active",
            }
        )
        allocation_rows.append({"list_id": list_id, "index": index, "credential_id": credential_id})
        events.append((credential_id, {"number": number, "list": list_id, "kid": issuer.signer.kid}))
    session.execute(insert(Credential), credential_rows)
    session.execute(insert(StatusAllocation), allocation_rows)
    record_events(session, actor, "credential.issue", events, now=now)
    return [row["id"] for row in credential_rows]


def _check_request(request: IssueRequest, catalog: Catalog, now: dt.datetime) -> None:
    if not request.holder_name.strip():
        raise InvalidInputError("holder name is empty", code="missing_holder_name")
    if not request.employee_number.strip():
        raise InvalidInputError("employee number is empty", code="missing_employee_number")
    if request.occupation not in catalog.occupations:
        raise InvalidInputError("unknown occupation code", code="unknown_occupation")
    if request.level not in catalog.levels:
        raise InvalidInputError("unknown level", code="unknown_level")
    if request.unit not in catalog.units:
        raise InvalidInputError("unknown unit code", code="unknown_unit")
    if request.valid_until is not None and request.valid_until <= now:
        raise InvalidInputError("valid_until must be in the future", code="invalid_validity")


def _holders_for(
    session: Session, requests: Sequence[IssueRequest], now: dt.datetime
) -> dict[str, Holder]:
    """Existing holders by employee number, creating the missing ones; names must agree."""
    wanted = {r.employee_number: r for r in requests}
    found: dict[str, Holder] = {}
    numbers = list(wanted)
    for start in range(0, len(numbers), _CHUNK):
        chunk = numbers[start : start + _CHUNK]
        found.update(
            (h.employee_number, h)
            for h in session.scalars(select(Holder).where(Holder.employee_number.in_(chunk)))
        )
    for request in requests:
        holder = found.get(request.employee_number)
        name = request.holder_name.strip()
        if holder is None:
            holder = Holder(
                id=str(uuid.uuid4()),
                employee_number=request.employee_number.strip(),
                name=name,
                national_id=request.national_id,
                birth_date=request.birth_date,
                created_at=now,
            )
            found[request.employee_number] = holder
            session.add(holder)
        elif holder.name != name:
            raise ConflictError(
                "this employee number is registered under another name; correct it by reissue",
                code="holder_name_mismatch",
            )
    session.flush()
    return found


def _new_numbers(session: Session, count: int, now: dt.datetime, rng: random.Random) -> list[str]:
    """Certificate numbers ``TS<year><8 digits>``, unique against the database."""
    numbers: list[str] = []
    taken: set[str] = set()
    while len(numbers) < count:
        candidates = {f"TS{now.year}{rng.randrange(10**8):08d}" for _ in range(count - len(numbers))}
        candidates -= taken
        existing = set(
            session.scalars(select(Credential.number).where(Credential.number.in_(candidates)))
        )
        fresh = sorted(candidates - existing)
        numbers.extend(fresh)
        taken.update(candidates)
    return numbers[:count]
