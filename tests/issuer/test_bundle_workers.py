"""Bundles rendered by real ``tessera worker`` processes on PostgreSQL (procrastinate).

A worker killed with SIGKILL mid-chunk, and a new one started: every holder's files are in
the zip exactly once, byte for byte what the in-process path renders from an SQLite copy of
the same database. A bundle asked for through a server that then stops is finished by a
worker alone. A cancellation stops the chunks not yet rendered.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import signal
import subprocess
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from issuer.app import create_app
from issuer.campaigns.bundle import request_bundle
from issuer.campaigns.bundle_chunks import BundlePlan, build_bundle
from issuer.campaigns.import_run import ImportRequest, run_import, start_import
from issuer.config import Settings
from issuer.services import Services
from issuer.store import migration
from issuer.store.audit import Actor
from issuer.store.engine import create_db_engine, session_scope
from issuer.store.models import Base, ImportJob, ShareLink
from issuer.tasks.queue import WorkerQueue
from issuer.vocabulary import BundleState
from tests.chunk_jobs import chunks_done, chunks_under_way, jobs, kill_mid_chunk
from tests.helpers import BASE_URL, PASSPHRASE, fresh_database_url
from tests.issuer.campaign_files import campaign, request_row, write_csv
from tests.issuer.helpers import plan_campaign_bundle
from tests.servers import (
    prepare_database,
    server_env,
    start_server,
    start_worker,
    stop_server,
    stop_worker,
)

pytestmark = pytest.mark.postgres

HOLDERS = 36
CHUNK = 3
ACTOR = Actor("test")


@dataclass
class Campaign:
    """A PostgreSQL database with an imported campaign, and how to reach it."""

    url: str
    work: Path
    token: str
    settings: Settings
    services: Services
    import_id: str


@pytest.fixture
def imported(
    postgres_server: str,  # noqa: ARG001 (skips without a PostgreSQL server)
    tmp_path: Path,
) -> Iterator[Campaign]:
    for url in fresh_database_url("postgresql", tmp_path):
        token = prepare_database(url, tmp_path)
        settings = _settings(url, tmp_path)
        services = Services.from_settings(settings)
        try:
            rows = [request_row(r) for r in campaign()[:HOLDERS]]
            path = write_csv(tmp_path / "campaign.csv", rows)
            request = ImportRequest(path=path, filename="campaign.csv", dry_run=False, actor=ACTOR)
            with session_scope(services.sessions) as session:
                job = start_import(session, request, max_rows=1000, now=services.clock())
            run_import(services, job.id, request)
            yield Campaign(url, tmp_path, token, settings, services, job.id)
        finally:
            services.engine.dispose()


def _settings(url: str, work: Path, **extra: object) -> Settings:
    return Settings(
        database_url=url,
        keys_dir=work / "keys",
        key_passphrase=PASSPHRASE,
        base_url=BASE_URL,
        bundle_dir=work / "bundles",
        bundle_chunk_size=CHUNK,
        task_runner="workers",
        rate_limit="off",
        **extra,  # type: ignore[arg-type]
    )


def _queue_bundle(services: Services, import_id: str) -> BundlePlan:
    plan = plan_campaign_bundle(services, import_id, chunk_size=CHUNK)
    queue = WorkerQueue(services)
    try:
        queue.start_bundle(plan)
    finally:
        queue.close()
    return plan


def _start_worker(case: Campaign, name: str) -> subprocess.Popen[bytes]:
    return start_worker(case.url, case.work, name, "--heartbeat", "0.5", "--stalled-after", "3")


def _bundle_state(services: Services, import_id: str) -> tuple[str | None, str | None]:
    with services.read_sessions() as session:
        job = session.get_one(ImportJob, import_id)
        return job.bundle_state, job.bundle_path


def _wait_ready(case: Campaign, *, seconds: float = 180) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state, path = _bundle_state(case.services, case.import_id)
        if state == BundleState.READY and path:
            return Path(path)
        assert state == BundleState.BUILDING, state
        time.sleep(0.2)
    raise AssertionError("the bundle was not built in time")


_PDF_STAMPS = re.compile(rb"/(CreationDate|ModDate) \(D:[^)]*\)|/ID\s*\[[^\]]*\]")


def _digests(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each holder file's SHA-256 (a PDF's without the time reportlab stamps into it)."""
    names = archive.namelist()
    assert len(names) == len(set(names)), "a file is in the zip twice"
    digests = {}
    for name in names:
        if name == "manifest.csv":
            continue
        data = archive.read(name)
        if name.endswith(".pdf"):
            data = _PDF_STAMPS.sub(b"", data)
        digests[name] = hashlib.sha256(data).hexdigest()
    return digests


def _manifest(archive: zipfile.ZipFile) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    return rows[1:]


def _sqlite_rendering(case: Campaign) -> zipfile.ZipFile:
    """The same database copied into SQLite, bundled by the in-process path."""
    copy_dir = case.work / "sqlite-copy"
    copy_dir.mkdir()
    url = f"sqlite:///{copy_dir / 'copy.db'}"
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
    settings = case.settings.model_copy(
        update={
            "database_url": url,
            "bundle_dir": copy_dir / "bundles",
            "task_runner": "in_process",
        }
    )
    services = Services.from_settings(settings)
    try:
        with session_scope(services.sessions) as session:
            request_bundle(session, case.import_id)
        path = build_bundle(services, case.import_id, actor=ACTOR, workers=1)
        return zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    finally:
        services.engine.dispose()


