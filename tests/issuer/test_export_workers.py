"""Exports and housekeeping on real ``tessera worker`` processes (PostgreSQL, procrastinate).

A worker killed with SIGKILL mid-export and a new one started: the file is complete and
byte for byte the streaming endpoint's. A cancellation stops a queued or a running export
and keeps no file. Another unit's registrar never sees an export. A bundle plan and an
export committed without their jobs (the process died right after its commit) are queued
again by a worker's housekeeping and finished; an old finished job and an abandoned parts
folder are gone after a round.
"""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from issuer.access.tokens import Principal
from issuer.app import create_app
from issuer.campaigns.import_run import ImportRequest, run_import, start_import
from issuer.config import Settings
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.store.models import ExportJob, ImportJob
from issuer.tasks.exports import request_export
from issuer.vocabulary import BundleState, ExportKind, ExportState
from tests.helpers import BASE_URL, PASSPHRASE, fresh_database_url, make_token
from tests.issuer.campaign_files import campaign, request_row, write_csv
from tests.issuer.helpers import plan_campaign_bundle
from tests.servers import prepare_database, start_worker, stop_worker

pytestmark = pytest.mark.postgres

HOLDERS = 36
CHUNK = 3
EVENTS = 150_000  # an audit log long enough for a worker to be caught writing it
ACTOR = Actor("test")
WORKER_OPTIONS = ("--heartbeat", "0.5", "--stalled-after", "3", "--housekeeping-every", "1")


@dataclass
class Case:
    url: str
    work: Path
    settings: Settings
    services: Services
    client: TestClient
    admin: dict[str, str]


@pytest.fixture
def case(
    postgres_server: str,  # noqa: ARG001 (skips without a PostgreSQL server)
    tmp_path: Path,
) -> Iterator[Case]:
    for url in fresh_database_url("postgresql", tmp_path):
        token = prepare_database(url, tmp_path)
        settings = Settings(
            database_url=url,
            keys_dir=tmp_path / "keys",
            key_passphrase=PASSPHRASE,
            base_url=BASE_URL,
            bundle_dir=tmp_path / "bundles",
            export_dir=tmp_path / "exports",
            bundle_chunk_size=CHUNK,
            task_runner="workers",
            rate_limit="off",
        )
        services = Services.from_settings(settings)
        try:
            with TestClient(create_app(settings, services=services)) as client:
                yield Case(
                    url, tmp_path, settings, services, client, {"Authorization": f"Bearer {token}"}
                )
        finally:
            services.engine.dispose()


def _import(case: Case) -> str:
    rows = [request_row(r) for r in campaign()[:HOLDERS]]
    path = write_csv(case.work / "campaign.csv", rows)
    request = ImportRequest(path=path, filename="campaign.csv", dry_run=False, actor=ACTOR)
    with session_scope(case.services.sessions) as session:
        job = start_import(session, request, max_rows=1000, now=case.services.clock())
    run_import(case.services, job.id, request)
    return job.id


def _seed_audit_log(case: Case, events: int) -> None:
    """Many events at once (their chain is not checked by an export)."""
    with case.services.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_events (occurred_at, actor, action, target, details, "
                "prev_hash, hash) SELECT now(), 'seed', 'credential.issue', 'credential:' || g, "
                "'{\"n\": 1}', md5(g::text) || md5('p' || g), md5(g::text) || md5('h' || g) "
                "FROM generate_series(1, :n) g"
            ),
            {"n": events},
        )


def _start_worker(case: Case, name: str) -> subprocess.Popen[bytes]:
    return start_worker(
        case.url, case.work, name, *WORKER_OPTIONS, TESSERA_EXPORT_DIR=str(case.work / "exports")
    )


def _export(case: Case, export_id: str) -> ExportJob:
    with case.services.read_sessions() as session:
        job = session.get_one(ExportJob, export_id)
        session.expunge(job)
        return job


def _wait(case: Case, export_id: str, *states: ExportState, seconds: float = 180) -> ExportJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = _export(case, export_id)
        if job.state in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"the export stayed {_export(case, export_id).state}")


def _jobs(case: Case, status: str, key: str, value: str) -> int:
    with case.services.read_sessions() as session:
        return (
            session.scalar(
                text(
                    "SELECT count(*) FROM procrastinate_jobs "
                    "WHERE status = :status AND args->>:key = :value"
                ),
                {"status": status, "key": key, "value": value},
            )
            or 0
        )


