"""Exports as jobs: the register's CSV or the audit log written to a file, then downloaded.

``request_export`` records who asked, within which units and for what (flushes); a job runs
``write_export``, which writes the file under a temporary name in ``TESSERA_EXPORT_DIR``
(mode 0700, files 0600), counting rows as it goes, renames it into place and marks the
export ``ready`` in one conditional update. A job killed midway (``kill -9``) left only its
temporary file: the retry writes the whole file again from the start, and only the run that
marks the export ``ready`` keeps its file, so the download is always complete. A cancellation
is a conditional update the writer notices at its next progress report. Files are deleted
``TESSERA_EXPORT_TTL_HOURS`` after they were written (docs/decisions/0065-exports-as-jobs.md).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import uuid
from collections.abc import Generator
from pathlib import Path
from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from issuer.access.tokens import Principal
from issuer.credentials.search import CredentialFilter, SortOrder
from issuer.errors import ConflictError, IssuerErrorCode, NotFoundError
from issuer.services import Services
from issuer.store.audit import Actor, record_event
from issuer.store.engine import session_scope
from issuer.store.job_locks import EXPORT, JobLock, job_lock
from issuer.store.models import ExportJob
from issuer.store.private_files import create_private_file, private_dir
from issuer.tasks.export_files import audit_parts, register_parts
from issuer.vocabulary import AuditAction, CredentialState, ExportKind, ExportState, Role

log = logging.getLogger(__name__)

PROGRESS_ROWS: Final = 1000  # rows written between two progress reports
UNDER_WAY: Final = (ExportState.QUEUED, ExportState.RUNNING)
SUFFIX: Final = {ExportKind.REGISTER: "csv", ExportKind.AUDIT: "jsonl"}
MEDIA_TYPE: Final = {
    ExportKind.REGISTER: "text/csv; charset=utf-8",
    ExportKind.AUDIT: "application/x-ndjson",
}
_DATES: Final = ("issued_from", "issued_to", "exam_from", "exam_to")


def criteria_record(criteria: CredentialFilter, order: SortOrder) -> dict[str, Any]:
    """A search's filters and order as stored with the export (JSON)."""
    record: dict[str, Any] = {"sort": order.value}
    for name, value in dataclasses.asdict(criteria).items():
        if name == "units":
            record[name] = list(value)
        elif isinstance(value, dt.date):
            record[name] = value.isoformat()
        elif value is not None:
            record[name] = str(value)
    return record


def criteria_of(record: dict[str, Any]) -> tuple[CredentialFilter, SortOrder]:
    """The search stored by ``criteria_record``."""
    values = {k: v for k, v in record.items() if k != "sort"}
    for name in _DATES:
        if name in values:
            values[name] = dt.date.fromisoformat(values[name])
    if "state" in values:
        values["state"] = CredentialState(values["state"])
    values["units"] = tuple(values.get("units", ()))
    return CredentialFilter(**values), SortOrder(record["sort"])


def request_export(
    session: Session,
    kind: ExportKind,
    *,
    principal: Principal,
    actor: Actor,
    now: dt.datetime,
    units: tuple[str, ...] | None = None,
    criteria: dict[str, Any] | None = None,
) -> ExportJob:
    """Record an export to write (``queued``) and audit the request (flushes)."""
    job = ExportJob(
        id=str(uuid.uuid4()),
        kind=kind,
        state=ExportState.QUEUED,
        principal_id=principal.principal_id,
        units=list(units) if units is not None else None,
        criteria=criteria,
        rows=0,
        created_at=now,
    )
    session.add(job)
    # The filters' names, never their values (a name searched for is personal data).
    filters = sorted(k for k in (criteria or {}) if k != "sort" and criteria and criteria[k])
    record_event(
        session,
        actor,
        AuditAction.EXPORT_REQUEST,
        f"export:{job.id}",
        now=now,
        details={"kind": kind.value, "filters": filters},
    )
    session.flush()
    return job