def test_worker_killed_mid_chunk_and_a_new_one_yield_every_file_exactly_once(
    imported: Campaign,
) -> None:
    case = imported
    plan = _queue_bundle(case.services, case.import_id)
    assert plan.chunks == HOLDERS // CHUNK
    first = _start_worker(case, "first")
    try:
        kill_mid_chunk(case.services, "bundle_chunks", plan.run_id, plan.chunks, first)
    finally:
        stop_worker(first)
    # Killed mid-chunk: its job is left "doing", the bundle not finished.
    log = (case.work / "worker-first.log").read_text(errors="replace")[-2000:]
    assert chunks_under_way(case.services, "bundle_chunks", plan.run_id) == 1, log
    assert chunks_done(case.services, "bundle_chunks", plan.run_id) < plan.chunks, log
    second = _start_worker(case, "second")
    try:
        path = _wait_ready(case)
    finally:
        stop_worker(second)
    assert jobs(case.services, plan.run_id, "succeeded") == plan.chunks + 1  # and assembly
    archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    manifest = _manifest(archive)
    numbers = [row[2] for row in manifest]
    assert len(numbers) == HOLDERS == len(set(numbers))
    with case.services.read_sessions() as session:
        # The killed chunk's share links were never committed: one link per holder.
        assert session.scalar(select(func.count()).select_from(ShareLink)) == HOLDERS
    expected = _sqlite_rendering(case)
    assert _digests(archive) == _digests(expected)
    assert len(_digests(archive)) == 3 * HOLDERS
    # The same manifest, share links aside (each build makes new ones).
    assert [row[:6] + row[7:] for row in manifest] == [
        row[:6] + row[7:] for row in _manifest(expected)
    ]
    assert not any((case.work / "bundles").glob("run-*")), "parts left behind"


def test_a_bundle_asked_through_a_server_is_finished_by_a_worker_after_the_server_stopped(
    imported: Campaign,
) -> None:
    case = imported
    env = server_env(case.url, case.work, TESSERA_BUNDLE_CHUNK_SIZE=str(CHUNK))
    server = start_server(env, case.work)
    try:
        headers = {"Authorization": f"Bearer {case.token}"}
        answer = httpx.post(
            f"{server.url}/api/v1/imports/{case.import_id}/bundle", headers=headers, timeout=30
        )
        assert answer.status_code == 202, answer.text
        assert answer.json()["bundle_progress"] == {
            "chunks_done": 0,
            "chunks_total": HOLDERS // CHUNK,
        }
    finally:
        assert stop_server(server), server.output()[-2000:]
    time.sleep(1)  # no server, no worker: nothing moves
    state, _ = _bundle_state(case.services, case.import_id)
    assert state == BundleState.BUILDING
    with case.services.read_sessions() as session:
        run_id = session.get_one(ImportJob, case.import_id).bundle_run
    assert run_id is not None
    assert jobs(case.services, run_id, "todo") == HOLDERS // CHUNK
    worker = _start_worker(case, "alone")
    try:
        path = _wait_ready(case)
    finally:
        stop_worker(worker)
    assert worker.returncode in (0, -signal.SIGTERM)
    archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    assert len(_manifest(archive)) == HOLDERS
    assert len(_digests(archive)) == 3 * HOLDERS


def test_cancelling_stops_the_chunks_not_yet_rendered(imported: Campaign) -> None:
    case = imported
    app = create_app(case.settings, services=case.services)
    headers = {"Authorization": f"Bearer {case.token}"}
    with TestClient(app) as client:
        started = client.post(f"/api/v1/imports/{case.import_id}/bundle", headers=headers)
        assert started.status_code == 202
        with case.services.read_sessions() as session:
            run_id = session.get_one(ImportJob, case.import_id).bundle_run
        assert run_id is not None
        worker = _start_worker(case, "cancelled")
        try:
            deadline = time.monotonic() + 120
            while chunks_done(case.services, "bundle_chunks", run_id) < 1:
                assert time.monotonic() < deadline, "no chunk was rendered"
                time.sleep(0.01)
            cancelled = client.post(
                f"/api/v1/imports/{case.import_id}/bundle/cancel", headers=headers
            )
            assert cancelled.status_code == 200, cancelled.text
            body = cancelled.json()
            assert body["bundle_state"] == "cancelled"
            done = body["bundle_progress"]["chunks_done"]
            assert 1 <= done < HOLDERS // CHUNK
            time.sleep(3)  # the worker keeps running: it renders nothing more
            assert chunks_done(case.services, "bundle_chunks", run_id) == done
            assert jobs(case.services, run_id, "todo") == 0
            again = client.post(f"/api/v1/imports/{case.import_id}/bundle/cancel", headers=headers)
            assert again.status_code == 409
            assert again.json()["code"] == "bundle_not_building"
            read = client.get(f"/api/v1/imports/{case.import_id}", headers=headers).json()
            assert read["bundle_state"] == "cancelled"
            assert (
                client.get(
                    f"/api/v1/imports/{case.import_id}/bundle.zip", headers=headers
                ).status_code
                == 409
            )
        finally:
            stop_worker(worker)
    with case.services.read_sessions() as session:
        links = session.scalar(select(func.count()).select_from(ShareLink))
    assert links == done * CHUNK  # only the chunks rendered before the cancellation
    assert not any((case.work / "bundles").glob("import-*.zip"))
    assert not any((case.work / "bundles").glob("run-*"))
