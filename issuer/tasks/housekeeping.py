"""What ``tessera worker`` tidies between jobs (docs/decisions/0065-exports-as-jobs.md).

Each round:

- **Work without a job.** A bundle run ``building``, an export ``queued``/``running`` or a
  re-issue run ``queued``/``running`` (decision 0066) that no procrastinate job waits for
  or runs (the process that committed the plan died before
  queueing its jobs, or the queueing failed) is queued again once it was seen so in two
  rounds in a row: a plan committed a moment ago gets its jobs from its own process first.
  The chunks not done are queued (a chunk's done mark keeps each file exactly once), or the
  assembly when every chunk is done; an export's job writes its file from the start; a
  re-issue run's chunks not done (each chunk's done mark keeps every credential re-issued
  exactly once). A
  queueing lock per chunk or export keeps two workers from queueing the same twice.
- **Finished jobs** (succeeded, failed, cancelled, aborted) older than
  ``TESSERA_JOB_RETENTION_HOURS`` are deleted (procrastinate's ``delete_old_jobs``).
- **Files**: parts folders of runs no longer building, and export files past their
  retention or kept by no export.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import select, text

from issuer.campaigns.bundle_chunks import chunks_to_render, discard_abandoned_parts
from issuer.services import Services
from issuer.store.models import ReissueChunk
from issuer.tasks.exports import purge_exports
from issuer.tasks.jobs import JobName
from issuer.tasks.resume import under_way

log = logging.getLogger(__name__)

_WAITING_OR_RUNNING = text(
    "SELECT args->>'run_id', args->>'export_id' FROM procrastinate_jobs "
    "WHERE status IN ('todo', 'doing') AND task_name IN (:render, :assemble, :export)"
)
_REISSUE_WAITING_OR_RUNNING = text(
    "SELECT args->>'run_id' FROM procrastinate_jobs "
    "WHERE status IN ('todo', 'doing') AND task_name = :reissue"
)


@dataclass
class Orphans:
    """Work seen without a job in the last round: queued again if still so in the next."""

    runs: set[str] = field(default_factory=set)
    exports: set[str] = field(default_factory=set)
    reissues: set[str] = field(default_factory=set)


def find_orphans(services: Services) -> Orphans:
    """Bundle runs building and exports under way that no job waits for or runs."""
    left = under_way(services)
    runs = {bundle.run_id for bundle in left.bundles}
    exports = set(left.exports)
    reissues = {run.run_id for run in left.reissues}
    if not runs and not exports and not reissues:
        return Orphans()
    with services.read_sessions() as session:
        names = {
            "render": JobName.RENDER_CHUNK.value,
            "assemble": JobName.ASSEMBLE.value,
            "export": JobName.WRITE_EXPORT.value,
        }
        for run_id, export_id in session.execute(_WAITING_OR_RUNNING, names):
            runs.discard(run_id)
            exports.discard(export_id)
        reissue = {"reissue": JobName.REISSUE_CHUNK.value}
        for (run_id,) in session.execute(_REISSUE_WAITING_OR_RUNNING, reissue):
            reissues.discard(run_id)
    return Orphans({r for r in runs if r is not None}, exports, reissues)


async def requeue_run(app: procrastinate.App, services: Services, run_id: str) -> int:
    """Queue the run's chunks not done, or its assembly; returns how many jobs."""
    chunks = await asyncio.to_thread(chunks_to_render, services, run_id)
    if not chunks:
        with contextlib.suppress(AlreadyEnqueued):  # the same lock as ``defer_assembly``
            await app.configure_task(
                JobName.ASSEMBLE, queueing_lock=f"assemble:{run_id}"
            ).defer_async(run_id=run_id)
        return 1
    return await _queue_chunks(app, JobName.RENDER_CHUNK, "render", run_id, chunks)


async def requeue_export(app: procrastinate.App, export_id: str) -> None:
    """Queue the export's job again."""
    with contextlib.suppress(AlreadyEnqueued):
        await app.configure_task(
            JobName.WRITE_EXPORT, queueing_lock=f"export:{export_id}"
        ).defer_async(export_id=export_id)


async def requeue_reissue(app: procrastinate.App, services: Services, run_id: str) -> int:
    """Queue the re-issue run's chunks not done; returns how many jobs."""
    chunks = await asyncio.to_thread(reissue_chunks_left, services, run_id)
    return await _queue_chunks(app, JobName.REISSUE_CHUNK, "reissue", run_id, chunks)


async def _queue_chunks(
    app: procrastinate.App, task: JobName, lock: str, run_id: str, chunks: list[int]
) -> int:
    """One ``task`` job per chunk, each under its queueing lock; returns how many."""
    for chunk in chunks:
        with contextlib.suppress(AlreadyEnqueued):  # another worker queued it this round
            await app.configure_task(task, queueing_lock=f"{lock}:{run_id}:{chunk}").defer_async(
                run_id=run_id, chunk=chunk
            )
    return len(chunks)


def reissue_chunks_left(services: Services, run_id: str) -> list[int]:
    with services.read_sessions() as session:
        return list(
            session.scalars(
                select(ReissueChunk.chunk)
                .where(ReissueChunk.run_id == run_id, ReissueChunk.done_at.is_(None))
                .order_by(ReissueChunk.chunk)
            )
        )


async def keep_house(app: procrastinate.App, services: Services, seen: Orphans) -> Orphans:
    """One round (module docstring); returns the orphans seen, for the next round."""
    found = await asyncio.to_thread(find_orphans, services)
    for run_id in sorted(found.runs & seen.runs):
        jobs = await requeue_run(app, services, run_id)
        log.warning("bundle run without jobs queued again", extra={"run_id": run_id, "jobs": jobs})
    for export_id in sorted(found.exports & seen.exports):
        await requeue_export(app, export_id)
        log.warning("export without a job queued again", extra={"export_id": export_id})
    for run_id in sorted(found.reissues & seen.reissues):
        jobs = await requeue_reissue(app, services, run_id)
        log.warning(
            "re-issue run without jobs queued again", extra={"run_id": run_id, "jobs": jobs}
        )
    await app.job_manager.delete_old_jobs(
        nb_hours=services.settings.job_retention_hours,
        include_failed=True,
        include_cancelled=True,
        include_aborted=True,
    )
    await asyncio.to_thread(discard_abandoned_parts, services)
    await asyncio.to_thread(purge_exports, services)
    return found
