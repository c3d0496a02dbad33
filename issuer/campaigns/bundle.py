"""Per-import download bundle: every holder's ``.jwt``, baked badge PNG and PDF certificate,
plus ``manifest.csv`` (holder, certificate number, verify URL, share link).

Rendering is CPU-bound (about 30 ms a holder), so it runs in a pool of ``render_workers``
processes (spawned, never forked from a threaded server) while the API keeps answering; the
zip is written as results arrive, so memory holds a few documents, not the campaign. Each
build creates one new share link per credential, each an audit event: the links are stored
hashed, so the old ones cannot be shown again (they keep working until a registrar revokes
them). A bundle holds only credentials of the importer's units.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import zipfile
from collections.abc import Collection, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.campaigns.csv_export import render_csv
from issuer.campaigns.import_run import get_import
from issuer.config import Settings
from issuer.credentials.holder_photo import open_holder_photos
from issuer.credentials.qr import current_encoder, use_encoder
from issuer.documents.badge import render_badge_png
from issuer.documents.certificate import render_certificate_pdf
from issuer.documents.credential_document import (
    CredentialDocument,
    document_filename,
    profile_document,
)
from issuer.documents.share_link import create_share_links, share_url
from issuer.errors import ConflictError, IssuerErrorCode
from issuer.services import Services
from issuer.store.audit import Actor, record_event
from issuer.store.engine import session_scope
from issuer.store.models import Credential, ImportJob, ImportRow
from issuer.store.private_files import create_private_file, private_dir
from issuer.vocabulary import AuditAction, BundleState, ImportState

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


def render_holder_files(document: CredentialDocument) -> list[tuple[str, bytes]]:
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


def build_bundle(
    services: Services,
    job_id: str,
    *,
    actor: Actor,
    workers: int | None = None,
    units: Collection[str] | None = None,
) -> Path:
    """Render and zip the bundle of an import; returns the zip's path.

    Only credentials of the importer's units (``ImportJob.units``) and of ``units`` (the
    caller's, a registrar's token) are rendered and linked, whatever the import's rows say.
    """
    settings = services.settings
    purge_expired_bundles(services)
    try:
        documents, links = _prepare(services, job_id, actor, units)
        target = settings.bundle_dir / f"import-{job_id}.zip"
        private_dir(target.parent, narrow=True)
        partial = target.with_suffix(".zip.partial")
        manifest = []
        with (
            create_private_file(partial, exclusive=False) as handle,
            zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        ):
            for document, files in zip(
                documents, _render(documents, workers or settings.render_workers), strict=True
            ):
                for name, data in files:
                    # PNG and PDF are compressed already: store them, deflate the token.
                    packed = zipfile.ZIP_DEFLATED if name.endswith(".jwt") else zipfile.ZIP_STORED
                    archive.writestr(name, data, compress_type=packed)
                manifest.append(
                    (
                        document.holder_name,
                        document.employee_number,
                        document.number,
                        f"{document.occupation_zh} / {document.occupation_en}",
                        f"{document.level_zh} / {document.level_en}",
                        document.verify_url,
                        links[document.credential_id],
                        " ".join(name for name, _ in files),
                    )
                )
            archive.writestr("manifest.csv", render_csv(MANIFEST_HEADER, manifest))
        partial.replace(target)
    except Exception:
        log.exception("bundle failed", extra={"import_id": job_id})
        _set_state(services, job_id, BundleState.FAILED, None)
        raise
    _set_state(services, job_id, BundleState.READY, str(target))
    return target


def _render(documents: list[CredentialDocument], workers: int) -> Iterator[list[tuple[str, bytes]]]:
    if workers <= 1 or len(documents) < 2:
        yield from map(render_holder_files, documents)
        return
    context = multiprocessing.get_context("spawn")
    # Spawned workers start afresh: they draw QR codes with this process's encoder.
    encoder = (current_encoder().name,)
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=use_encoder, initargs=encoder
    ) as pool:
        yield from pool.map(render_holder_files, documents, chunksize=16)


def _prepare(
    services: Services, job_id: str, actor: Actor, units: Collection[str] | None
) -> tuple[list[CredentialDocument], dict[str, str]]:
    """The documents of the import's credentials, and a new share link for each (committed)."""
    now = services.clock()
    with session_scope(services.sessions) as session:
        job = get_import(session, job_id)
        allowed = [set(u) for u in (job.units, units) if u is not None]
        ids = list(
            session.scalars(
                select(ImportRow.credential_id)
                .where(ImportRow.import_id == job_id, ImportRow.credential_id.is_not(None))
                .order_by(ImportRow.row_number)
            )
        )
        rows: list[Credential] = []
        for start in range(0, len(ids), 200):
            found = session.scalars(
                select(Credential).where(Credential.id.in_(ids[start : start + 200]))
            )
            by_id = {row.id: row for row in found}
            rows.extend(
                row
                for row in (by_id.get(str(cid)) for cid in ids[start : start + 200])
                if row is not None and all(row.unit.code in scope for scope in allowed)
            )
        if len(rows) < len(ids):
            log.warning(
                "bundle left out credentials outside the importer's units",
                extra={"import_id": job_id, "count": len(ids) - len(rows)},
            )
        profile = services.profile(session)
        photos = open_holder_photos(
            session, [row.holder_id for row in rows], passphrase=services.settings.read_passphrase()
        )
        documents = [
            profile_document(
                row,
                base_url=services.base_url,
                profile=profile,
                photo_jpeg=photos.get(row.holder_id),
            )
            for row in rows
        ]
        created = create_share_links(session, [row.id for row in rows], actor=actor, now=now)
        links = {link.credential_id: share_url(services.base_url, token) for link, token in created}
        record_event(
            session,
            actor,
            AuditAction.IMPORT_BUNDLE,
            f"import:{job_id}",
            now=now,
            details={"credentials": len(documents)},
        )
    return documents, links


def _set_state(services: Services, job_id: str, state: BundleState, path: str | None) -> None:
    with session_scope(services.sessions) as session:
        job = get_import(session, job_id)
        job.bundle_state = state
        job.bundle_path = path


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