def get_export(session: Session, export_id: str, principal: Principal) -> ExportJob:
    """The export, for the principal who asked for it or an admin (404 for anyone else)."""
    job = session.get(ExportJob, export_id) if len(export_id) <= 36 else None
    if job is None or (job.principal_id != principal.principal_id and principal.role != Role.ADMIN):
        raise NotFoundError("no such export")
    return job


def cancel_export(session: Session, export_id: str, *, actor: Actor, now: dt.datetime) -> None:
    """Stop a queued or running export (flushes); 409 ``export_not_running`` otherwise."""
    done = session.execute(
        update(ExportJob)
        .where(ExportJob.id == export_id, ExportJob.state.in_(UNDER_WAY))
        .values(state=ExportState.CANCELLED, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(
            "the export is not queued or running", code=IssuerErrorCode.EXPORT_NOT_RUNNING
        )
    record_event(session, actor, AuditAction.EXPORT_CANCEL, f"export:{export_id}", now=now)
    session.flush()


def ready_export(job: ExportJob, services: Services) -> Path:
    """The file of a ``ready`` export: 409 ``export_expired`` once deleted, 409
    ``export_not_ready`` before (or after a failure or a cancellation)."""
    if job.state == ExportState.EXPIRED or (
        job.state == ExportState.READY and _expired(job, services)
    ):
        raise ConflictError(
            f"the export was deleted {services.settings.export_ttl_hours} hours after it was "
            "written; ask for it again",
            code=IssuerErrorCode.EXPORT_EXPIRED,
        )
    if job.state != ExportState.READY or not job.path or not Path(job.path).is_file():
        raise ConflictError("the export is not ready", code=IssuerErrorCode.EXPORT_NOT_READY)
    return Path(job.path)


def record_download(session: Session, job: ExportJob, *, actor: Actor, now: dt.datetime) -> None:
    """Audit a download of the export's file (flushes)."""
    record_event(
        session,
        actor,
        AuditAction.EXPORT_DOWNLOAD,
        f"export:{job.id}",
        now=now,
        details={"kind": job.kind, "rows": job.rows},
    )
    session.flush()


def _expired(job: ExportJob, services: Services) -> bool:
    finished = job.finished_at or job.created_at
    return services.clock() - finished > services.settings.export_ttl


def write_export(services: Services, export_id: str, *, every: int = PROGRESS_ROWS) -> bool:
    """The job: write the export's file; ``False`` when there was nothing to do (done,
    cancelled, or another process writing it: decision 0067) or it stopped midway
    (cancelled, or its lock lost: left ``running`` for the next taker). Reports ``rows``
    every ``every`` rows."""
    with job_lock(services.engine, EXPORT, export_id) as lock:
        return bool(lock) and _write_export(services, export_id, every, lock)


def _write_export(services: Services, export_id: str, every: int, lock: JobLock) -> bool:
    with session_scope(services.sessions) as session:
        job = session.scalars(
            select(ExportJob).where(ExportJob.id == export_id).with_for_update()
        ).one_or_none()
        if job is None or job.state not in UNDER_WAY:
            return False
        job.state, job.rows = ExportState.RUNNING, 0
        kind, units, criteria = ExportKind(job.kind), job.units, job.criteria
    folder = private_dir(services.settings.export_dir, narrow=True)
    attempt = uuid.uuid4().hex
    partial = folder / f".export-{export_id}.{attempt}.partial"
    target = folder / f"export-{export_id}-{attempt}.{SUFFIX[kind]}"
    try:
        rows = _write(services, export_id, partial, kind, units, criteria, every, lock)
        if rows is None or not lock.still_held():
            return False
        os.replace(partial, target)
        with session_scope(services.sessions) as session:
            done = session.execute(
                update(ExportJob)
                .where(ExportJob.id == export_id, ExportJob.state == ExportState.RUNNING)
                .values(
                    state=ExportState.READY,
                    rows=rows,
                    path=str(target),
                    finished_at=services.clock(),
                )
            )
            kept: bool = done.rowcount == 1  # type: ignore[attr-defined]
        if not kept:  # cancelled at the last moment, or another run finished first
            target.unlink(missing_ok=True)
            return False
        for stale in folder.glob(f".export-{export_id}.*.partial"):  # of a killed run
            stale.unlink(missing_ok=True)
        return True
    finally:
        partial.unlink(missing_ok=True)


def _write(
    services: Services,
    export_id: str,
    partial: Path,
    kind: ExportKind,
    units: list[str] | None,
    criteria: dict[str, Any] | None,
    every: int,
    lock: JobLock,
) -> int | None:
    """Write every part to ``partial``; the rows written, or ``None`` once cancelled or the
    lock is lost."""
    rows = reported = 0
    with (
        create_private_file(partial) as handle,
        services.read_sessions() as session,
        # Closed before the session, also when stopped midway: the query's server-side
        # cursor is closed with it, not left for the garbage collector.
        contextlib.closing(_parts(services, session, kind, units, criteria)) as parts,
    ):
        for data, count in parts:
            handle.write(data)
            rows += count
            if rows - reported >= every:
                if not lock.still_held() or not _report(services, export_id, rows):
                    return None
                reported = rows
    return rows


def _parts(
    services: Services,
    session: Session,
    kind: ExportKind,
    units: list[str] | None,
    criteria: dict[str, Any] | None,
) -> Generator[tuple[bytes, int], None, None]:
    if kind == ExportKind.AUDIT:
        return audit_parts(session)
    search, order = criteria_of(criteria or {"sort": SortOrder.NEWEST.value})
    scope = tuple(units) if units is not None else None
    return register_parts(session, services.urls, search, scope=scope, order=order)


def _report(services: Services, export_id: str, rows: int) -> bool:
    """Store how far it got; ``False`` if the export is no longer running (cancelled)."""
    with session_scope(services.sessions) as session:
        done = session.execute(
            update(ExportJob)
            .where(ExportJob.id == export_id, ExportJob.state == ExportState.RUNNING)
            .values(rows=rows)
        )
        reported: bool = done.rowcount == 1  # type: ignore[attr-defined]
        return reported


def fail_export(services: Services, export_id: str) -> None:
    """The export becomes ``failed`` (unless it was cancelled or finished)."""
    with session_scope(services.sessions) as session:
        session.execute(
            update(ExportJob)
            .where(ExportJob.id == export_id, ExportJob.state.in_(UNDER_WAY))
            .values(state=ExportState.FAILED, finished_at=services.clock())
        )


def purge_exports(services: Services) -> int:
    """Delete export files past ``TESSERA_EXPORT_TTL_HOURS`` (their exports become
    ``expired``) and files no export keeps (a cancelled or killed run's); returns how many
    exports expired. Only files inside ``TESSERA_EXPORT_DIR`` are ever deleted."""
    settings, now = services.settings, services.clock()
    cutoff = now - settings.export_ttl
    with session_scope(services.sessions) as session:
        due = session.execute(
            update(ExportJob)
            .where(ExportJob.state == ExportState.READY, ExportJob.finished_at < cutoff)
            .values(state=ExportState.EXPIRED)
            .returning(ExportJob.id)
        ).scalars()
        expired = list(due)
        kept = {
            Path(path).name
            for path in session.scalars(
                select(ExportJob.path).where(ExportJob.state == ExportState.READY)
            )
            if path
        }
        running = set(session.scalars(select(ExportJob.id).where(ExportJob.state.in_(UNDER_WAY))))
    folder = settings.export_dir
    if folder.is_dir():
        for path in folder.iterdir():
            name = path.name
            if not name.startswith(("export-", ".export-")):
                continue  # not an export's file
            owner = name.removeprefix(".").removeprefix("export-")[:36]
            if name in kept or owner in running:
                continue  # a ready export's file, or a run writing now
            path.unlink(missing_ok=True)
    if expired:
        log.info("expired exports deleted", extra={"count": len(expired)})
    return len(expired)
