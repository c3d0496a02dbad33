"""A bundle built as jobs: a plan of chunks, one job per chunk, and a final assembly.

``plan_bundle`` splits an import's credentials into chunks (``bundle_chunks`` rows, one new
``imports.bundle_run``). ``render_bundle_chunk`` renders one chunk's holders, writes each file
under its final name by write-then-rename into the run's parts folder, and marks the chunk
done in the transaction that commits its share links: a job killed midway left no link and
only files that the retry overwrites under the same names, so every holder's files end up in
the bundle exactly once. The rendering comes before any write to the database, so the
register's write lock (taken by the links' audit events) is held only for the chunk's last
moments, never while it renders. ``assemble_bundle`` zips the parts with ``manifest.csv`` once every
chunk is done. The same functions run on a procrastinate worker (PostgreSQL) and in-process
(SQLite, ``tessera bundle``): docs/decisions/0060-bundle-rendering-on-a-task-engine.md.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import uuid
import zipfile
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from issuer.campaigns.bundle import (
    MANIFEST_HEADER,
    purge_expired_bundles,
    render_holder_files,
    render_pool,
)
from issuer.campaigns.csv_export import render_csv
from issuer.campaigns.import_run import get_import
from issuer.credentials.holder_photo import open_holder_photos
from issuer.documents.credential_document import CredentialDocument, profile_document
from issuer.documents.share_link import create_share_links, share_url
from issuer.errors import ConflictError, IssuerErrorCode
from issuer.services import Services
from issuer.store.audit import Actor, record_event
from issuer.store.engine import session_scope
from issuer.store.job_locks import BUNDLE, JobLock, job_lock
from issuer.store.models import BundleChunk, Credential, ImportJob, ImportRow, Unit
from issuer.store.private_files import create_private_file, private_dir
from issuer.vocabulary import AuditAction, BundleState

log = logging.getLogger(__name__)

Renderer = Callable[[list[CredentialDocument]], Iterable[list[tuple[str, bytes]]]]


def render_serially(documents: list[CredentialDocument]) -> Iterable[list[tuple[str, bytes]]]:
    """Render in this process, one holder after the other (a worker is one process)."""
    return map(render_holder_files, documents)


@dataclass(frozen=True)
class BundlePlan:
    """A bundle build: which import, which run, how many chunks."""

    import_id: str
    run_id: str
    chunks: int


@dataclass(frozen=True)
class BundleProgress:
    """Chunks of the bundle build in force that are done, of how many."""

    done: int
    total: int


def plan_bundle(
    session: Session,
    job_id: str,
    *,
    actor: Actor,
    units: Collection[str] | None,
    chunk_size: int,
    services: Services,
) -> BundlePlan:
    """Split the import's credentials into chunks of ``chunk_size`` (flushes).

    Only credentials of the importer's units (``ImportJob.units``) and of ``units`` (the
    caller's) are planned, whatever the import's rows say. The import must be ``building``
    (``request_bundle``); a new run replaces any earlier one, whose jobs then do nothing.
    """
    job = get_import(session, job_id)
    allowed = [set(u) for u in (job.units, units) if u is not None]
    rows = session.execute(
        select(ImportRow.credential_id, Unit.code)
        .join(Credential, Credential.id == ImportRow.credential_id)
        .join(Unit, Unit.id == Credential.unit_id)
        .where(ImportRow.import_id == job_id, ImportRow.credential_id.is_not(None))
        .order_by(ImportRow.row_number)
    ).all()
    ids = [str(cid) for cid, unit in rows if all(unit in scope for scope in allowed)]
    if len(ids) < len(rows):
        log.warning(
            "bundle left out credentials outside the importer's units",
            extra={"import_id": job_id, "count": len(rows) - len(ids)},
        )
    run_id = str(uuid.uuid4())
    chunks = [ids[start : start + chunk_size] for start in range(0, len(ids), chunk_size)]
    who = dataclasses.asdict(actor)
    session.add_all(
        BundleChunk(run_id=run_id, chunk=number, import_id=job_id, credential_ids=part, actor=who)
        for number, part in enumerate(chunks)
    )
    job.bundle_run, job.bundle_chunks, job.bundle_path = run_id, len(chunks), None
    record_event(
        session,
        actor,
        AuditAction.IMPORT_BUNDLE,
        f"import:{job_id}",
        now=services.clock(),
        details={"credentials": len(ids), "chunks": len(chunks)},
    )
    session.flush()
    return BundlePlan(job_id, run_id, len(chunks))


def parts_dir(services: Services, run_id: str) -> Path:
    """The folder where a run's chunks put their files (inside ``TESSERA_BUNDLE_DIR``)."""
    return services.settings.bundle_dir / f"run-{uuid.UUID(run_id)}"


