"""Holder notices sent by a real ``tessera worker`` on PostgreSQL, not by the web server.

A ``tessera serve`` on PostgreSQL (``TESSERA_TASK_RUNNER=auto``) with a mail server queues a
revocation's notice and sends nothing itself; a worker started afterwards sends it, once, to
a real SMTP server (aiosmtpd) the test starts.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text

from issuer.config import Settings
from issuer.services import Services
from issuer.store.models import Notice
from issuer.tasks.notices import notice_cron, notices_on_workers
from tests.helpers import BASE_URL, PASSPHRASE, fresh_database_url
from tests.issuer.helpers import issue_body
from tests.notices.mail_server import MailServer
from tests.servers import TESSERA, prepare_database, server_env, start_server, stop_server

ADDRESS = "wang.xiaoming@example.org"


@pytest.fixture
def database(
    postgres_server: str,  # noqa: ARG001 (skips without a PostgreSQL server)
    tmp_path: Path,
) -> Iterator[tuple[str, str]]:
    for url in fresh_database_url("postgresql", tmp_path):
        yield url, prepare_database(url, tmp_path)


def _notices(url: str) -> list[tuple[str, int]]:
    settings = Settings(
        database_url=url, keys_dir=Path("unused"), key_passphrase=PASSPHRASE, base_url=BASE_URL
    )
    services = Services.from_settings(settings)
    try:
        with services.read_sessions() as session:
            return [
                (row.state, row.attempts)
                for row in session.scalars(select(Notice).order_by(Notice.id))
            ]
    finally:
        services.engine.dispose()


def _notice_jobs(url: str) -> int:
    settings = Settings(
        database_url=url, keys_dir=Path("unused"), key_passphrase=PASSPHRASE, base_url=BASE_URL
    )
    services = Services.from_settings(settings)
    try:
        with services.read_sessions() as session:
            return int(
                session.scalar(
                    text(
                        "SELECT count(*) FROM procrastinate_jobs "
                        "WHERE task_name = 'tessera.notices.send' AND status = 'succeeded'"
                    )
                )
                or 0
            )
    finally:
        services.engine.dispose()


def test_a_revocation_notice_is_sent_by_a_worker_and_not_by_the_server(
    database: tuple[str, str], tmp_path: Path
) -> None:
    url, token = database
    mail = MailServer()
    mail.start()
    try:
        env = server_env(
            url,
            tmp_path,
            TESSERA_SMTP_URL=mail.url,
            TESSERA_MAIL_FROM="notices@tessera.test",
            TESSERA_NOTICE_INTERVAL_SECONDS="1",
        )
        server = start_server(env, tmp_path)
        try:
            headers = {"Authorization": f"Bearer {token}"}
            holder = {"name": "王小明", "employee_number": "E-0001", "email": ADDRESS}
            issued = httpx.post(
                f"{server.url}/api/v1/credentials",
                json=issue_body(holder=holder),
                headers=headers,
                timeout=30,
            )
            assert issued.status_code == 201, issued.text
            revoked = httpx.post(
                f"{server.url}/api/v1/credentials/{issued.json()['id']}/revoke",
                json={"reason": "exam_misconduct"},
                headers=headers,
                timeout=30,
            )
            assert revoked.status_code == 200, revoked.text
            time.sleep(3)  # three of the server's old intervals: it sends nothing now
            assert mail.inbox == []
            assert _notices(url) == [("pending", 0)]

            with (tmp_path / "worker.log").open("wb") as log:
                worker = subprocess.Popen(
                    [TESSERA, "worker", "--heartbeat", "0.5"],
                    cwd=tmp_path,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            try:
                deadline = time.monotonic() + 60
                while not mail.inbox:
                    assert worker.poll() is None, "the worker stopped"
                    assert time.monotonic() < deadline, "no notice arrived"
                    time.sleep(0.1)
                time.sleep(3)  # more ticks: nothing is sent twice
            finally:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)
        finally:
            assert stop_server(server), server.output()[-2000:]
    finally:
        mail.stop()
    [received] = mail.inbox
    assert received.recipients == [ADDRESS]
    assert received.message["Subject"].startswith("证书已撤销 / Credential revoked")
    assert _notices(url) == [("sent", 1)]
    assert _notice_jobs(url) >= 2  # one per tick, each a short job


def test_notices_go_to_workers_only_on_postgresql_with_a_mail_server(tmp_path: Path) -> None:
    base = {
        "keys_dir": tmp_path,
        "key_passphrase": PASSPHRASE,
        "base_url": BASE_URL,
        "smtp_url": "smtp://127.0.0.1:2525",
        "mail_from": "notices@tessera.test",
    }
    postgres = "postgresql://postgres@127.0.0.1:5432/x"
    sqlite = f"sqlite:///{tmp_path / 'x.db'}"
    assert notices_on_workers(Settings(database_url=postgres, **base))  # type: ignore[arg-type]
    assert not notices_on_workers(Settings(database_url=sqlite, **base))  # type: ignore[arg-type]
    assert notices_on_workers(Settings(database_url=sqlite, task_runner="workers", **base))  # type: ignore[arg-type]
    in_process = Settings(database_url=postgres, task_runner="in_process", **base)  # type: ignore[arg-type]
    assert not notices_on_workers(in_process)
    off = Settings(database_url=postgres, notice_interval_seconds=0, **base)  # type: ignore[arg-type]
    assert not notices_on_workers(off)
    no_mail = {k: v for k, v in base.items() if k not in ("smtp_url", "mail_from")}
    assert not notices_on_workers(Settings(database_url=postgres, **no_mail))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "cron"),
    [
        (1, "* * * * * */1"),
        (15, "* * * * * */15"),
        (60, "*/1 * * * *"),
        (300, "*/5 * * * *"),
        (7200, "0 */2 * * *"),
        (43_200, "0 */12 * * *"),
        (86_400, "0 0 * * *"),
    ],
)
def test_the_notice_interval_becomes_a_cron_line(seconds: int, cron: str) -> None:
    assert notice_cron(seconds) == cron