def _files(case: Case) -> list[str]:
    folder = case.work / "exports"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_worker_killed_mid_export_and_a_new_one_write_the_whole_file_once(case: Case) -> None:
    _seed_audit_log(case, EVENTS)
    started = case.client.post("/api/v1/exports?kind=audit", headers=case.admin)
    assert started.status_code == 202, started.text
    export_id = started.json()["id"]
    assert _jobs(case, "todo", "export_id", export_id) == 1
    streamed = case.client.get("/api/v1/audit/export", headers=case.admin).content
    first = _start_worker(case, "first")
    try:
        deadline = time.monotonic() + 120
        while True:
            job = _export(case, export_id)
            assert job.state != ExportState.READY, "the export finished before the kill"
            if job.state == ExportState.RUNNING and job.rows >= 5000:
                first.send_signal(signal.SIGKILL)
                break
            assert time.monotonic() < deadline, "the worker never started writing"
            time.sleep(0.01)
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL
    finally:
        stop_worker(first)
    killed = _export(case, export_id)
    assert killed.state == ExportState.RUNNING
    assert 5000 <= killed.rows < EVENTS
    assert [name for name in _files(case) if name.endswith(".partial")], "no partial file"
    second = _start_worker(case, "second")
    try:
        done = _wait(case, export_id, ExportState.READY)
    finally:
        stop_worker(second)
    assert done.rows == streamed.count(b"\n") > EVENTS
    read = case.client.get(f"/api/v1/exports/{export_id}", headers=case.admin).json()
    assert read["state"] == "ready"
    assert read["rows"] == done.rows
    file = case.client.get(read["download_url"], headers=case.admin)
    assert file.status_code == 200
    assert file.content == streamed
    # The killed run's partial file is gone: only the export's file is left.
    assert _files(case) == [Path(done.path or "").name]
    assert _jobs(case, "succeeded", "export_id", export_id) == 1


def test_cancelling_stops_a_queued_and_a_running_export_and_keeps_no_file(case: Case) -> None:
    _seed_audit_log(case, EVENTS)
    queued = case.client.post("/api/v1/exports?kind=audit", headers=case.admin).json()["id"]
    answer = case.client.post(f"/api/v1/exports/{queued}/cancel", headers=case.admin)
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "cancelled"
    assert _jobs(case, "cancelled", "export_id", queued) == 1
    running = case.client.post("/api/v1/exports?kind=audit", headers=case.admin).json()["id"]
    worker = _start_worker(case, "cancel")
    try:
        deadline = time.monotonic() + 120
        while _export(case, running).rows < 2000:
            assert _export(case, running).state != ExportState.READY, "finished before the cancel"
            assert time.monotonic() < deadline, "the worker never started writing"
            time.sleep(0.01)
        answer = case.client.post(f"/api/v1/exports/{running}/cancel", headers=case.admin)
        assert answer.status_code == 200, answer.text
        stopped_at = answer.json()["rows"]
        time.sleep(3)  # the worker notices at its next report and stops
        job = _export(case, running)
        assert job.state == ExportState.CANCELLED
        assert job.rows < EVENTS
        assert job.rows <= stopped_at + 1000  # at most one more report slipped in
        assert _files(case) == []
        assert _jobs(case, "succeeded", "export_id", running) == 1
    finally:
        stop_worker(worker)
    again = case.client.post(f"/api/v1/exports/{running}/cancel", headers=case.admin)
    assert again.status_code == 409
    assert again.json()["code"] == "export_not_running"
    file = case.client.get(f"/api/v1/exports/{running}/file", headers=case.admin)
    assert file.status_code == 409
    assert file.json()["code"] == "export_not_ready"
    assert _export(case, queued).state == ExportState.CANCELLED  # never written


