"""Import an exam campaign's results: validate every row, issue every passed one exactly once.

The run commits in chunks of ``import_chunk_rows`` file rows, so a crash (even ``kill -9``)
loses at most the chunk in flight. Exactly once rests on the database: each credential
carries its ``issuance_key`` (candidate and exam session), which is unique, and every chunk
first looks up which of its exams already hold a credential, under the register's write lock.
Re-running the same file therefore completes what is missing and reports the rest as
``already_issued``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from issuer.campaigns.results_file import RawRow, open_results_file
from issuer.campaigns.row_report import encode_problems
from issuer.campaigns.rows import Problems, RowValidator
from issuer.credentials.catalog import load_catalog
from issuer.credentials.issuance import (
    IssueRequest,
    find_issued,
    holder_names,
    issuance_key,
    issue_credentials,
    other_unit_conflicts,
)
from issuer.credentials.profile import issuer_today
from issuer.credentials.register_counts import fold_counts
from issuer.errors import InvalidInputError, IssuerErrorCode, NotFoundError
from issuer.services import Services
from issuer.store.audit import Actor, lock_writes, record_event
from issuer.store.engine import session_scope
from issuer.store.models import (
    AuditEvent,
    Credential,
    Holder,
    ImportJob,
    ImportRow,
    StatusAllocation,
    Unit,
    core_table,
)
from issuer.store.statistics import PlannerStatistics
from issuer.vocabulary import AuditAction, ImportState

log = logging.getLogger(__name__)

Validated = tuple[RawRow, IssueRequest | Problems | None]
ProgressCallback = Callable[[int, int], None]
OTHER_UNIT = "conflicts_with_other_unit"
# What an import writes a row or more to per file row, the register's look-ups first.
_GROWING_TABLES = tuple(
    model.__tablename__ for model in (Credential, Holder, StatusAllocation, ImportRow, AuditEvent)
)


@dataclass(frozen=True)
class ImportRequest:
    """What to import and on whose authority; ``units`` None means every unit (admins)."""

    path: Path
    filename: str
    dry_run: bool
    actor: Actor
    units: frozenset[str] | None = None


def start_import(
    session: Session, request: ImportRequest, *, max_rows: int, now: dt.datetime
) -> ImportJob:
    """Check the file (format, encoding, header, row count) and record a running import."""
    results = open_results_file(request.path)
    total = results.count_rows()
    if total > max_rows:
        raise InvalidInputError(
            f"the file has more than {max_rows} rows; split it", code=IssuerErrorCode.TOO_MANY_ROWS
        )
    job = ImportJob(
        id=str(uuid.uuid4()),
        filename=Path(request.filename).name[:255] or "upload",
        file_sha256=_sha256(request.path),
        format=results.format,
        dry_run=request.dry_run,
        state=ImportState.RUNNING,
        total_rows=total,
        processed_rows=0,
        issued=0,
        already_issued=0,
        failed=0,
        created_by=request.actor.name,
        units=sorted(request.units) if request.units is not None else None,
        created_at=now,
    )
    session.add(job)
    details = {
        "format": job.format,
        "rows": total,
        "dry_run": job.dry_run,
        "sha256": job.file_sha256,
    }
    record_event(
        session,
        request.actor,
        AuditAction.IMPORT_START,
        f"import:{job.id}",
        now=now,
        details=details,
    )
    session.flush()
    return job


def run_import(
    services: Services,
    job_id: str,
    request: ImportRequest,
    *,
    on_progress: ProgressCallback | None = None,
) -> ImportJob:
    """Process every row of a started import, committing chunk by chunk; returns the job."""
    chunk_rows = services.settings.import_chunk_rows
    try:
        results = open_results_file(request.path)
        with services.sessions() as session:
            today = issuer_today(session, services.clock())
            catalog = load_catalog(session)
        # One chunk of rows in memory at a time, one short session per chunk (its identity
        # map dropped at commit), what earlier rows said in bounded memory: the process's
        # memory does not grow with the file (decision 0061).
        statistics = PlannerStatistics(services.engine, _GROWING_TABLES)
        with RowValidator(catalog, request.units, today=today) as validator:
            for chunk in _chunks(results.rows(), validator, chunk_rows):
                with session_scope(services.sessions) as session:
                    job = _job(session, job_id)
                    process_chunk(session, job, chunk, request=request, services=services)
                    # PostgreSQL runs a bulk insert row by row (executemany): each row
                    # left a count delta. Merged here, the counts stay one row a group.
                    fold_counts(session)
                    processed, total = job.processed_rows, job.total_rows
                statistics.grew(len(chunk))
                if on_progress is not None:
                    on_progress(processed, total)
    except Exception as exc:
        _finish(services, job_id, request.actor, error=getattr(exc, "code", type(exc).__name__))
        raise
    return _finish(services, job_id, request.actor, error=None)


def _chunks(
    rows: Iterator[RawRow], validator: RowValidator, size: int
) -> Iterator[list[Validated]]:
    chunk: list[Validated] = []
    for row in rows:
        chunk.append((row, validator.validate(row)))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def process_chunk(
    session: Session,
    job: ImportJob,
    chunk: Sequence[Validated],
    *,
    request: ImportRequest,
    services: Services,
) -> None:
    """Issue the chunk's passed rows not issued yet and record every row's outcome (flushes)."""
    if not job.dry_run:
        lock_writes(session)  # no other writer can issue these exams between look-up and insert
    outcomes: dict[int, dict[str, Any]] = {}
    candidates: list[tuple[RawRow, IssueRequest]] = []
    for row, checked in chunk:
        if isinstance(checked, tuple):
            outcomes[row.number] = _outcome(row, "invalid", *encode_problems(checked))
        elif checked is None:
            outcomes[row.number] = _outcome(row, "not_passed")
        else:
            candidates.append((row, checked))
    requests = [r for _, r in candidates]
    issued = find_issued(session, requests)
    names = holder_names(session, [r.employee_number for r in requests])
    # A registrar's import never reveals, links or issues over another unit's record: every
    # kind of collision outside its units gets one neutral reason and no id.
    foreign = (
        other_unit_conflicts(session, requests, request.units)
        if request.units is not None
        else set()
    )
    todo: list[tuple[RawRow, IssueRequest]] = []
    for row, req in candidates:
        key = issuance_key(req)
        existing = issued.get(key)
        if key in foreign:
            outcomes[row.number] = _outcome(row, "invalid", "employee_number", OTHER_UNIT)
        elif existing is not None:
            outcomes[row.number] = _outcome(row, "already_issued", credential_id=existing.id)
        elif names.get(req.employee_number, req.holder_name) != req.holder_name:
            outcomes[row.number] = _outcome(row, "invalid", "name", "holder_name_mismatch")
        elif job.dry_run:
            outcomes[row.number] = _outcome(row, "ok")
        else:
            todo.append((row, req))
    if todo:
        ids = issue_credentials(
            session,
            [r for _, r in todo],
            issuer=services.issuer(session),
            actor=request.actor,
            now=services.clock(),
            exactly_once=True,
            checked_new=True,  # find_issued above, under the same write lock
            units=request.units,
        )
        for (row, _), credential_id in zip(todo, ids, strict=True):
            outcomes[row.number] = _outcome(row, "issued", credential_id=credential_id)
    rows = [{"import_id": job.id, **outcomes[row.number]} for row, _ in chunk]
    session.connection().execute(insert(core_table(ImportRow)), rows)
    job.processed_rows += len(chunk)
    job.issued += sum(1 for r in rows if r["status"] == "issued")
    job.already_issued += sum(1 for r in rows if r["status"] == "already_issued")
    job.failed += sum(1 for r in rows if r["status"] == "invalid")
    session.flush()


def _outcome(
    row: RawRow,
    status: str,
    column: str | None = None,
    reason: str | None = None,
    *,
    credential_id: str | None = None,
) -> dict[str, Any]:
    return {
        "row_number": row.number,
        "status": status,
        "column": column,
        "reason": reason,
        "credential_id": credential_id,
    }


def _finish(services: Services, job_id: str, actor: Actor, *, error: str | None) -> ImportJob:
    now = services.clock()
    with session_scope(services.sessions) as session:
        job = _job(session, job_id)
        job.state = ImportState.FAILED if error else ImportState.DONE
        job.error = error
        job.finished_at = now
        details = {
            "state": job.state,
            "rows": job.processed_rows,
            "issued": job.issued,
            "already_issued": job.already_issued,
            "invalid": job.failed,
        }
        record_event(
            session, actor, AuditAction.IMPORT_FINISH, f"import:{job.id}", now=now, details=details
        )
    log.info("import finished", extra={"import_id": job_id, "state": job.state})
    return job


def _job(session: Session, job_id: str) -> ImportJob:
    job = session.get(ImportJob, job_id, populate_existing=True)
    if job is None:
        raise NotFoundError("no such import")
    return job


def get_import(session: Session, job_id: str) -> ImportJob:
    try:
        uuid.UUID(job_id)
    except ValueError:
        raise NotFoundError("no such import") from None
    return _job(session, job_id)


def count_outcomes(session: Session, job_id: str) -> dict[str, int]:
    """How many of an import's rows have each status (``ok`` is a dry run's "would issue")."""
    query = (
        select(ImportRow.status, func.count())
        .where(ImportRow.import_id == job_id)
        .group_by(ImportRow.status)
    )
    return {str(status): int(count) for status, count in session.execute(query)}


def iter_import_rows(
    session: Session,
    job_id: str,
    *,
    status: str | None = None,
    units: tuple[str, ...] | None = None,
    batch: int = 1000,
) -> Iterator[ImportRow]:
    """Every row outcome of an import in file order, ``batch`` at a time (keyset pages on
    ``row_number``): memory holds one page whatever the import's size. ``units`` as in
    ``list_import_rows``."""
    after = 0
    while True:
        query = select(ImportRow).where(ImportRow.import_id == job_id, ImportRow.row_number > after)
        if status is not None:
            query = query.where(ImportRow.status == status)
        page = list(session.scalars(query.order_by(ImportRow.row_number).limit(batch)))
        if not page:
            return
        after = page[-1].row_number
        yield from _within_units(session, page, units)
        for row in page:  # the identity map would otherwise keep every row read
            if row in session:
                session.expunge(row)
        if len(page) < batch:
            return


def list_import_rows(
    session: Session,
    job_id: str,
    *,
    limit: int,
    offset: int,
    status: str | None = None,
    units: tuple[str, ...] | None = None,
) -> list[ImportRow]:
    """A page of an import's row outcomes. With ``units`` (a registrar's scope), a row never
    names a credential outside them, even one recorded before unit boundaries held in imports:
    its ``credential_id`` reads as empty (the stored row is not changed)."""
    query = select(ImportRow).where(ImportRow.import_id == job_id)
    if status is not None:
        query = query.where(ImportRow.status == status)
    query = query.order_by(ImportRow.row_number).limit(limit).offset(offset)
    return _within_units(session, list(session.scalars(query)), units)


def _within_units(
    session: Session, rows: list[ImportRow], units: tuple[str, ...] | None
) -> list[ImportRow]:
    named = [row.credential_id for row in rows if row.credential_id is not None]
    if units is None or not named:
        return rows
    inside: set[str] = set()
    for start in range(0, len(named), 200):
        inside.update(
            session.scalars(
                select(Credential.id)
                .join(Unit, Credential.unit_id == Unit.id)
                .where(Credential.id.in_(named[start : start + 200]), Unit.code.in_(units))
            )
        )
    for row in rows:
        if row.credential_id is not None and row.credential_id not in inside:
            session.expunge(row)  # shown without the id; never written back
            row.credential_id = None
    return rows


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
