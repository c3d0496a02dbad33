"""Bulk re-issue run by real ``tessera worker`` processes on PostgreSQL (procrastinate).

A worker killed with SIGKILL midway and a new one started: every credential the key signed
is re-issued exactly once, none missed, with one audit event each, as the in-process path
does on an SQLite copy of the same register. A cancellation stops the chunks not yet run.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from issuer.config import Settings
from issuer.credentials.reissue_runs import ReissuePlan, cancel_reissue
from issuer.services import Services
from issuer.store import migration
from issuer.store.engine import create_db_engine, session_scope
from issuer.store.models import Base, Credential, ReissueChunk, ReissueRun
from issuer.tasks.queue import WorkerQueue
from issuer.tasks.reissue import run_reissue
from tests.chunk_jobs import chunks_done, chunks_under_way, jobs, kill_mid_chunk
from tests.helpers import BASE_URL, PASSPHRASE, fresh_database_url
from tests.issuer.reissue_helpers import ACTOR, compromise_active_key, issue_many, outcome, plan
from tests.servers import prepare_database, start_worker, stop_worker

pytestmark = pytest.mark.postgres

CREDENTIALS = 150
CHUNK = 3


@dataclass
class Register:
    """A PostgreSQL database whose key signed ``CREDENTIALS`` and was then compromised."""

    url: str
    work: Path
    services: Services
    ids: list[str]
    old_kid: str
    new_kid: str


@pytest.fixture
def register(
    postgres_server: str,  # noqa: ARG001 (skips without a PostgreSQL server)
    tmp_path: Path,
) -> Iterator[Register]:
    for url in fresh_database_url("postgresql", tmp_path):
        prepare_database(url, tmp_path)
        settings = Settings(
            database_url=url,
            keys_dir=tmp_path / "keys",
            key_passphrase=PASSPHRASE,
            base_url=BASE_URL,
            task_runner="workers",
            rate_limit="off",
        )
        services = Services.from_settings(settings)
        try:
            ids = issue_many(services, CREDENTIALS)
            old_kid, new_kid = compromise_active_key(services)
            yield Register(url, tmp_path, services, ids, old_kid, new_kid)
        finally:
            services.engine.dispose()


def _queue(case: Register) -> ReissuePlan:
    planned = plan(case.services, case.old_kid, chunk_size=CHUNK)
    queue = WorkerQueue(case.services)
    try:
        queue.start_reissue(planned)
    finally:
        queue.close()
    return planned


def _start_worker(case: Register, name: str) -> subprocess.Popen[bytes]:
    return start_worker(case.url, case.work, name, "--heartbeat", "0.5", "--stalled-after", "3")


def _state(services: Services, run_id: str) -> str:
    with services.read_sessions() as session:
        return session.get_one(ReissueRun, run_id).state


def _wait_state(case: Register, run_id: str, wanted: str, *, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = _state(case.services, run_id)
        if state == wanted:
            return
        assert state in ("queued", "running"), state
        time.sleep(0.2)
    raise AssertionError(f"the run did not become {wanted} in time")


def _sqlite_copy(case: Register) -> Services:
    """The same register copied into SQLite, for the in-process path."""
    url = f"sqlite:///{case.work / 'copy.db'}"
    target = create_db_engine(url)
    migration.upgrade(target)
    with case.services.engine.connect() as source, target.begin() as sink:
        for table in reversed(Base.metadata.sorted_tables):
            sink.execute(table.delete())
        for table in Base.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in source.execute(select(table))]
            if rows:
                sink.execute(table.insert(), rows)
    target.dispose()
    settings = case.services.settings.model_copy(
        update={"database_url": url, "task_runner": "in_process"}
    )
    return Services.from_settings(settings)


def test_worker_killed_midway_and_a_new_one_reissue_every_credential_exactly_once(
    register: Register,
) -> None:
    case = register
    copy = _sqlite_copy(case)  # before anything is re-issued
    planned = _queue(case)
    assert (planned.credentials, planned.chunks) == (CREDENTIALS, CREDENTIALS // CHUNK)
    first = _start_worker(case, "first")
    try:
        kill_mid_chunk(case.services, "reissue_chunks", planned.run_id, planned.chunks, first)
    finally:
        stop_worker(first)
    log = (case.work / "worker-first.log").read_text(errors="replace")[-2000:]
    # Killed mid-chunk: its job is left "doing", its chunk's transaction rolled back.
    assert chunks_under_way(case.services, "reissue_chunks", planned.run_id) == 1, log
    halfway = chunks_done(case.services, "reissue_chunks", planned.run_id)
    assert 2 <= halfway < planned.chunks, log
    assert _state(case.services, planned.run_id) == "running"
    second = _start_worker(case, "second")
    try:
        _wait_state(case, planned.run_id, "done")
    finally:
        stop_worker(second)
    assert jobs(case.services, planned.run_id, "succeeded") == planned.chunks

    after = outcome(case.services, case.ids)
    assert set(after.states.values()) == {"superseded"}
    replacements = [after.replaced_by[cid] for cid in case.ids]
    assert None not in replacements
    assert len(set(replacements)) == CREDENTIALS
    assert set(after.replacement_kids.values()) == {case.new_kid}
    assert dict(after.events) == dict.fromkeys(case.ids, 1)
    with case.services.read_sessions() as session:
        total = session.scalar(select(func.count()).select_from(Credential))
        reissued = session.scalar(
            select(func.sum(ReissueChunk.reissued)).where(ReissueChunk.run_id == planned.run_id)
        )
    assert total == 2 * CREDENTIALS  # no replacement twice, none missing
    assert reissued == CREDENTIALS

    # The in-process path (SQLite) on the same register: the same outcome.
    try:
        run_reissue(copy, plan(copy, case.old_kid, chunk_size=CHUNK))
        here = outcome(copy, case.ids)
        with copy.read_sessions() as session:
            copied_total = session.scalar(select(func.count()).select_from(Credential))
    finally:
        copy.engine.dispose()
    assert here.states == after.states
    assert dict(here.events) == dict(after.events)
    assert set(here.replacement_kids.values()) == {case.new_kid}
    assert copied_total == total


def test_cancelling_stops_the_chunks_not_yet_run(register: Register) -> None:
    case = register
    planned = _queue(case)
    worker = _start_worker(case, "cancelled")
    try:
        deadline = time.monotonic() + 120
        while chunks_done(case.services, "reissue_chunks", planned.run_id) < 1:
            assert time.monotonic() < deadline, "no chunk was run"
            time.sleep(0.005)
        with session_scope(case.services.sessions) as session:
            cancel_reissue(session, case.old_kid, actor=ACTOR, now=case.services.clock())
        queue = WorkerQueue(case.services)
        try:
            queue.cancel_reissue(planned.run_id)
        finally:
            queue.close()
        done = chunks_done(case.services, "reissue_chunks", planned.run_id)
        assert 1 <= done < planned.chunks
        time.sleep(3)  # the worker keeps running: it re-issues nothing more
        assert chunks_done(case.services, "reissue_chunks", planned.run_id) == done
        assert jobs(case.services, planned.run_id, "todo") == 0
    finally:
        stop_worker(worker)
    assert _state(case.services, planned.run_id) == "cancelled"
    states = outcome(case.services, case.ids).states
    assert sum(state == "superseded" for state in states.values()) == done * CHUNK
    assert sum(state == "active" for state in states.values()) == CREDENTIALS - done * CHUNK


def test_a_run_planned_without_its_jobs_is_queued_again_by_housekeeping(
    register: Register,
) -> None:
    """The approval's commit planned the run, then its process died before queueing the
    chunks: a worker's housekeeping finds the run without jobs and queues its chunks, and
    every credential is re-issued exactly once."""
    case = register
    planned = plan(case.services, case.old_kid, chunk_size=CHUNK)  # committed, no job queued
    assert jobs(case.services, planned.run_id, "todo") == 0
    worker = start_worker(
        case.url, case.work, "housekeeping", "--heartbeat", "0.5", "--housekeeping-every", "1"
    )
    try:
        _wait_state(case, planned.run_id, "done")
    finally:
        stop_worker(worker)
    assert "re-issue run without jobs queued again" in (
        case.work / "worker-housekeeping.log"
    ).read_text(errors="replace")
    assert jobs(case.services, planned.run_id, "succeeded") == planned.chunks
    after = outcome(case.services, case.ids)
    assert set(after.states.values()) == {"superseded"}
    assert dict(after.events) == dict.fromkeys(case.ids, 1)
    with case.services.read_sessions() as session:
        total = session.scalar(select(func.count()).select_from(Credential))
    assert total == 2 * CREDENTIALS
