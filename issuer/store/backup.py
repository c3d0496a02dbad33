"""Backup and restore: the database and the encrypted key files in one tar archive.

The archive holds ``manifest.json``, the database (SQLite: a consistent copy made with the
online backup API while the server runs; PostgreSQL: a ``pg_dump`` custom-format dump) and
``keys/*.pem`` exactly as stored, encrypted with the key passphrase. The passphrase is never
in the archive: keep it apart (docs/operations.md), or the archive's keys cannot be used.

Restoring refuses a database that holds credentials or keys unless ``force`` is given.
"""

from __future__ import annotations

import io
import os
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
from issuer.store.private_files import create_private_file, private_dir, write_private_file

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
    """The database URL for ``--dbname``, without any password (argv is readable by all)."""
    # ``URL.set(password=None)`` keeps the password; ``_replace`` is the documented way.
    url = engine.url._replace(password=None).set(drivername="postgresql")
    url = url.difference_update_query([key for key in url.query if key.lower() == "password"])
    return url.render_as_string(hide_password=False)


def _passfile_line(engine: Engine) -> str:
    """A ``.pgpass`` line giving the URL's password for any host, port, database and user."""
    password = engine.url.password or str(engine.url.query.get("password", ""))
    escaped = str(password).replace("\\", "\\\\").replace(":", "\\:")
    return f"*:*:*:*:{escaped}\n"


def _run(argv: list[str], engine: Engine) -> None:
    """Run a PostgreSQL client program; the password reaches it in a 0600 ``PGPASSFILE``.

    No shell, and no secret on the command line (``ps`` shows it to every user). Only the
    program's last line is shown (no secrets).
    """
    environment = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="tessera-pg-") as scratch:
        if engine.url.password or engine.url.query.get("password"):
            passfile = Path(scratch) / "pgpass"
            with create_private_file(passfile) as handle:
                handle.write(_passfile_line(engine).encode("utf-8"))
            environment["PGPASSFILE"] = str(passfile)
            environment.pop("PGPASSWORD", None)
        done = subprocess.run(  # noqa: S603
            argv, capture_output=True, text=True, check=False, timeout=3600, env=environment
        )
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
          f"--dbname={_libpq_url(engine)}"], engine)  # fmt: skip
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
        private_dir(archive.parent)
        # 0600 from its first byte: the keys are encrypted, the personal data is not.
        try:
            handle = create_private_file(archive)
        except FileExistsError:
            raise ConflictError(f"{archive} exists; choose a new file name") from None
        try:
            with handle, tarfile.open(fileobj=handle, mode="w") as tar:
                _add_bytes(tar, "manifest.json", orjson.dumps(manifest))
                tar.add(dump, arcname="database", filter=_private_member)
                for path in key_files:
                    tar.add(path, arcname=f"keys/{path.name}", filter=_private_member)
        except BaseException:
            archive.unlink(missing_ok=True)  # no half-written archive left behind
            raise
    return BackupSummary(kind, credentials, keys)


def _private_member(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mode = 0o600
    return info


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
          f"--dbname={_libpq_url(engine)}", str(dump)], engine)  # fmt: skip


def _restore_keys(source: Path, keys_dir: Path, *, force: bool) -> None:
    private_dir(keys_dir, narrow=True)
    for path in sorted(source.glob("*.pem")) if source.is_dir() else []:
        target = keys_dir / path.name
        data = path.read_bytes()
        if target.exists() and target.read_bytes() != data and not force:
            raise ConflictError(f"{target} differs from the backup's; use --force to replace")
        write_private_file(target, data)
