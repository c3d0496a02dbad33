"""Per-import download bundle: every holder's ``.jwt``, baked badge PNG and PDF certificate,
plus ``manifest.csv`` (holder, certificate number, verify URL, share link).

Rendering is CPU-bound (about 30 ms a holder), so it runs as jobs, a chunk of holders each
(``issuer.campaigns.bundle_chunks``): on workers (PostgreSQL) or in-process, here in a pool
of ``render_workers`` processes. Each build creates one new share link per credential, each
an audit event: the links are stored hashed, so the old ones cannot be shown again (they keep
working until a registrar revokes them). A bundle holds only credentials of the importer's
units. This module holds the states, the holder's files and the expiry.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.campaigns.import_run import get_import
from issuer.config import Settings
from issuer.credentials.qr import current_encoder, use_encoder
from issuer.documents.badge import render_badge_png
from issuer.documents.certificate import render_certificate_pdf
from issuer.documents.credential_document import CredentialDocument, document_filename
from issuer.errors import ConflictError, IssuerErrorCode
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import ImportJob
from issuer.vocabulary import BundleState, ImportState

log = logging.getLogger(__name__)

MANIFEST_HEADER = (
    "holder",
    "employee_number",
    "certificate_number",
    "occupation",
    "level",
    "verify_url",
    "share_link",
    "files",
)


Files = list[tuple[str, bytes]]


def render_holder_files(document: CredentialDocument) -> Files:
    """The three files of one holder (runs in a worker process)."""
    return [
        (document_filename(document, "jwt"), document.jws.encode("ascii")),
        (document_filename(document, "png"), render_badge_png(document)),
        (document_filename(document, "pdf"), render_certificate_pdf(document)),
    ]


def request_bundle(session: Session, job_id: str) -> None:
    """Mark an import's bundle as building (flushes); refuses dry runs and running imports."""
    job = get_import(session, job_id)
    if job.dry_run:
        raise ConflictError(
            "a dry run issued nothing to bundle", code=IssuerErrorCode.DRY_RUN_IMPORT
        )
    if job.state == ImportState.RUNNING:
        raise ConflictError("the import is still running", code=IssuerErrorCode.IMPORT_RUNNING)
    if job.bundle_state == BundleState.BUILDING:
        raise ConflictError("the bundle is being built", code=IssuerErrorCode.BUNDLE_BUILDING)
    job.bundle_state = BundleState.BUILDING
    session.flush()


@contextmanager
def render_pool(workers: int) -> Iterator[Callable[[list[CredentialDocument]], Iterator[Files]]]:
    """A renderer that spreads holders over ``workers`` processes (spawned, never forked
    from a threaded server), kept for every chunk of one build."""
    if workers <= 1:
        yield lambda documents: map(render_holder_files, documents)
        return
    context = multiprocessing.get_context("spawn")
    # Spawned workers start afresh: they draw QR codes with this process's encoder.
    encoder = (current_encoder().name,)
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=use_encoder, initargs=encoder
    ) as pool:
        yield lambda documents: pool.map(render_holder_files, documents, chunksize=8)


def ready_bundle(job: ImportJob, settings: Settings, now: dt.datetime) -> Path:
    """The path of ``job``'s bundle to download: 409 ``bundle_expired`` once it was deleted,
    ``bundle_not_ready`` before it was built."""
    if job.bundle_state == BundleState.EXPIRED or (
        job.bundle_state == BundleState.READY
        and job.bundle_path
        and bundle_expired(Path(job.bundle_path), settings.bundle_ttl, now)
    ):
        raise ConflictError(
            f"the bundle expired ({settings.bundle_ttl_hours} hours after it was built) and "
            "was deleted; build it again",
            code=IssuerErrorCode.BUNDLE_EXPIRED,
        )
    if (
        job.bundle_state != BundleState.READY
        or not job.bundle_path
        or not Path(job.bundle_path).exists()
    ):
        raise ConflictError(
            "the bundle is not ready; build it first", code=IssuerErrorCode.BUNDLE_NOT_READY
        )
    return Path(job.bundle_path)


def bundle_expired(path: Path, ttl: dt.timedelta, now: dt.datetime) -> bool:
    """Whether the bundle at ``path`` was written more than ``ttl`` before ``now``."""
    try:
        written = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    except FileNotFoundError:
        return True
    return now - written >= ttl


def purge_expired_bundles(services: Services) -> int:
    """Delete bundles older than ``TESSERA_BUNDLE_TTL_HOURS``; returns how many imports lost one.

    Their imports' ``bundle_state`` becomes ``expired``; the share links in them stay valid
    (they are the holders'). Only files inside ``TESSERA_BUNDLE_DIR`` are ever deleted, and
    stray bundle files there (an interrupted build) go too once they are as old.
    """
    settings, now = services.settings, services.clock()
    ready = select(ImportJob.id, ImportJob.bundle_path).where(
        ImportJob.bundle_state == BundleState.READY
    )
    with services.read_sessions() as session:  # no write lock unless there is work
        due = [
            job_id
            for job_id, path in session.execute(ready)
            if not path or bundle_expired(Path(path), settings.bundle_ttl, now)
        ]
    expired = 0
    if due:
        expired = _expire(services, due, now)
    if settings.bundle_dir.is_dir():
        for stray in settings.bundle_dir.glob("import-*.zip*"):
            if bundle_expired(stray, settings.bundle_ttl, now):
                stray.unlink(missing_ok=True)
    if expired:
        log.info("expired bundles deleted", extra={"count": expired})
    return expired


def _expire(services: Services, job_ids: list[str], now: dt.datetime) -> int:
    bundle_dir, ttl = services.settings.bundle_dir.resolve(), services.settings.bundle_ttl
    expired = 0
    with session_scope(services.sessions) as session:
        jobs = session.scalars(
            select(ImportJob).where(
                ImportJob.id.in_(job_ids), ImportJob.bundle_state == BundleState.READY
            )
        )
        for job in jobs:
            path = Path(job.bundle_path) if job.bundle_path else None
            if path is not None and not bundle_expired(path, ttl, now):
                continue  # rebuilt since it was found due
            if path is not None and path.resolve().parent == bundle_dir:
                path.unlink(missing_ok=True)  # never a file outside the bundle directory
            job.bundle_state, job.bundle_path = BundleState.EXPIRED, None
            expired += 1
    return expired
