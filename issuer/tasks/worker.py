"""``tessera worker``: procrastinate workers, one process each, on any machine that reaches
the database.

Rendering is CPU-bound Python, so a worker runs one job at a time and ``processes`` starts
that many (spawned) worker processes. Each process sends a heartbeat every ``heartbeat``
seconds; a job left ``doing`` by a worker silent for ``stalled_after`` seconds (killed,
machine lost) is put back in the queue by any live worker, and its chunk is rendered again
from the start (docs/decisions/0060-bundle-rendering-on-a-task-engine.md). Every
``housekeeping`` seconds each worker also queues again work left without a job, deletes
old finished jobs and abandoned files (docs/decisions/0065-exports-as-jobs.md).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
import socket
from dataclasses import dataclass
from types import FrameType

import procrastinate

from issuer.config import Settings
from issuer.credentials.qr import use_encoder
from issuer.services import Services
from issuer.tasks.housekeeping import Orphans, keep_house
from issuer.tasks.jobs import conninfo, create_task_app

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerOptions:
    """How workers run: processes, heartbeat period, when a silent worker counts as gone."""

    processes: int = 1
    heartbeat: float = 10.0
    stalled_after: float = 30.0
    # Seconds between housekeeping rounds (issuer/tasks/housekeeping.py).
    housekeeping: float = 60.0


def run_workers(settings: Settings, options: WorkerOptions) -> None:
    """Run ``options.processes`` workers until SIGTERM or SIGINT."""
    if options.processes == 1:
        work(settings, options)
        return
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(target=work, args=(settings, options), name=f"tessera-worker-{n}")
        for n in range(options.processes)
    ]
    for child in children:
        child.start()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        for child in children:
            if child.pid is not None and child.is_alive():
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        child.join()


def work(settings: Settings, options: WorkerOptions) -> None:
    """One worker process: its own connections, jobs one at a time."""
    use_encoder(settings.qr_encoder)
    services = Services.from_settings(settings)
    try:
        connector = procrastinate.PsycopgConnector(conninfo=conninfo(settings.database_url))
        app = create_task_app(services, connector)
        asyncio.run(_run(app, services, options))
    finally:
        services.engine.dispose()


async def _run(app: procrastinate.App, services: Services, options: WorkerOptions) -> None:
    async with app.open_async():
        watcher = asyncio.create_task(_requeue_stalled(app, options))
        tidier = asyncio.create_task(_keep_house(app, services, options))
        try:
            await app.run_worker_async(
                concurrency=1,
                name=f"{socket.gethostname()}:{multiprocessing.current_process().name}",
                update_heartbeat_interval=options.heartbeat,
                stalled_worker_timeout=options.stalled_after,
            )
        finally:
            watcher.cancel()
            tidier.cancel()


async def _requeue_stalled(app: procrastinate.App, options: WorkerOptions) -> None:
    """Put back in the queue the jobs of workers silent for ``stalled_after`` seconds."""
    while True:
        try:
            stalled = await app.job_manager.get_stalled_jobs(
                seconds_since_heartbeat=options.stalled_after
            )
            for job in stalled:
                log.warning("job of a silent worker queued again", extra={"job_id": job.id})
                await app.job_manager.retry_job(job)
        except Exception:  # the database away for a moment: try again next beat
            log.exception("could not look for stalled jobs")
        await asyncio.sleep(options.heartbeat)


async def _keep_house(app: procrastinate.App, services: Services, options: WorkerOptions) -> None:
    """Housekeeping rounds (issuer/tasks/housekeeping.py), the first at start."""
    seen = Orphans()
    while True:
        try:
            seen = await keep_house(app, services, seen)
        except Exception:  # the database away for a moment: try again next round
            log.exception("housekeeping round failed")
        await asyncio.sleep(options.housekeeping)
