"""Faults: the database stops under load, the disk is read-only or full.

The PostgreSQL outage runs on a throwaway cluster this test creates (``initdb``/``pg_ctl``
on a spare port, as the ``postgres`` user since initdb refuses root), never the shared
server. Disk faults use real mounts (a size-limited tmpfs, a read-only bind mount), which
need root; elsewhere those tests skip with the reason, and fail under CI.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.issuer.helpers import issue_body
from tests.servers import (
    TESSERA,
    Server,
    free_port,
    prepare_database,
    server_env,
    start_server,
    stop_server,
)

_PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the fault tests: {reason}")
    pytest.skip(f"fault test skipped: {reason}")


@dataclass
class Cluster:
    """A throwaway PostgreSQL cluster owned by the ``postgres`` user."""

    bin_dir: Path
    home: Path
    port: int

    def ctl(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin_dir / "pg_ctl"),
             "-D", str(self.home / "data"), *args],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=on"
        self.ctl("-o", options, "-l", str(self.home / "log"), "-w", "start")

    def stop(self) -> None:
        self.ctl("-m", "immediate", "-w", "stop")  # a crash: no clean shutdown of sessions


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    found = [d for d in _PG_BIN if (d / "initdb").is_file() and (d / "pg_ctl").is_file()]
    _require(bool(found), "initdb/pg_ctl not found (Debian package postgresql)")
    _require(os.geteuid() == 0 and shutil.which("runuser") is not None, "needs root and runuser")
    # Outside pytest's temporary tree, whose root-only directories postgres cannot enter.
    home = Path(tempfile.mkdtemp(prefix="tessera-pg-"))
    shutil.chown(home, "postgres", "postgres")
    subprocess.run(
        ["runuser", "-u", "postgres", "--", str(found[0] / "initdb"), "-D", str(home / "data"),
         "-A", "trust", "-U", "postgres", "--no-sync"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    pg = Cluster(found[0], home, free_port())
    pg.start()
    try:
        yield pg
    finally:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(pg.bin_dir / "pg_ctl"),
             "-D", str(home / "data"), "-m", "immediate", "stop"],
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        shutil.rmtree(home, ignore_errors=True)


@dataclass
class Outcome:
    kind: str
    status: int  # 0: the request did not complete (timeout or connection error)
    credential_id: str | None = None


def _load(server: Server, token: str, stop: threading.Event, out: list[Outcome], n: int) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    count = 0
    with httpx.Client(base_url=server.url, timeout=20) as client:
        while not stop.is_set():
            count += 1
            holder = {"name": f"Load {n}-{count}", "employee_number": f"L{n}-{count}"}
            exam = {"date": "2026-10-14", "session": f"S{n}-{count}", "score": 70}
            try:
                issued = client.post(
                    "/api/v1/credentials", json=issue_body(holder=holder, exam=exam), headers=auth
                )
                body = issued.json()
                out.append(Outcome("issue", issued.status_code, body.get("id")))
                if issued.status_code == 503:
                    assert body["code"] == "database_unavailable"
                verified = client.post("/api/v1/verify", json={"credential": "x.y.z"})
                out.append(Outcome("verify", verified.status_code))
                page = client.get("/v/00000000-0000-4000-8000-000000000000")
                out.append(Outcome("page", page.status_code))
            except httpx.HTTPError as exc:
                out.append(Outcome(f"error {type(exc).__name__} {exc.request.url.path}", 0))
            time.sleep(0.05)


def _issued(outcomes: list[Outcome], start: int, status: int) -> bool:
    return any(o.kind == "issue" and o.status == status for o in outcomes[start:])


def _wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    """Poll until ``condition`` holds or ``timeout`` passes, rather than sleep a fixed time;
    the assertions after the load say what was missing."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)


