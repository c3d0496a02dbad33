"""``bench/scale.py`` section ``render``: a bundle rendered by 1, 2 (and 4) worker processes.

A fresh PostgreSQL database (dropped afterwards) gets a campaign of ``holders`` through the
import (one transaction per chunk of rows, the product's bulk path); then, for each worker
count, that many ``tessera worker`` processes are started and left to register, the bundle
is queued (``bundle_chunk_size`` holders a job), and the clock runs until it is ``ready``.
Worker start-up is outside the timing; the ratios come from one run.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from issuer.campaigns.bundle import request_bundle
from issuer.campaigns.bundle_chunks import plan_bundle
from issuer.campaigns.demo import campaign_requests, catalog_data, load_catalog_data
from issuer.campaigns.import_run import ImportRequest, run_import, start_import
from issuer.config import Settings
from issuer.keys.keystore import create_signing_key
from issuer.services import Services
from issuer.store import migration
from issuer.store.audit import Actor
from issuer.store.engine import create_db_engine, create_session_factory, session_scope
from issuer.store.identity import store_base_url
from issuer.store.models import ImportJob
from issuer.tasks.queue import WorkerQueue
from issuer.vocabulary import BundleState

BASE_URL = "https://certs.example.org"
PASSPHRASE = "bench-passphrase-0123456789"
LEVEL_ZH = {"junior": "初级", "intermediate": "中级", "senior": "高级"}
TESSERA = str(Path(sys.executable).parent / "tessera")
ACTOR = Actor("bench")


@dataclass(frozen=True)
class RenderTiming:
    """One bundle: how many worker processes, seconds from queued to ready."""

    workers: int
    seconds: float


def write_campaign(path: Path, holders: int) -> None:
    """``holders`` rows: the demo campaign, repeated with new employee numbers past 1,391."""
    demo = campaign_requests(catalog_data())
    lines = ["姓名,工号,职业代码,等级,单位,考试日期,考场,成绩,结果"]
    for n in range(holders):
        r = demo[n % len(demo)]
        lap = n // len(demo)
        number = r.employee_number if lap == 0 else f"{r.employee_number}-{lap}"
        lines.append(
            f"{r.holder_name},{number},{r.occupation},{LEVEL_ZH[r.level]},{r.unit},"
            f"{r.exam_date.isoformat()},{r.exam_session},{int(r.score or 0)},合格"
        )
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new database on the server of ``server_url``, dropped on the way out."""
    name = f"tessera_bench_{uuid.uuid4().hex[:12]}"
    admin = make_url(server_url).set(drivername="postgresql+psycopg")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def prepare(database_url: str, work: Path, chunk_size: int) -> Services:
    settings = Settings(
        database_url=database_url,
        keys_dir=work / "keys",
        key_passphrase=PASSPHRASE,
        base_url=BASE_URL,
        bundle_dir=work / "bundles",
        bundle_chunk_size=chunk_size,
        task_runner="workers",
        rate_limit="off",
    )
    return ready_services(settings)


def ready_services(settings: Settings) -> Services:
    """Services on a new database: migrated, the issuer's identity stored, the demo
    catalogue loaded and an ES256 signing key made (``settings.key_passphrase`` set)."""
    assert settings.key_passphrase is not None
    assert settings.base_url is not None
    passphrase = settings.key_passphrase.get_secret_value().encode()
    engine = create_db_engine(settings.database_url)
    migration.upgrade(engine)
    with session_scope(create_session_factory(engine)) as session:
        store_base_url(session, settings.base_url, now=dt.datetime.now(dt.UTC))
    engine.dispose()
    services = Services.from_settings(settings)
    with session_scope(services.sessions) as session:
        load_catalog_data(session, catalog_data())
        create_signing_key(session, settings.keys_dir, passphrase, "ES256", now=services.clock())
    return services


def worker_env(services: Services) -> dict[str, str]:
    settings = services.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update(
        TESSERA_DATABASE_URL=settings.database_url,
        TESSERA_KEYS_DIR=str(settings.keys_dir),
        TESSERA_KEY_PASSPHRASE=PASSPHRASE,
        TESSERA_BASE_URL=BASE_URL,
        TESSERA_BUNDLE_DIR=str(settings.bundle_dir),
    )
    return env


def time_bundle(services: Services, import_id: str, workers: int, work: Path) -> float:
    """Start ``workers`` worker processes, queue the bundle, seconds until it is ready."""
    log = (work / f"workers-{workers}.log").open("wb")
    processes = [
        subprocess.Popen(
            [TESSERA, "worker"], env=worker_env(services), stdout=log, stderr=subprocess.STDOUT
        )
        for _ in range(workers)
    ]
    try:
        _wait_registered(services, workers)
        queue = WorkerQueue(services)
        with session_scope(services.sessions) as session:
            request_bundle(session, import_id)
            plan = plan_bundle(
                session,
                import_id,
                actor=ACTOR,
                units=None,
                chunk_size=services.settings.bundle_chunk_size,
                services=services,
            )
        start = time.perf_counter()
        queue.start_bundle(plan)
        queue.close()
        while True:
            with services.read_sessions() as session:
                state = session.get_one(ImportJob, import_id).bundle_state
            if state == BundleState.READY:
                return time.perf_counter() - start
            if state != BundleState.BUILDING:
                raise RuntimeError(f"bundle {state}: see {log.name}")
            time.sleep(0.1)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
        log.close()


def _wait_registered(services: Services, workers: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with services.read_sessions() as session:
            live = session.scalar(
                text(
                    "SELECT count(*) FROM procrastinate_workers "
                    "WHERE last_heartbeat > now() - interval '15 seconds'"
                )
            )
        if (live or 0) >= workers:
            return
        time.sleep(0.2)
    raise RuntimeError("the workers did not start")


def run_render(
    server_url: str, holders: int, worker_counts: list[int], chunk_size: int
) -> list[RenderTiming]:
    """The section: one campaign, one bundle per worker count, in this order."""
    with (
        tempfile.TemporaryDirectory(prefix="tessera-bench-render-") as tmp,
        scratch_database(server_url) as url,
    ):
        work = Path(tmp)
        services = prepare(url, work, chunk_size)
        try:
            path = work / "campaign.csv"
            write_campaign(path, holders)
            request = ImportRequest(path=path, filename=path.name, dry_run=False, actor=ACTOR)
            with session_scope(services.sessions) as session:
                job = start_import(session, request, max_rows=10_000_000, now=services.clock())
            issued = run_import(services, job.id, request).issued
            if issued != holders:
                raise RuntimeError(f"issued {issued} of {holders}")
            return [
                RenderTiming(count, time_bundle(services, job.id, count, work))
                for count in worker_counts
            ]
        finally:
            services.engine.dispose()


def report_render(timings: list[RenderTiming], holders: int) -> list[str]:
    """Lines to print: each run's time and rate, and each against one worker."""
    lines = [f"render: a bundle of {holders} holders (PDF, badge, token each)"]
    base = next((t.seconds for t in timings if t.workers == 1), None)
    for timing in timings:
        rate = holders / timing.seconds
        line = f"  {timing.workers} worker(s): {timing.seconds:7.2f} s  {rate:7.1f} holders/s"
        if base is not None and timing.workers != 1:
            line += f"  {base / timing.seconds:.2f}x one worker"
        lines.append(line)
    return lines
