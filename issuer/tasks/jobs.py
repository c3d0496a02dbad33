"""The jobs procrastinate runs, registered on an app built from ``Services``.

Every job is named here once (``JobName``); the web process, the CLI and ``tessera worker``
build the same app, so a job deferred by one runs on any other. The job functions are the
domain's own (``issuer.campaigns.bundle_chunks``); this module only wires them.
"""

from __future__ import annotations

import contextlib
import logging
from enum import StrEnum

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.engine import make_url

from issuer.campaigns.bundle_chunks import (
    assemble_bundle,
    chunks_left,
    fail_bundle,
    render_bundle_chunk,
)
from issuer.services import Services
from issuer.tasks import notices, reissue
from issuer.tasks.exports import fail_export, write_export

log = logging.getLogger(__name__)

QUEUE = "bundles"
EXPORTS_QUEUE = "exports"


class JobName(StrEnum):
    """The task names stored in ``procrastinate_jobs.task_name`` (public to operators)."""

    RENDER_CHUNK = "tessera.bundle.render_chunk"
    ASSEMBLE = "tessera.bundle.assemble"
    REISSUE_CHUNK = "tessera.reissue.chunk"
    SEND_NOTICES = "tessera.notices.send"
    WRITE_EXPORT = "tessera.export.write"


def conninfo(database_url: str) -> str:
    """A libpq connection string for procrastinate from Tessera's SQLAlchemy URL."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError("procrastinate needs PostgreSQL")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def create_task_app(
    services: Services, connector: procrastinate.BaseConnector
) -> procrastinate.App:
    """The procrastinate app with Tessera's jobs, which run against ``services``."""
    app = procrastinate.App(connector=connector)

    @app.task(name=JobName.RENDER_CHUNK, queue=QUEUE)
    def render_chunk(run_id: str, chunk: int) -> None:
        try:
            render_bundle_chunk(services, run_id, chunk)
        except Exception:
            log.exception("bundle chunk failed", extra={"run_id": run_id, "chunk": chunk})
            fail_bundle(services, run_id)
            raise
        if chunks_left(services, run_id) == 0:
            defer_assembly(app, run_id)

    @app.task(name=JobName.ASSEMBLE, queue=QUEUE)
    def assemble(run_id: str) -> None:
        try:
            assemble_bundle(services, run_id)
        except Exception:
            log.exception("bundle assembly failed", extra={"run_id": run_id})
            fail_bundle(services, run_id)
            raise

    @app.task(name=JobName.REISSUE_CHUNK, queue=reissue.QUEUE)
    def reissue_chunk(run_id: str, chunk: int) -> None:
        reissue.run_reissue_chunk(services, run_id, chunk)

    if notices.notices_on_workers(services.settings):

        @app.periodic(cron=notices.notice_cron(services.settings.notice_interval_seconds))
        @app.task(
            name=JobName.SEND_NOTICES,
            queue=notices.QUEUE,
            queueing_lock=notices.QUEUE,
            priority=notices.PRIORITY,
        )
        def send_notices(timestamp: int) -> None:  # noqa: ARG001 (procrastinate's tick)
            notices.send_notices(services)

    @app.task(name=JobName.WRITE_EXPORT, queue=EXPORTS_QUEUE)
    def export(export_id: str) -> None:
        try:
            write_export(services, export_id)
        except Exception:
            log.exception("export failed", extra={"export_id": export_id})
            fail_export(services, export_id)
            raise

    return app


def defer_assembly(app: procrastinate.App, run_id: str) -> None:
    """Queue the run's assembly once, however many last chunks noticed they were last."""
    with contextlib.suppress(AlreadyEnqueued):  # the assembly is queued already
        app.configure_task(JobName.ASSEMBLE, queueing_lock=f"assemble:{run_id}").defer(
            run_id=run_id
        )
