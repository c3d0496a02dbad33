"""Work a stopped server left under way is taken up by the next one (decision 0067).

A process that dies midway (here a real process holding a job's lock, killed with SIGKILL)
leaves an export, a bundle and a re-issue run under way; the next server takes each up,
and their outputs come out exactly once. Work whose lock a live process holds is left
alone. On SQLite the lock is a file; on PostgreSQL with jobs in the server's process
(``TESSERA_TASK_RUNNER=in_process``, as these tests run) an advisory lock, held here by a
real connection of another process. With workers on PostgreSQL, housekeeping does this
(tests/issuer/test_export_workers.py).
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from issuer.access.tokens import Principal
from issuer.app import create_app
from issuer.campaigns import bundle_chunks
from issuer.campaigns.bundle_chunks import run_bundle
from issuer.config import Settings
from issuer.errors import ConflictError, IssuerErrorCode
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.store.job_locks import (
    BUNDLE,
    EXPORT,
    REISSUE,
    advisory_key,
    advisory_key_parts,
    job_lock,
    lock_folder,
    lock_name,
)
from issuer.store.models import Credential, ExportJob, ImportJob, ReissueRun
from issuer.tasks import export_files
from issuer.tasks import exports as export_jobs
from issuer.tasks import reissue as reissue_jobs
from issuer.tasks.exports import request_export, write_export
from issuer.tasks.reissue import run_reissue
from issuer.vocabulary import BundleState, ExportKind, ExportState
from tests.helpers import make_token
from tests.issuer.helpers import import_campaign, load_catalog, plan_campaign_bundle
from tests.issuer.reissue_helpers import compromise_active_key, issue_many, outcome, plan

ACTOR = Actor("test")
HOLDERS = 6
_HOLD_FILE = (
    "import fcntl, os, sys, time\n"
    "descriptor = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
    "fcntl.flock(descriptor, fcntl.LOCK_EX)\n"
    "print('held', flush=True)\n"
    "time.sleep(600)\n"
)
_HOLD_ADVISORY = (
    "import sys, time, psycopg\n"
    "connection = psycopg.connect(sys.argv[1], autocommit=True)\n"
    "connection.execute('SELECT pg_advisory_lock(%s)', (int(sys.argv[2]),))\n"
    "print('held', flush=True)\n"
    "time.sleep(600)\n"
)


_ADVISORY_LOCKS_HERE = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def _export(services: Services, *, running: bool) -> str:
    """A register export asked for; ``running``: a job had written part of it."""
    with session_scope(services.sessions) as session:
        principal = Principal(
            token_id=None,
            name="test",
            role="admin",
            units=(),
            principal_id=1,
            principal_name="test",
        )
        job = request_export(
            session, ExportKind.REGISTER, principal=principal, actor=ACTOR, now=services.clock()
        )
        if running:
            job.state, job.rows = ExportState.RUNNING, 3
        return job.id


def _hold(services: Services, kind: str, item_id: str) -> subprocess.Popen[str]:
    """Another process holding the work's lock, as a running job does."""
    if services.engine.dialect.name == "postgresql":
        url = services.engine.url.set(drivername="postgresql")
        arguments = [_HOLD_ADVISORY, url.render_as_string(hide_password=False)]
        arguments.append(str(advisory_key(kind, item_id)))
    else:
        folder = lock_folder(services.engine)
        assert folder is not None
        folder.mkdir(mode=0o700, exist_ok=True)
        arguments = [_HOLD_FILE, str(folder / lock_name(kind, item_id))]
    holder = subprocess.Popen([sys.executable, "-c", *arguments], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    return holder


def _kill(holder: subprocess.Popen[str]) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    if holder.stdout is not None:
        holder.stdout.close()


def _served(settings: Settings, services: Services, done: Callable[[], bool]) -> None:
    """Start the app (its start-up takes up work left under way) until ``done`` or the
    start-up's thread has ended."""
    with TestClient(create_app(settings, services=services)):
        deadline = time.monotonic() + 180
        while not done() and _resuming():
            assert time.monotonic() < deadline, "the work left under way was not done"
            time.sleep(0.1)


def _resuming() -> bool:
    return any(t.name == "tessera-resume" for t in threading.enumerate())


def _export_state(services: Services, export_id: str) -> str:
    with services.read_sessions() as session:
        return session.get_one(ExportJob, export_id).state


def test_a_server_takes_up_an_export_a_bundle_and_a_reissue_left_under_way(
    settings: Settings, services: Services, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    import_id = import_campaign(services, tmp_path, HOLDERS)
    export_id = _export(services, running=True)
    bundle = plan_campaign_bundle(services, import_id, chunk_size=2)
    with services.read_sessions() as session:
        imported = list(session.scalars(select(Credential.id)))
    old_kid, _new = compromise_active_key(services)
    run = plan(services, old_kid, chunk_size=2)
    # A server rendering the bundle's first chunk dies (SIGKILL) with its lock.
    _kill(_hold(services, BUNDLE, bundle.run_id))

    def finished() -> bool:
        with services.read_sessions() as session:
            bundle_state = session.get_one(ImportJob, import_id).bundle_state
            run_state = session.get_one(ReissueRun, run.run_id).state
        return (
            _export_state(services, export_id) == ExportState.READY
            and bundle_state == BundleState.READY
            and run_state == "done"
        )

    _served(settings, services, finished)
    assert finished()
    with TestClient(create_app(settings, services=services)) as client:
        read = client.get(f"/api/v1/exports/{export_id}", headers=admin_headers).json()
        assert read["rows"] == HOLDERS  # written from the start, before the re-issue
        file = client.get(read["download_url"], headers=admin_headers).content
        bundle_file = client.get(f"/api/v1/imports/{import_id}/bundle.zip", headers=admin_headers)
    assert file.count(b"\r\n") == HOLDERS + 1
    assert bundle_file.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(bundle_file.content)).namelist()
    assert len(names) == len(set(names))  # every holder's files once
    assert sum(name.endswith(".pdf") for name in names) == HOLDERS
    after = outcome(services, imported)
    assert len(imported) == HOLDERS
    assert set(after.states.values()) == {"superseded"}
    assert [after.events[i] for i in imported] == [1] * HOLDERS  # each re-issued once


def test_work_a_live_process_holds_is_left_alone_until_that_process_dies(
    settings: Settings, services: Services
) -> None:
    load_catalog(services)
    issue_many(services, 2)
    free = _export(services, running=True)
    held = _export(services, running=True)
    holder = _hold(services, EXPORT, held)
    try:
        _served(settings, services, lambda: False)  # until the start-up's thread ends
        assert _export_state(services, free) == ExportState.READY
        assert _export_state(services, held) == ExportState.RUNNING
        with TestClient(create_app(settings, services=services)) as client:
            headers = {"Authorization": f"Bearer {make_token(services)}"}
            read = client.get(f"/api/v1/exports/{free}", headers=headers).json()
            file = client.get(read["download_url"], headers=headers).content
            assert file == client.get("/api/v1/credentials.csv", headers=headers).content
    finally:
        _kill(holder)
    _served(settings, services, lambda: _export_state(services, held) == ExportState.READY)
    assert _export_state(services, held) == ExportState.READY


def test_finished_work_leaves_no_lock_behind(settings: Settings, services: Services) -> None:
    load_catalog(services)
    issue_many(services, 2)
    exports = [_export(services, running=True) for _ in range(2)]
    _served(settings, services, lambda: False)  # both written, each holding its lock
    with services.read_sessions() as session:
        assert session.scalars(select(ExportJob.state)).all() == ["ready", "ready"]
    folder = lock_folder(services.engine)
    if folder is None:  # PostgreSQL: each advisory lock was given back when its job ended
        with services.engine.connect() as connection:
            held = connection.scalar(text(_ADVISORY_LOCKS_HERE))
        assert held == 0
        return
    # SQLite: a finished export's lock file goes at a later start, once it is an hour old.
    assert all((folder / lock_name(EXPORT, export_id)).exists() for export_id in exports)
    with services.engine.begin() as connection:
        connection.execute(update(ExportJob).values(state=ExportState.READY))
    old = time.time() - 7200
    for path in folder.glob("export-*.lock"):
        os.utime(path, (old, old))
    _served(settings, services, lambda: not any(folder.glob("export-*.lock")))
    assert not any(folder.glob("export-*.lock"))
    with services.read_sessions() as session:
        assert session.scalars(select(ExportJob.state)).all() == ["ready", "ready"]


def test_the_commands_leave_work_a_live_process_holds_alone(
    services: Services, tmp_path: Path
) -> None:
    import_id = import_campaign(services, tmp_path, HOLDERS)
    bundle = plan_campaign_bundle(services, import_id, chunk_size=2)
    old_kid, _new = compromise_active_key(services)
    run = plan(services, old_kid, chunk_size=2)
    holders = [_hold(services, BUNDLE, bundle.run_id), _hold(services, REISSUE, run.run_id)]
    try:
        with pytest.raises(ConflictError) as refused:
            run_bundle(services, bundle, workers=1)
        assert refused.value.code == IssuerErrorCode.BUNDLE_BUILDING
        assert run_reissue(services, run) is False
    finally:
        for holder in holders:
            _kill(holder)
    with services.read_sessions() as session:
        assert session.get_one(ImportJob, import_id).bundle_state == BundleState.BUILDING
        assert session.get_one(ReissueRun, run.run_id).state == "queued"
    assert run_reissue(services, run) is True  # the holder is gone: the command does it
    with services.read_sessions() as session:
        assert session.get_one(ReissueRun, run.run_id).state == "done"


def test_a_jobs_lock_is_its_own_until_the_job_ends(services: Services) -> None:
    work, other = str(uuid.uuid4()), str(uuid.uuid4())
    with job_lock(services.engine, EXPORT, work) as first:
        with job_lock(services.engine, EXPORT, work) as second:
            assert (bool(first), bool(second)) == (True, False)
            assert first.still_held()
        with job_lock(services.engine, REISSUE, work) as another_kind:
            assert another_kind
        with job_lock(services.engine, EXPORT, other) as another_export:
            assert another_export
    with job_lock(services.engine, EXPORT, work) as again:
        assert again


# A PostgreSQL lock goes with its connection, which can end while its job runs (a network
# break, a restarted server, idle_session_timeout). A file lock cannot be lost while its
# process lives, so these run on PostgreSQL only.
ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
_LOCK_BACKEND = (
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
)


def _end_lock_connection(services: Services, kind: str, item_id: str) -> None:
    """End the database connection that holds the work's advisory lock, and wait until
    PostgreSQL has dropped the lock with it."""
    high, low = advisory_key_parts(advisory_key(kind, item_id))
    with services.engine.connect() as connection:
        pids = connection.scalars(text(_LOCK_BACKEND), {"high": high, "low": low}).all()
        assert len(pids) == 1
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pids[0]})
        connection.commit()
        deadline = time.monotonic() + 10
        while connection.scalars(text(_LOCK_BACKEND), {"high": high, "low": low}).all():
            assert time.monotonic() < deadline, "the lock outlived its connection"
            time.sleep(0.05)
            connection.commit()


