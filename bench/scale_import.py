"""The ``import`` section of bench/scale.py: ``tessera import`` of a generated campaign of
the demo's shape (every row passed, 16 units, 42 occupations, three levels, synthetic names),
once per size, each into a fresh database dropped afterwards.

The import runs as a child process, as an operator runs it; its per-row cost comes from the
job's own start and finish times (the process's start-up is not counted) and its peak RSS
from ``wait4``. Prints the per-row cost at each size, the ratio of the largest to the
smallest (target <= 1.3x; the smallest size runs first and again last, and its cost is the
mean of the two, as the machine's load drifts), and the peak RSS of each run (it must not
grow with the rows).

Figures are ratios within one run: the absolute times depend on what else the machine does.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from issuer.campaigns.demo import campaign_requests, catalog_data, load_catalog_data
from issuer.keys.keystore import create_signing_key
from issuer.store import migration
from issuer.store.engine import create_db_engine, create_session_factory, session_scope
from issuer.store.identity import store_base_url
from issuer.store.models import Credential, ImportJob, StatusAllocation

BASE_URL = "https://certs.example.org"
PASSPHRASE = "bench-passphrase-0123456789"
LEVEL_ZH = {"junior": "初级", "intermediate": "中级", "senior": "高级"}
HEADER = ["姓名", "工号", "职业代码", "等级", "单位", "考试日期", "考场", "成绩", "结果"]


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """An empty, migrated PostgreSQL database, dropped afterwards."""
    admin_url = make_url(admin_url).set(drivername="postgresql+psycopg").render_as_string(False)
    name = f"tessera_scale_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(False)
    try:
        engine = create_db_engine(url)
        migration.upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def write_campaign(path: Path, rows: int) -> None:
    """``rows`` passed exams shaped like the demo campaign's: its candidates' names, units,
    occupations, levels, dates and sessions, cycled, each row a new employee number."""
    base = campaign_requests(catalog_data())
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADER)
        for k in range(rows):
            r = base[k % len(base)]
            writer.writerow(
                [
                    r.holder_name,
                    f"SC{k + 1:08d}",
                    r.occupation,
                    LEVEL_ZH[r.level],
                    r.unit,
                    r.exam_date.isoformat(),
                    r.exam_session,
                    int(r.score or 0),
                    "合格",
                ]
            )


def prepare(url: str, keys_dir: Path) -> None:
    """The issuer's identity, the demo catalog and an active ES256 key."""
    engine = create_db_engine(url)
    now = dt.datetime.now(dt.UTC)
    with session_scope(create_session_factory(engine)) as session:
        store_base_url(session, BASE_URL, now=now)
        load_catalog_data(session, catalog_data())
        create_signing_key(session, keys_dir, PASSPHRASE.encode(), "ES256", now=now)
    engine.dispose()


@dataclass(frozen=True)
class ImportRun:
    rows: int
    seconds: float  # the job's finished_at - created_at: the import, not the start-up
    wall: float  # the child process, start-up included
    peak_rss_mib: float


def run_import(url: str, csv_path: Path, workdir: Path, rows: int, chunk_rows: int) -> ImportRun:
    """``tessera import`` of ``csv_path`` in a child process (report written too)."""
    env = {
        **os.environ,
        "TESSERA_DATABASE_URL": url,
        "TESSERA_KEYS_DIR": str(workdir / "keys"),
        "TESSERA_KEY_PASSPHRASE": PASSPHRASE,
        "TESSERA_BASE_URL": BASE_URL,
        "TESSERA_IMPORT_MAX_ROWS": str(max(rows, 1)),
        "TESSERA_IMPORT_CHUNK_ROWS": str(chunk_rows),
    }
    command = [sys.executable, "-c", "from issuer.cli.main import main; main()", "import"]
    command += [str(csv_path), "--report", str(workdir / "report.csv")]
    start = time.perf_counter()
    child = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert child.stderr is not None
    errors = child.stderr.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"tessera import failed ({child.returncode}):\n{errors[-2000:]}")
    engine = create_db_engine(url)
    with engine.connect() as connection:
        job = connection.execute(select(ImportJob.created_at, ImportJob.finished_at)).one()
        issued = connection.scalar(select(func.count()).select_from(Credential))
        slots = connection.scalar(
            select(func.count()).select_from(
                select(StatusAllocation.list_id, StatusAllocation.index).distinct().subquery()
            )
        )
    engine.dispose()
    assert issued == slots == rows, (issued, slots, rows)  # every row once, every slot its own
    assert job.finished_at is not None
    seconds = (job.finished_at - job.created_at).total_seconds()
    # ru_maxrss is in KiB on Linux.
    return ImportRun(rows, seconds, wall, usage.ru_maxrss / 1024)


def import_section(postgres_url: str, sizes: list[int], chunk_rows: int) -> None:
    """Per-row import cost at each size, their ratio, and each run's peak RSS."""
    runs: list[ImportRun] = []
    # The smallest size again after the others: on a shared machine the load drifts during
    # a run, and the small import's cost is then the mean of one before and one after.
    order = [*sizes, sizes[0]] if len(sizes) > 1 else sizes
    for rows in order:
        with tempfile.TemporaryDirectory() as tmp, fresh_database(postgres_url) as url:
            workdir = Path(tmp)
            prepare(url, workdir / "keys")
            csv_path = workdir / "campaign.csv"
            write_campaign(csv_path, rows)
            run = run_import(url, csv_path, workdir, rows, chunk_rows)
            runs.append(run)
            print(
                f"import {rows:>9,} rows   {run.seconds:8.1f} s   "
                f"{run.seconds / rows * 1e6:7.0f} us/row   peak RSS {run.peak_rss_mib:6.1f} MiB"
                f"   (process {run.wall:.1f} s)",
                flush=True,
            )
    smalls = [run for run in runs if run.rows == sizes[0]]
    small = sum(run.seconds / run.rows for run in smalls) / len(smalls)
    large = runs[len(sizes) - 1]
    ratio = (large.seconds / large.rows) / small
    print(
        f"import per-row cost {large.rows:,} / {sizes[0]:,} rows   {ratio:5.2f}x  (<= 1.3x; "
        f"{sizes[0]:,} rows: mean of the {len(smalls)} runs)"
    )
    growth = large.peak_rss_mib - max(run.peak_rss_mib for run in smalls)
    print(f"import peak RSS {large.rows:,} - {sizes[0]:,} rows   {growth:+6.1f} MiB")
