"""Backup and restore: the database and the encrypted key files in one tar archive.

The archive holds ``manifest.json``, the database (SQLite: a consistent copy made with the
online backup API while the server runs; PostgreSQL: a ``pg_dump`` custom-format dump) and
``keys/*.pem`` exactly as stored, encrypted with the key passphrase. The passphrase is never
in the archive: keep it apart (docs/operations.md), or the archive's keys cannot be used.

Restoring refuses a database that holds credentials or keys unless ``force`` is given.
"""

from __future__ import annotations

import io
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from issuer.errors import ConfigurationError, ConflictError, InvalidInputError
from issuer.store.models import Credential, SigningKey

FORMAT: Final = "tessera-backup/1"
_PG_BIN_DIRS: Final = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


@dataclass(frozen=True)
class BackupSummary:
    """What an archive holds (or what a restore brought back)."""

    database: str
    credentials: int
    keys: int


def _count(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        credentials = connection.scalar(select(func.count()).select_from(Credential)) or 0
        keys = connection.scalar(select(func.count()).select_from(SigningKey)) or 0
    return credentials, keys


def find_program(name: str) -> str:
    """``pg_dump``/``pg_restore`` on PATH, else the newest under /usr/lib/postgresql."""
    found = shutil.which(name)
    for directory in _PG_BIN_DIRS:
        if found is None and (directory / name).is_file():
            found = str(directory / name)
    if found is None:
        raise ConfigurationError(f"{name} not found: install PostgreSQL's client programs")
    return found


def _libpq_url(engine: Engine) -> str:
    url = engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _run(argv: list[str]) -> None:
    # No shell; the URL is an argument. Only the program's last line is shown (no secrets).
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=3600)  # noqa: S603
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise ConfigurationError(f"{Path(argv[0]).name}: {last}")


def _dump_database(engine: Engine, target: Path) -> str:
    if engine.url.get_backend_name() == "sqlite":
        source = sqlite3.connect(str(engine.url.database))
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # a consistent snapshot, even while the server writes
        finally:
            copy.close()
            source.close()
        return "sqlite"
    _run([find_program("pg_dump"), "--format=custom", "--no-owner", f"--file={target}",
          f"--dbname={_libpq_url(engine)}"])  # fmt: skip
    return "postgresql"


def create_backup(engine: Engine, keys_dir: Path, archive: Path) -> BackupSummary:
    """Write the database and the key files to ``archive`` (a new tar file)."""
    if archive.exists():
        raise ConflictError(f"{archive} exists; choose a new file name")
    credentials, keys = _count(engine)
    with tempfile.TemporaryDirectory(prefix="tessera-backup-") as scratch:
        dump = Path(scratch) / "database"
        kind = _dump_database(engine, dump)
        key_files = sorted(keys_dir.glob("*.pem")) if keys_dir.is_dir() else []
        manifest = {"format": FORMAT, "database": kind, "credentials": credentials, "keys": keys}
        archive.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive, "x") as tar:
            _add_bytes(tar, "manifest.json", orjson.dumps(manifest))
            tar.add(dump, arcname="database")
            for path in key_files:
                tar.add(path, arcname=f"keys/{path.name}")
    archive.chmod(0o600)  # the keys are encrypted, the personal data in the database is not
    return BackupSummary(kind, credentials, keys)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.extractfile("manifest.json")
        manifest: dict[str, Any] = orjson.loads(member.read() if member else b"")
    except (KeyError, orjson.JSONDecodeError):
        raise InvalidInputError("not a Tessera backup (no manifest)") from None
    if manifest.get("format") != FORMAT:
        raise InvalidInputError("not a Tessera backup of a known format")
    return manifest


def _holds_data(engine: Engine) -> bool:
    try:
        return _count(engine) != (0, 0)
    except SQLAlchemyError:  # no tables yet: an empty database
        return False


def restore_backup(engine: Engine, keys_dir: Path, archive: Path, *, force: bool) -> BackupSummary:
    """Restore ``archive`` into ``engine``'s database and ``keys_dir``."""
    if not archive.is_file():
        raise InvalidInputError(f"{archive} is not a file")
    with tarfile.open(archive, "r") as tar, tempfile.TemporaryDirectory() as scratch:
        manifest = _read_manifest(tar)
        if manifest["database"] != engine.url.get_backend_name():
            raise InvalidInputError(
                f"the backup is of a {manifest['database']} database; this one is not"
            )
        if _holds_data(engine) and not force:
            raise ConflictError("the database holds credentials or keys; use --force to replace")
        tar.extractall(scratch, filter="data")
        _restore_database(engine, Path(scratch) / "database")
        _restore_keys(Path(scratch) / "keys", keys_dir, force=force)
    credentials, keys = _count(engine)
    return BackupSummary(manifest["database"], credentials, keys)


def _restore_database(engine: Engine, dump: Path) -> None:
    if engine.url.get_backend_name() == "sqlite":
        engine.dispose()
        source = sqlite3.connect(dump)
        target = sqlite3.connect(str(engine.url.database))
        try:
            source.backup(target)  # replaces every page of the target
        finally:
            target.close()
            source.close()
        return
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    _run([find_program("pg_restore"), "--no-owner", "--exit-on-error",
          f"--dbname={_libpq_url(engine)}", str(dump)])  # fmt: skip


def _restore_keys(source: Path, keys_dir: Path, *, force: bool) -> None:
    keys_dir.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.pem")) if source.is_dir() else []:
        target = keys_dir / path.name
        data = path.read_bytes()
        if target.exists() and target.read_bytes() != data and not force:
            raise ConflictError(f"{target} differs from the backup's; use --force to replace")
        target.write_bytes(data)
        target.chmod(0o600)