def render_bundle_chunk(
    services: Services, run_id: str, chunk: int, *, render: Renderer = render_serially
) -> bool:
    """Render one chunk; ``False`` when there was nothing to do (done already, cancelled, or
    replaced by a newer run). Commits its share links and ``done_at`` together."""
    with session_scope(services.sessions) as session:
        import_id = session.scalar(
            select(BundleChunk.import_id).where(
                BundleChunk.run_id == run_id, BundleChunk.chunk == chunk
            )
        )
        if import_id is None:
            return False
        # FOR SHARE: a cancellation (an UPDATE of the import) waits for running chunks.
        job = session.scalars(
            select(ImportJob).where(ImportJob.id == import_id).with_for_update(read=True)
        ).one()
        if job.bundle_state != BundleState.BUILDING or job.bundle_run != run_id:
            return False
        part = session.scalars(
            select(BundleChunk)
            .where(BundleChunk.run_id == run_id, BundleChunk.chunk == chunk)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        if part.done_at is not None:
            return False
        documents = _documents(session, services, part.credential_ids)
        folder = private_dir(parts_dir(services, run_id), narrow=True)
        # Render before writing anything to the database: the share links' audit events take
        # the register's write lock (lock_writes) until commit, so it is held only briefly.
        names = []
        for files in render(documents):
            for name, data in files:
                _write_atomically(folder / name, data)
            names.append([name for name, _ in files])
        created = create_share_links(
            session,
            [d.credential_id for d in documents],
            actor=Actor(**part.actor),
            now=services.clock(),
        )
        links = {link.credential_id: share_url(services.base_url, token) for link, token in created}
        manifest = [
            [
                document.holder_name,
                document.employee_number,
                document.number,
                f"{document.occupation_zh} / {document.occupation_en}",
                f"{document.level_zh} / {document.level_en}",
                document.verify_url,
                links[document.credential_id],
                files,
            ]
            for document, files in zip(documents, names, strict=True)
        ]
        _write_atomically(folder / f"chunk-{chunk:06d}.json", json.dumps(manifest).encode("utf-8"))
        part.done_at = services.clock()
    return True


def _documents(
    session: Session, services: Services, credential_ids: list[str]
) -> list[CredentialDocument]:
    found = {
        row.id: row
        for row in session.scalars(select(Credential).where(Credential.id.in_(credential_ids)))
    }
    rows = [found[cid] for cid in credential_ids if cid in found]
    profile = services.profile(session)
    photos = open_holder_photos(
        session, [row.holder_id for row in rows], passphrase=services.settings.read_passphrase()
    )
    return [
        profile_document(
            row, base_url=services.base_url, profile=profile, photo_jpeg=photos.get(row.holder_id)
        )
        for row in rows
    ]


def _write_atomically(path: Path, data: bytes) -> None:
    """Write then rename: the name holds either nothing or the whole file, never a part."""
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
    with create_private_file(partial) as handle:
        handle.write(data)
    os.replace(partial, path)


def chunks_left(services: Services, run_id: str) -> int:
    """How many of the run's chunks are not done yet."""
    with services.read_sessions() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(BundleChunk)
                .where(BundleChunk.run_id == run_id, BundleChunk.done_at.is_(None))
            )
            or 0
        )


def assemble_bundle(services: Services, run_id: str) -> Path | None:
    """Zip the run's parts and ``manifest.csv`` once every chunk is done; the import's
    bundle becomes ``ready``. ``None`` when it is not (yet, or any longer) this run's turn."""
    purge_expired_bundles(services)
    folder = parts_dir(services, run_id)
    with session_scope(services.sessions) as session:
        job = session.scalars(
            select(ImportJob).where(ImportJob.bundle_run == run_id).with_for_update()
        ).one_or_none()
        if job is None or job.bundle_state != BundleState.BUILDING:
            return None
        parts = list(
            session.scalars(
                select(BundleChunk).where(BundleChunk.run_id == run_id).order_by(BundleChunk.chunk)
            )
        )
        if any(part.done_at is None for part in parts):
            return None
        target = services.settings.bundle_dir / f"import-{job.id}.zip"
        private_dir(target.parent, narrow=True)
        partial = target.with_suffix(".zip.partial")
        manifest: list[list[str]] = []
        with (
            create_private_file(partial, exclusive=False) as handle,
            zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        ):
            for part in parts:
                rows = json.loads((folder / f"chunk-{part.chunk:06d}.json").read_bytes())
                for *cells, names in rows:
                    for name in names:
                        # PNG and PDF are compressed already: store them, deflate the token.
                        packed = (
                            zipfile.ZIP_DEFLATED if name.endswith(".jwt") else zipfile.ZIP_STORED
                        )
                        archive.write(folder / name, name, compress_type=packed)
                    manifest.append([*cells, " ".join(names)])
            archive.writestr("manifest.csv", render_csv(MANIFEST_HEADER, manifest))
        partial.replace(target)
        job.bundle_state, job.bundle_path = BundleState.READY, str(target)
    shutil.rmtree(folder, ignore_errors=True)
    return target


def fail_bundle(services: Services, run_id: str) -> None:
    """The run's bundle becomes ``failed`` (unless it was cancelled or replaced)."""
    with session_scope(services.sessions) as session:
        session.execute(
            update(ImportJob)
            .where(ImportJob.bundle_run == run_id, ImportJob.bundle_state == BundleState.BUILDING)
            .values(bundle_state=BundleState.FAILED)
        )
    shutil.rmtree(parts_dir(services, run_id), ignore_errors=True)


