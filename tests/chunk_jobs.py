"""What a run of chunk jobs has done, read from its chunks table and procrastinate's queue:
shared by the tests of bundles (``bundle_chunks``) and re-issue runs (``reissue_chunks``)
on real ``tessera worker`` processes."""

from __future__ import annotations

import signal
import subprocess
import time
from typing import Literal

from sqlalchemy import text

from issuer.services import Services

ChunkTable = Literal["bundle_chunks", "reissue_chunks"]


def _count(services: Services, sql: str, params: dict[str, str]) -> int:
    with services.read_sessions() as session:
        return int(session.scalar(text(sql), params) or 0)


def chunks_done(services: Services, table: ChunkTable, run_id: str) -> int:
    return _count(
        services,
        f"SELECT count(*) FROM {table} WHERE run_id = :run AND done_at IS NOT NULL",
        {"run": run_id},
    )


def jobs(services: Services, run_id: str, status: str) -> int:
    """The run's jobs in ``status`` (``todo``, ``doing``, ``succeeded``...)."""
    return _count(
        services,
        "SELECT count(*) FROM procrastinate_jobs WHERE status = :status AND args->>'run_id' = :run",
        {"status": status, "run": run_id},
    )


def chunks_under_way(services: Services, table: ChunkTable, run_id: str) -> int:
    """Jobs taken by a worker whose chunk is not done: chunks being worked on now."""
    return _count(
        services,
        f"SELECT count(*) FROM procrastinate_jobs j JOIN {table} c "
        "ON c.run_id = j.args->>'run_id' AND c.chunk = (j.args->>'chunk')::int "
        "WHERE j.status = 'doing' AND c.run_id = :run AND c.done_at IS NULL",
        {"run": run_id},
    )


def kill_mid_chunk(
    services: Services,
    table: ChunkTable,
    run_id: str,
    chunks: int,
    worker: subprocess.Popen[bytes],
) -> None:
    """SIGKILL ``worker`` once two chunks are done and it is inside a third; fails if it
    finishes the run first."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = chunks_done(services, table, run_id)
        if done >= 2 and chunks_under_way(services, table, run_id):
            worker.send_signal(signal.SIGKILL)
            break
        assert done < chunks, "the worker finished before it could be killed"
        time.sleep(0.005)
    worker.wait(timeout=10)
    assert worker.returncode == -signal.SIGKILL
