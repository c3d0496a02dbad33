"""Exactly once across a crash: ``kill -9`` a real ``tessera import`` midway, run it again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from issuer.config import Settings
from issuer.services import Services
from issuer.store.models import Credential, ImportJob
from tests.helpers import BASE_URL, PASSPHRASE
from tests.issuer.campaign_files import campaign, request_row, write_csv
from tests.issuer.helpers import load_catalog
from tests.issuer.register_count_helpers import assert_counts_exact

TESSERA = str(Path(sys.executable).parent / "tessera")


def _count(services: Services) -> int:
    with services.read_sessions() as session:
        return session.scalar(select(func.count()).select_from(Credential)) or 0


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "TESSERA_DATABASE_URL": settings.database_url,
        "TESSERA_KEYS_DIR": str(settings.keys_dir),
        "TESSERA_KEY_PASSPHRASE": PASSPHRASE,
        "TESSERA_BASE_URL": BASE_URL,
        "TESSERA_IMPORT_CHUNK_ROWS": "10",  # many small commits: a kill lands between two
    }


# Early, and past 1,000 rows: on PostgreSQL the import has then refreshed the planner's
# statistics between two chunks (issuer/store/statistics.py), which must change nothing.
@pytest.mark.parametrize("kill_after", [100, 1100])
def test_import_killed_midway_then_rerun_issues_each_row_exactly_once(
    services: Services, settings: Settings, tmp_path: Path, kill_after: int
) -> None:
    load_catalog(services)
    path = write_csv(tmp_path / "campaign.csv", (request_row(r) for r in campaign()))
    env = _env(settings)
    process = subprocess.Popen(
        [TESSERA, "import", str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while _count(services) < kill_after and time.monotonic() < deadline:
            assert process.poll() is None, "the import ended before it could be killed"
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    midway = _count(services)
    assert kill_after <= midway < 1391, midway
    with services.read_sessions() as session:
        states = list(session.scalars(select(ImportJob.state)))
    assert states == ["running"]  # the killed run never finished

    rerun = subprocess.run(
        [TESSERA, "import", str(path)], env=env, capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"{1391 - midway} issued, {midway} already issued" in rerun.stdout
    with services.read_sessions() as session:
        total = session.scalar(select(func.count()).select_from(Credential))
        keys = session.scalar(select(func.count(func.distinct(Credential.issuance_key))))
    assert total == keys == 1391
    assert_counts_exact(services)  # the killed run's committed chunks counted once