def cancel_bundle(session: Session, job_id: str) -> str:
    """Stop the import's bundle build (flushes); returns the cancelled run's id.

    A conditional UPDATE: only a ``building`` bundle is cancelled, once; on PostgreSQL it
    waits for the chunks rendering right now, and the rest then do nothing.
    """
    job = get_import(session, job_id)
    run_id = job.bundle_run
    done = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.bundle_state == BundleState.BUILDING)
        .values(bundle_state=BundleState.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1 or run_id is None:  # type: ignore[attr-defined]
        raise ConflictError(
            "the bundle is not being built", code=IssuerErrorCode.BUNDLE_NOT_BUILDING
        )
    session.expire(job)
    session.flush()
    return run_id


def discard_bundle_parts(services: Services, run_id: str) -> None:
    """Delete a cancelled run's parts folder (after the cancellation was committed)."""
    shutil.rmtree(parts_dir(services, run_id), ignore_errors=True)


def bundle_progress(session: Session, job: ImportJob) -> BundleProgress:
    """Chunks done of the import's bundle build in force (0 of 0 before any)."""
    if job.bundle_run is None:
        return BundleProgress(0, 0)
    done = session.scalar(
        select(func.count())
        .select_from(BundleChunk)
        .where(BundleChunk.run_id == job.bundle_run, BundleChunk.done_at.is_not(None))
    )
    return BundleProgress(done or 0, job.bundle_chunks)


def build_bundle(
    services: Services,
    job_id: str,
    *,
    actor: Actor,
    workers: int | None = None,
    units: Collection[str] | None = None,
) -> Path:
    """Plan, render every chunk and assemble, here and now (``tessera bundle``, and the
    in-process path on SQLite); the import must be ``building`` (``request_bundle``)."""
    settings = services.settings
    with session_scope(services.sessions) as session:
        plan = plan_bundle(
            session,
            job_id,
            actor=actor,
            units=units,
            chunk_size=settings.bundle_chunk_size,
            services=services,
        )
    return run_bundle(services, plan, workers=workers or settings.render_workers)


def run_bundle(services: Services, plan: BundlePlan, *, workers: int) -> Path:
    """Run a planned bundle's jobs one after the other in this process (rendering each chunk
    in a pool of ``workers`` processes), holding the run's lock (decision 0067: 409
    ``bundle_building`` while another process holds it, or once this process has lost it,
    the bundle left ``building``); a failure leaves the bundle ``failed``."""
    with job_lock(services.engine, BUNDLE, plan.run_id) as lock:
        if not lock:
            raise ConflictError(
                "another process is building this bundle", code=IssuerErrorCode.BUNDLE_BUILDING
            )
        try:
            with render_pool(workers) as render:
                for chunk in range(plan.chunks):
                    _confirm_held(lock)
                    render_bundle_chunk(services, plan.run_id, chunk, render=render)
            _confirm_held(lock)
            path = assemble_bundle(services, plan.run_id)
        except _LockLostError:
            # The bundle stays building, for the process that holds the lock now.
            raise ConflictError(
                "this process lost the bundle's lock; another process may be building it",
                code=IssuerErrorCode.BUNDLE_BUILDING,
            ) from None
        except Exception:
            log.exception("bundle failed", extra={"import_id": plan.import_id})
            fail_bundle(services, plan.run_id)
            raise
    if path is None:
        raise ConflictError(
            "the bundle is not being built", code=IssuerErrorCode.BUNDLE_NOT_BUILDING
        )
    return path


class _LockLostError(Exception):
    """This process lost the bundle's lock while building it."""


def _confirm_held(lock: JobLock) -> None:
    """Stop (``_LockLostError``) once this process has lost the bundle's lock: another
    process may be building it now (decision 0067)."""
    if not lock.still_held():
        raise _LockLostError


def chunks_to_render(services: Services, run_id: str) -> list[int]:
    """The run's chunks not done yet, in order."""
    with services.read_sessions() as session:
        return list(
            session.scalars(
                select(BundleChunk.chunk)
                .where(BundleChunk.run_id == run_id, BundleChunk.done_at.is_(None))
                .order_by(BundleChunk.chunk)
            )
        )


def discard_abandoned_parts(services: Services) -> int:
    """Delete the parts folders of runs no longer building (an in-process build whose server
    stopped, a replaced run); returns how many. The folders are listed before the runs are
    read, so a run planned meanwhile keeps the folder its first chunk creates."""
    bundle_dir = services.settings.bundle_dir
    if not bundle_dir.is_dir():
        return 0
    folders = [p for p in bundle_dir.glob("run-*") if p.is_dir()]
    if not folders:
        return 0
    with services.read_sessions() as session:
        building = {
            f"run-{run}"
            for run in session.scalars(
                select(ImportJob.bundle_run).where(
                    ImportJob.bundle_state == BundleState.BUILDING,
                    ImportJob.bundle_run.is_not(None),
                )
            )
        }
    abandoned = [folder for folder in folders if folder.name not in building]
    for folder in abandoned:
        shutil.rmtree(folder, ignore_errors=True)
    return len(abandoned)