def test_database_outage_answers_503_fast_and_recovers_losing_nothing(
    cluster: Cluster, tmp_path: Path
) -> None:
    admin = f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/postgres"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("CREATE DATABASE tessera"))
    engine.dispose()
    url = f"postgresql://postgres@127.0.0.1:{cluster.port}/tessera"
    token = prepare_database(url, tmp_path)
    server = start_server(server_env(url, tmp_path), tmp_path)
    outcomes: list[Outcome] = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=_load, args=(server, token, stop, outcomes, n)) for n in range(4)
    ]
    try:
        for thread in threads:
            thread.start()
        _wait_for(lambda: _issued(outcomes, 0, 201))
        cluster.stop()
        down_from = len(outcomes)
        time.sleep(5)  # a sustained outage: every thread meets it many times
        ready = httpx.get(f"{server.url}/readyz", timeout=20)
        assert ready.status_code == 503
        assert "database" in ready.json()["failing"]
        cluster.start()
        up_from = len(outcomes)
        _wait_for(lambda: _issued(outcomes, up_from, 201))
        time.sleep(1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    try:
        assert not any(t.is_alive() for t in threads), "a request hung"
        assert [o.kind for o in outcomes if o.status == 0] == [], "every request completed"
        assert {o.status for o in outcomes} <= {200, 201, 404, 503}
        down = outcomes[down_from:up_from]
        assert any(o.kind == "issue" and o.status == 503 for o in down)
        assert all(o.kind != "verify" or o.status in (200, 503) for o in down)
        assert any(o.kind == "issue" and o.status == 201 for o in outcomes[up_from:]), "recovery"
        assert httpx.get(f"{server.url}/readyz", timeout=20).status_code == 200
        acknowledged = [o.credential_id for o in outcomes if o.status == 201]
        with httpx.Client(base_url=server.url, timeout=20) as client:
            for credential_id in acknowledged:
                read = client.get(
                    f"/api/v1/credentials/{credential_id}",
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert read.status_code == 200, "an acknowledged issuance was lost"
    finally:
        assert stop_server(server), server.output()[-3000:]


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs; unmounted afterwards."""
    _require(os.geteuid() == 0 and shutil.which("mount") is not None, "needs root to mount")
    where = tmp_path / "disk"
    where.mkdir()
    _mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where))
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=30, check=False)


def _cli_issue(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TESSERA, "issue", "--name", "Disk Fault", "--employee-number", "D-1",
         "--occupation", "6-17-05-01", "--level", "senior", "--unit", "U01",
         "--exam-date", "2026-10-14", "--exam-session", "D-1"],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def _fill(path: Path) -> None:
    """Write to ``path`` until the file system is full."""
    with path.open("wb") as handle:
        while True:
            handle.write(b"\0" * 65536)
            handle.flush()


def test_full_disk_gives_a_503_problem_and_one_cli_line(small_disk: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{small_disk / 'tessera.db'}"
    token = prepare_database(url, tmp_path)
    env = server_env(url, tmp_path)
    server = start_server(env, tmp_path)
    try:
        filler = small_disk / "filler"
        with pytest.raises(OSError, match=re.escape(os.strerror(errno.ENOSPC))):
            _fill(filler)
        auth = {"Authorization": f"Bearer {token}"}
        refused = [
            httpx.post(
                f"{server.url}/api/v1/credentials",
                json=issue_body(holder={"name": "Full", "employee_number": f"F-{n}"}),
                headers=auth,
                timeout=30,
            )
            for n in range(3)
        ]
        assert {r.status_code for r in refused} == {503}
        assert {r.json()["code"] for r in refused} == {"storage_full"}
        cli = _cli_issue(env, tmp_path)
        assert cli.returncode == 1
        assert "Traceback" not in cli.stderr
        assert cli.stderr.strip().splitlines() == [
            "error: the database's disk is full: writes are refused"
        ]
        filler.unlink()
        ok = httpx.post(f"{server.url}/api/v1/credentials", json=issue_body(), headers=auth)
        assert ok.status_code == 201, "writes resume once there is space"
    finally:
        assert stop_server(server)


def test_read_only_database_refuses_writes_with_a_503_problem(tmp_path: Path) -> None:
    path = tmp_path / "tessera.db"
    token = prepare_database(f"sqlite:///{path}", tmp_path)
    # SQLite opens the file read-only (mode=ro): every write meets SQLITE_READONLY, as on a
    # read-only file system, while reads go on. Root ignores file modes, so chmod would not.
    env = server_env(f"sqlite:///file:{path}?mode=ro&uri=true", tmp_path)
    server = start_server(env, tmp_path)
    try:
        auth = {"Authorization": f"Bearer {token}"}
        refused = httpx.post(
            f"{server.url}/api/v1/credentials", json=issue_body(), headers=auth, timeout=30
        )
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "database_read_only"
        assert httpx.get(f"{server.url}/.well-known/jwks.json").status_code == 200
        cli = _cli_issue(env, tmp_path)
        assert cli.returncode == 1
        assert "Traceback" not in cli.stderr
        assert cli.stderr.strip().splitlines() == [
            "error: the database is read-only: writes are refused"
        ]
    finally:
        assert stop_server(server)
