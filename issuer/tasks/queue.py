"""Where a bundle's jobs go: procrastinate's queue on PostgreSQL, this process on SQLite.

``create_task_queue`` picks by the database. The web app and the console hand a planned
bundle to ``start_bundle`` (after the plan was committed) and a cancelled run to
``cancel_bundle`` (after the cancellation was committed).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Protocol

import procrastinate
from procrastinate.types import JSONDict
from sqlalchemy.engine import make_url

from issuer.campaigns.bundle_chunks import BundlePlan, fail_bundle, run_bundle
from issuer.credentials.reissue_runs import ReissuePlan, fail_run
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.job_locks import forget_finished_locks, locks_span_processes
from issuer.tasks.exports import fail_export, write_export
from issuer.tasks.jobs import JobName, conninfo, create_task_app, defer_assembly
from issuer.tasks.reissue import run_reissue
from issuer.tasks.resume import UnderWay, under_way

log = logging.getLogger(__name__)


class TaskQueue(Protocol):
    """Runs a planned bundle's jobs somewhere, and forgets a cancelled run's."""

    def start_bundle(self, plan: BundlePlan) -> None: ...

    def cancel_bundle(self, run_id: str) -> None: ...

    def start_reissue(self, plan: ReissuePlan) -> None: ...

    def cancel_reissue(self, run_id: str) -> None: ...
    def start_export(self, export_id: str) -> None: ...

    def cancel_export(self, export_id: str) -> None: ...

    def close(self) -> None: ...


class InProcessQueue:
    """SQLite (``make run``), or PostgreSQL with ``TESSERA_TASK_RUNNER=in_process``: the same
    job functions, one after the other, in this process (chunks rendered in a pool of
    ``TESSERA_RENDER_WORKERS`` processes). Each job holds its work's lock while it runs, and
    ``resume`` takes up what a stopped server left under way (decision 0067,
    ``issuer/tasks/resume.py``)."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def left_under_way(self) -> UnderWay | None:
        """The work under way now, read when a server starts, before it serves a request
        (so nothing it is asked for is in it); ``None`` on an in-memory database."""
        if not locks_span_processes(self._services.engine):
            return None
        return under_way(self._services)

    def resume(self, left: UnderWay) -> None:
        """Do what ``left`` holds that no running job holds (in another process, or in this
        one since ``left`` was read)."""
        forget_finished_locks(self._services.engine, left.lock_names())
        for export_id in left.exports:
            log.warning("export left under way taken up again", extra={"export_id": export_id})
            self.start_export(export_id)
        for bundle in left.bundles:
            log.warning("bundle left building taken up again", extra={"run_id": bundle.run_id})
            self.start_bundle(bundle)
        for run in left.reissues:
            log.warning("re-issue run left under way taken up again", extra={"run_id": run.run_id})
            self.start_reissue(run)

    def start_bundle(self, plan: BundlePlan) -> None:
        with contextlib.suppress(Exception):  # recorded as bundle_state "failed"
            run_bundle(self._services, plan, workers=self._services.settings.render_workers)

    def cancel_bundle(self, run_id: str) -> None:
        """Nothing to dequeue: the chunks left see the cancellation and do nothing."""

    def start_reissue(self, plan: ReissuePlan) -> None:
        with contextlib.suppress(Exception):  # recorded as the run's state "failed"
            run_reissue(self._services, plan)

    def cancel_reissue(self, run_id: str) -> None:
        """Nothing to dequeue: the chunks left see the cancellation and do nothing."""

    def start_export(self, export_id: str) -> None:
        try:
            write_export(self._services, export_id)
        except Exception:  # recorded as the export's state "failed"
            log.exception("export failed", extra={"export_id": export_id})
            fail_export(self._services, export_id)

    def cancel_export(self, export_id: str) -> None:
        """Nothing to dequeue: a running export sees the cancellation at its next report."""

    def close(self) -> None:
        """Nothing held."""


class WorkerQueue:
    """PostgreSQL: one procrastinate job per chunk, for ``tessera worker`` processes."""

    def __init__(self, services: Services) -> None:
        self._services = services
        connector = procrastinate.SyncPsycopgConnector(
            conninfo=conninfo(services.settings.database_url), min_size=0, max_size=2
        )
        self._app = create_task_app(services, connector)
        self._lock = threading.Lock()
        self._open = False

    def _opened(self) -> procrastinate.App:
        with self._lock:
            if not self._open:
                self._app.open()
                self._open = True
        return self._app

    def start_bundle(self, plan: BundlePlan) -> None:
        try:
            app = self._opened()
            if plan.chunks == 0:
                defer_assembly(app, plan.run_id)
                return
            jobs: list[JSONDict] = [{"run_id": plan.run_id, "chunk": n} for n in range(plan.chunks)]
            app.configure_task(JobName.RENDER_CHUNK).batch_defer(*jobs)
        except Exception:
            log.exception("bundle jobs could not be queued", extra={"run_id": plan.run_id})
            fail_bundle(self._services, plan.run_id)

    def cancel_bundle(self, run_id: str) -> None:
        app = self._opened()
        for job in app.job_manager.list_jobs(task=JobName.RENDER_CHUNK, status="todo"):
            if job.task_kwargs.get("run_id") == run_id and job.id is not None:
                app.job_manager.cancel_job_by_id(job.id)

    def start_reissue(self, plan: ReissuePlan) -> None:
        try:
            jobs: list[JSONDict] = [{"run_id": plan.run_id, "chunk": n} for n in range(plan.chunks)]
            if jobs:
                self._opened().configure_task(JobName.REISSUE_CHUNK).batch_defer(*jobs)
        except Exception:
            log.exception("re-issue jobs could not be queued", extra={"run_id": plan.run_id})
            with session_scope(self._services.sessions) as session:
                fail_run(session, plan.run_id, now=self._services.clock())

    def cancel_reissue(self, run_id: str) -> None:
        app = self._opened()
        for job in app.job_manager.list_jobs(task=JobName.REISSUE_CHUNK, status="todo"):
            if job.task_kwargs.get("run_id") == run_id and job.id is not None:
                app.job_manager.cancel_job_by_id(job.id)

    def start_export(self, export_id: str) -> None:
        try:
            self._opened().configure_task(JobName.WRITE_EXPORT).defer(export_id=export_id)
        except Exception:
            log.exception("export job could not be queued", extra={"export_id": export_id})
            fail_export(self._services, export_id)

    def cancel_export(self, export_id: str) -> None:
        app = self._opened()
        for job in app.job_manager.list_jobs(task=JobName.WRITE_EXPORT, status="todo"):
            if job.task_kwargs.get("export_id") == export_id and job.id is not None:
                app.job_manager.cancel_job_by_id(job.id)

    def close(self) -> None:
        with self._lock:
            if self._open:
                self._app.close()
                self._open = False


def create_task_queue(services: Services) -> TaskQueue:
    """Workers' queue on PostgreSQL, this process on SQLite (``TESSERA_TASK_RUNNER``)."""
    runner = services.settings.task_runner
    postgres = make_url(services.settings.database_url).get_backend_name() == "postgresql"
    if runner == "workers" or (runner == "auto" and postgres):
        return WorkerQueue(services)  # refuses SQLite: procrastinate needs PostgreSQL
    return InProcessQueue(services)