def _lose_the_lock_after(
    monkeypatch: pytest.MonkeyPatch, owner: object, step: str, kind: str
) -> None:
    """``owner.step`` (called as ``step(services, item_id, ...)``) ends the connection that
    holds the item's lock once it has done its part."""
    original = getattr(owner, step)

    def step_then_lose_the_lock(services: Services, item_id: str, *args: Any, **kwargs: Any) -> Any:
        done = original(services, item_id, *args, **kwargs)
        _end_lock_connection(services, kind, item_id)
        return done

    monkeypatch.setattr(owner, step, step_then_lose_the_lock)


@ON_POSTGRESQL
def test_a_reissue_run_that_loses_its_lock_stops_and_the_next_taker_finishes_it(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_catalog(services)
    imported = issue_many(services, HOLDERS)
    old_kid, _new = compromise_active_key(services)
    run = plan(services, old_kid, chunk_size=2)
    _lose_the_lock_after(monkeypatch, reissue_jobs, "run_reissue_chunk", REISSUE)
    assert run_reissue(services, run) is False  # stopped after its first chunk
    monkeypatch.undo()
    with services.read_sessions() as session:
        assert session.get_one(ReissueRun, run.run_id).state == "running"
    assert list(outcome(services, imported).states.values()).count("superseded") == 2
    assert run_reissue(services, run) is True  # the next taker does the chunks left
    after = outcome(services, imported)
    assert set(after.states.values()) == {"superseded"}
    assert [after.events[i] for i in imported] == [1] * HOLDERS  # each re-issued once


@ON_POSTGRESQL
def test_a_bundle_that_loses_its_lock_stays_building_for_the_next_taker(
    services: Services,
    admin_headers: dict[str, str],
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import_id = import_campaign(services, tmp_path, HOLDERS)
    bundle = plan_campaign_bundle(services, import_id, chunk_size=2)
    _lose_the_lock_after(monkeypatch, bundle_chunks, "render_bundle_chunk", BUNDLE)
    with pytest.raises(ConflictError) as stopped:
        run_bundle(services, bundle, workers=1)
    monkeypatch.undo()
    assert stopped.value.code == IssuerErrorCode.BUNDLE_BUILDING
    with services.read_sessions() as session:
        assert session.get_one(ImportJob, import_id).bundle_state == BundleState.BUILDING
    run_bundle(services, bundle, workers=1)  # the next taker renders the chunks left
    with TestClient(create_app(settings, services=services)) as client:
        file = client.get(f"/api/v1/imports/{import_id}/bundle.zip", headers=admin_headers)
    assert file.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(file.content)).namelist()
    assert len(names) == len(set(names))  # every holder's files once
    assert sum(name.endswith(".pdf") for name in names) == HOLDERS


@ON_POSTGRESQL
@pytest.mark.parametrize(("rows_per_part", "stopped_at"), [(2, 2), (200, HOLDERS)])
def test_an_export_that_loses_its_lock_stops_and_the_next_taker_writes_it_whole(
    services: Services,
    admin_headers: dict[str, str],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    rows_per_part: int,
    stopped_at: int,
) -> None:
    """Parts of 2 rows: stopped at the report after the lock was lost. One part for all:
    stopped after the last report, before the file is kept."""
    load_catalog(services)
    issue_many(services, HOLDERS)
    export_id = _export(services, running=False)
    monkeypatch.setattr(export_files, "ROWS_PER_PART", rows_per_part)
    _lose_the_lock_after(monkeypatch, export_jobs, "_report", EXPORT)
    assert write_export(services, export_id, every=2) is False
    monkeypatch.undo()
    with services.read_sessions() as session:
        job = session.get_one(ExportJob, export_id)
        assert (job.state, job.rows, job.path) == (ExportState.RUNNING, stopped_at, None)
    assert not list(settings.export_dir.iterdir())  # no file left behind
    assert write_export(services, export_id, every=2) is True
    with TestClient(create_app(settings, services=services)) as client:
        read = client.get(f"/api/v1/exports/{export_id}", headers=admin_headers).json()
        file = client.get(read["download_url"], headers=admin_headers).content
        assert file == client.get("/api/v1/credentials.csv", headers=admin_headers).content
    assert read["rows"] == HOLDERS
