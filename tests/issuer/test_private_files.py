"""Files at rest are private from their first byte; bundles expire; no password on argv.

Each test runs under a umask of 0, so a file created without an explicit mode would be
world-readable (0666) until something narrowed it; the checks look at the mode while the
file is being written, not only afterwards.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import io
import os
import sqlite3
import stat
import subprocess
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from typer.testing import CliRunner

from issuer.app import create_app
from issuer.campaigns.bundle import purge_expired_bundles, request_bundle
from issuer.campaigns.bundle_chunks import build_bundle
from issuer.campaigns.import_run import ImportRequest, run_import, start_import
from issuer.cli import setup
from issuer.cli.main import app as tessera
from issuer.config import Settings
from issuer.keys.keystore import generate_private_key, write_private_key
from issuer.services import Services
from issuer.store import backup
from issuer.store.audit import Actor
from issuer.store.engine import create_db_engine, session_scope
from issuer.store.models import ImportJob
from issuer.vocabulary import BundleState
from tests.helpers import PASSPHRASE
from tests.issuer.campaign_files import campaign, request_row, write_csv
from tests.issuer.helpers import load_catalog


@contextlib.contextmanager
def _open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sqlite_database_wal_and_shm_are_created_private(tmp_path: Path) -> None:
    database = tmp_path / "new" / "tessera.db"
    with _open_umask():
        engine = create_db_engine(f"sqlite:///{database}")
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (national_id TEXT)"))
            connection.execute(text("INSERT INTO t VALUES ('110101199003070000')"))
            modes = {path.name: _mode(path) for path in database.parent.iterdir() if path.is_file()}
        engine.dispose()
    assert _mode(database.parent) == 0o700
    assert modes == {"tessera.db": 0o600, "tessera.db-wal": 0o600, "tessera.db-shm": 0o600}


def test_existing_world_readable_sqlite_database_is_narrowed(tmp_path: Path) -> None:
    database = tmp_path / "tessera.db"
    sqlite3.connect(database).close()
    database.chmod(0o644)
    create_db_engine(f"sqlite:///{database}").dispose()
    assert _mode(database) == 0o600


def test_signing_key_file_and_keys_directory_are_created_private(tmp_path: Path) -> None:
    keys_dir = tmp_path / "fresh" / "keys"
    with _open_umask():
        write_private_key(keys_dir / "k.pem", generate_private_key("ES256"), PASSPHRASE.encode())
    assert _mode(keys_dir) == 0o700
    assert _mode(keys_dir / "k.pem") == 0o600


def test_secret_files_and_var_directory_are_created_private(tmp_path: Path) -> None:
    target = tmp_path / "var" / "admin-token"
    with _open_umask():
        setup._write_secret(target, "tsr_secret")
    assert _mode(target.parent) == 0o700
    assert _mode(target) == 0o600


def test_backup_archive_is_private_from_its_first_byte(
    services: Services, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "backups" / "tessera.tar"
    seen: list[int] = []
    original = tarfile.TarFile.addfile

    def watching(self: tarfile.TarFile, *args: Any, **kwargs: Any) -> None:
        seen.append(_mode(archive))  # the archive's mode while its members are written
        original(self, *args, **kwargs)

    monkeypatch.setattr(tarfile.TarFile, "addfile", watching)
    with _open_umask():
        backup.create_backup(services.engine, settings.keys_dir, archive)
    assert seen
    assert set(seen) == {0o600}
    assert _mode(archive) == 0o600
    assert _mode(archive.parent) == 0o700
    with tarfile.open(archive) as tar:
        assert {member.mode for member in tar.getmembers()} == {0o600}


def test_restored_key_files_are_private(
    services: Services, settings: Settings, tmp_path: Path
) -> None:
    archive = tmp_path / "b.tar"
    backup.create_backup(services.engine, settings.keys_dir, archive)
    restored = tmp_path / "restored-keys"
    with _open_umask():
        backup.restore_backup(services.engine, restored, archive, force=True)
    assert _mode(restored) == 0o700
    assert [_mode(path) for path in restored.glob("*.pem")] == [0o600]


def _capture_run(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def fake_run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        passfile = kwargs.get("env", {}).get("PGPASSFILE")
        call: dict[str, Any] = {"argv": argv, "env": kwargs.get("env"), "passfile": passfile}
        if passfile:
            call["passfile_mode"] = _mode(Path(passfile))
            call["passfile_text"] = Path(passfile).read_text(encoding="utf-8")
        calls.append(call)
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(backup, "find_program", lambda name: name)
    monkeypatch.setattr(subprocess, "run", fake_run)
    return calls


def test_pg_dump_argv_holds_no_password(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls = _capture_run(monkeypatch)
    monkeypatch.setenv("PGPASSWORD", "from-the-parent")
    engine = create_db_engine("postgresql://tessera:s3cr:et\\pw@127.0.0.1:5432/tessera")
    with _open_umask():
        backup._dump_database(engine, tmp_path / "dump")
    (call,) = calls
    assert not any("s3cr" in argument for argument in call["argv"])
    assert "--dbname=postgresql://tessera@127.0.0.1:5432/tessera" in call["argv"]
    assert call["passfile_mode"] == 0o600
    assert call["passfile_text"] == "*:*:*:*:s3cr\\:et\\\\pw\n"
    assert "PGPASSWORD" not in call["env"]
    assert not Path(call["passfile"]).exists()  # removed as soon as the program is done


def test_pg_restore_argv_holds_no_password_even_in_the_query(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = _capture_run(monkeypatch)
    engine = create_db_engine("postgresql://tessera@127.0.0.1:5432/tessera?password=s3cret")
    backup._run(
        ["pg_restore", f"--dbname={backup._libpq_url(engine)}", str(tmp_path)],
        engine,
    )
    (call,) = calls
    assert not any("s3cret" in argument for argument in call["argv"])
    assert call["passfile_text"] == "*:*:*:*:s3cret\n"


# Bundles: private files, expiry after TESSERA_BUNDLE_TTL_HOURS, purge, share links live on.


def _bundle_services(services: Services, tmp_path: Path, *, hours: float = 0) -> Services:
    settings = services.settings.model_copy(update={"bundle_dir": tmp_path / "var" / "bundles"})
    later = services.clock() + dt.timedelta(hours=hours)
    return dataclasses.replace(services, settings=settings, clock=lambda: later)


def _built_bundle(services: Services, tmp_path: Path) -> tuple[str, Path]:
    load_catalog(services)
    path = write_csv(tmp_path / "c.csv", [request_row(r) for r in campaign()[:2]])
    request = ImportRequest(path=path, filename="c.csv", dry_run=False, actor=Actor("test"))
    with session_scope(services.sessions) as session:
        job = start_import(session, request, max_rows=100, now=services.clock())
    run_import(services, job.id, request)
    with session_scope(services.sessions) as session:
        request_bundle(session, job.id)
    with _open_umask():
        zip_path = build_bundle(services, job.id, actor=Actor("test"), workers=1)
    return job.id, zip_path


def _bundle_state(services: Services, job_id: str) -> str | None:
    with services.sessions() as session:
        return session.scalar(select(ImportJob.bundle_state).where(ImportJob.id == job_id))


def test_bundle_zip_and_directory_are_created_private(services: Services, tmp_path: Path) -> None:
    _job_id, zip_path = _built_bundle(_bundle_services(services, tmp_path), tmp_path)
    assert _mode(zip_path) == 0o600
    assert _mode(zip_path.parent) == 0o700


@pytest.mark.parametrize(
    "purge",
    [
        lambda services: purge_expired_bundles(services),
        lambda services: TestClient(create_app(services.settings, services=services)).close(),
    ],
    ids=["purge", "server start-up"],
)
def test_expired_bundle_is_refused_then_deleted_and_its_share_links_stay_valid(
    services: Services,
    tmp_path: Path,
    admin_headers: dict[str, str],
    purge: Callable[[Services], object],
) -> None:
    now = _bundle_services(services, tmp_path)
    job_id, zip_path = _built_bundle(now, tmp_path)
    manifest = zipfile.ZipFile(zip_path).read("manifest.csv").decode("utf-8-sig")
    share = urlsplit(list(csv.reader(io.StringIO(manifest)))[1][6]).path
    later = _bundle_services(services, tmp_path, hours=72)
    url = f"/api/v1/imports/{job_id}/bundle.zip"
    app = create_app(now.settings, services=now)
    with TestClient(app) as client:
        assert client.get(url, headers=admin_headers).status_code == 200
        # Past the TTL, the download is refused at once, before any purge ran.
        app.state.services = later
        answer = client.get(url, headers=admin_headers)
    assert answer.status_code == 409
    assert answer.json()["code"] == "bundle_expired"
    assert zip_path.exists()
    purge(later)
    assert not zip_path.exists()
    assert _bundle_state(services, job_id) == BundleState.EXPIRED
    with TestClient(create_app(later.settings, services=later)) as client:
        answer = client.get(url, headers=admin_headers)
        assert answer.status_code == 409
        assert answer.json()["code"] == "bundle_expired"
        assert client.get(share).status_code == 200  # the holder's link still works


def test_building_a_bundle_purges_expired_ones(services: Services, tmp_path: Path) -> None:
    old_job, old_zip = _built_bundle(_bundle_services(services, tmp_path), tmp_path)
    later = _bundle_services(services, tmp_path, hours=73)
    with session_scope(later.sessions) as session:
        request_bundle(session, old_job)
    stray = later.settings.bundle_dir / "import-gone.zip.partial"
    stray.write_bytes(b"x")
    os.utime(stray, (0, 0))
    build_bundle(later, old_job, actor=Actor("test"), workers=1)
    assert not stray.exists()
    assert old_zip.exists()  # rebuilt, not expired
    assert _bundle_state(services, old_job) == BundleState.READY


def test_purge_never_deletes_a_file_outside_the_bundle_directory(
    services: Services, tmp_path: Path
) -> None:
    job_id, _zip = _built_bundle(_bundle_services(services, tmp_path), tmp_path)
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me", encoding="utf-8")
    with session_scope(services.sessions) as session:
        job = session.get_one(ImportJob, job_id)
        job.bundle_path = str(outside)  # as if the stored path had been tampered with
    os.utime(outside, (0, 0))
    assert purge_expired_bundles(_bundle_services(services, tmp_path, hours=1)) == 1
    assert outside.exists()


def test_bundles_purge_command(services: Services, settings: Settings, tmp_path: Path) -> None:
    _job, zip_path = _built_bundle(_bundle_services(services, tmp_path), tmp_path)
    os.utime(zip_path, (0, 0))
    env = {
        "TESSERA_DATABASE_URL": settings.database_url,
        "TESSERA_KEYS_DIR": str(settings.keys_dir),
        "TESSERA_KEY_PASSPHRASE": PASSPHRASE,
        "TESSERA_BUNDLE_DIR": str(zip_path.parent),
    }
    result = CliRunner().invoke(tessera, ["bundles", "purge"], env=env)
    assert result.exit_code == 0, result.output
    assert "deleted 1 expired bundles (older than 72 hours)" in result.output
    assert not zip_path.exists()