def test_a_register_export_on_a_worker_is_the_streamed_csv_and_only_its_asker_sees_it(
    case: Case,
) -> None:
    _import(case)
    u05 = {"Authorization": f"Bearer {make_token(case.services, 'registrar', ['U05'])}"}
    u01 = {"Authorization": f"Bearer {make_token(case.services, 'registrar', ['U01'])}"}
    started = case.client.post("/api/v1/exports?sort=holder_name", headers=u05)
    assert started.status_code == 202, started.text
    export_id = started.json()["id"]
    worker = _start_worker(case, "register")
    try:
        _wait(case, export_id, ExportState.READY)
    finally:
        stop_worker(worker)
    read = case.client.get(f"/api/v1/exports/{export_id}", headers=u05).json()
    assert read["rows"] == 7  # of the 36 imported, U05's
    file = case.client.get(read["download_url"], headers=u05)
    streamed = case.client.get("/api/v1/credentials.csv?sort=holder_name", headers=u05)
    assert file.content == streamed.content
    for path in ("", "/file"):
        assert case.client.get(f"/api/v1/exports/{export_id}{path}", headers=u01).status_code == 404
    by_admin = case.client.get(f"/api/v1/exports/{export_id}/file", headers=case.admin)
    assert by_admin.content == file.content


def test_housekeeping_queues_work_left_without_jobs_and_deletes_old_jobs_and_parts(
    case: Case,
) -> None:
    import_id = _import(case)
    # What the bundle route does up to its commit, and an export up to its commit: then the
    # process dies before queueing their jobs.
    plan = plan_campaign_bundle(case.services, import_id, chunk_size=CHUNK)
    with session_scope(case.services.sessions) as session:
        principal_id = session.scalar(text("SELECT min(id) FROM principals"))
        export = request_export(
            session,
            ExportKind.AUDIT,
            principal=_principal(principal_id),
            actor=ACTOR,
            now=case.services.clock(),
        )
        export_id = export.id
    assert _jobs(case, "todo", "run_id", plan.run_id) == 0
    assert _jobs(case, "todo", "export_id", export_id) == 0
    old_job = _finished_job(case, hours_ago=24 * 365)
    recent_job = _finished_job(case, hours_ago=1)
    abandoned = case.work / "bundles" / f"run-{uuid.uuid4()}"
    abandoned.mkdir(parents=True)
    (abandoned / "chunk-000000.json").write_text("[]")
    worker = _start_worker(case, "housekeeping")
    try:
        _wait(case, export_id, ExportState.READY)
        deadline = time.monotonic() + 180
        while (state := _bundle_state(case, import_id)) != BundleState.READY:
            assert state == BundleState.BUILDING  # read once: it may end between two reads
            assert time.monotonic() < deadline, "the bundle was not built"
            time.sleep(0.2)
        time.sleep(2.5)  # one more round after the bundle
    finally:
        stop_worker(worker)
    log = (case.work / "worker-housekeeping.log").read_text(errors="replace")
    assert "queued again" in log
    assert _jobs(case, "succeeded", "run_id", plan.run_id) == plan.chunks + 1  # and assembly
    assert _jobs(case, "succeeded", "export_id", export_id) == 1
    with case.services.read_sessions() as session:
        left = set(session.scalars(text("SELECT id FROM procrastinate_jobs")))
    assert old_job not in left
    assert recent_job in left
    assert not abandoned.exists()
    assert not any((case.work / "bundles").glob("run-*"))


def _principal(principal_id: int) -> Principal:
    return Principal(
        token_id=None,
        name="test",
        role="admin",
        units=(),
        principal_id=principal_id,
        principal_name="test",
    )


def _finished_job(case: Case, *, hours_ago: int) -> int:
    """A job that succeeded ``hours_ago`` hours ago, as procrastinate records one."""
    with case.services.engine.begin() as connection:
        job_id = connection.scalar(
            text(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status) "
                "VALUES ('exports', 'tessera.export.write', '{}', 'succeeded') RETURNING id"
            )
        )
        connection.execute(
            text(
                "UPDATE procrastinate_events SET at = now() - make_interval(hours => :h) "
                "WHERE job_id = :id"
            ),
            {"h": hours_ago, "id": job_id},
        )
        connection.execute(
            text(
                "INSERT INTO procrastinate_events (job_id, type, at) "
                "VALUES (:id, 'succeeded', now() - make_interval(hours => :h))"
            ),
            {"h": hours_ago, "id": job_id},
        )
    assert isinstance(job_id, int)
    return job_id


def _bundle_state(case: Case, import_id: str) -> str | None:
    with case.services.read_sessions() as session:
        return session.scalar(select(ImportJob.bundle_state).where(ImportJob.id == import_id))
