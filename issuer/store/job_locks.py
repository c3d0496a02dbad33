"""One lock per piece of background work that runs in a server's or a command's process:
an export, a bundle, a re-issue run (decision 0067).

``job_lock`` holds the work's lock for as long as the work runs, and the lock goes with the
process that holds it, even on ``kill -9``: a free lock means no live process runs that
work, so the next server may take it up.

- SQLite: an exclusive ``flock`` on ``<database>.jobs/<kind>-<id>.lock``.
- PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a connection of its
  own, in autocommit (no transaction is held open). It spans every process and machine
  that shares the database, and the server releases it when that connection ends.
- An in-memory database is one process's alone: the lock is always granted.

A PostgreSQL lock can be lost while its job runs: its connection may end (a network break,
a restarted server, ``idle_session_timeout``) and the lock with it, and then a replica that
starts may take the same work up. So a job asks ``JobLock.still_held()`` before each part of
its work it would commit (an export's progress report and its end, a chunk, an assembly)
and stops when the answer is no, leaving the work under way for whoever holds the lock
next. A file lock cannot be lost while its process lives.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from issuer.store.private_files import private_dir

log = logging.getLogger(__name__)

EXPORT, BUNDLE, REISSUE = "export", "bundle", "reissue"
FRESH_LOCK_SECONDS: Final = 3600
"""Lock files younger than this are kept: their work may have been asked for a moment ago."""


def lock_folder(engine: Engine) -> Path | None:
    """``<database>.jobs/`` for an SQLite file; ``None`` for any other database."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    database = Path(url.database)
    return database.with_name(f"{database.name}.jobs")


def locks_span_processes(engine: Engine) -> bool:
    """Whether ``job_lock`` tells this process's work from another's: on PostgreSQL and on
    an SQLite file, not on an in-memory database."""
    return engine.dialect.name == "postgresql" or lock_folder(engine) is not None


def advisory_key(kind: str, item_id: str) -> int:
    """The PostgreSQL advisory lock key (a signed 64-bit integer) of one piece of work."""
    digest = hashlib.sha256(f"tessera:{lock_name(kind, item_id)}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def advisory_key_parts(key: int) -> tuple[int, int]:
    """How ``pg_locks`` shows a 64-bit advisory key: ``classid`` holds its high 32 bits,
    ``objid`` its low 32 bits (both unsigned), ``objsubid`` is 1."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    return unsigned >> 32, unsigned & 0xFFFF_FFFF


def lock_name(kind: str, item_id: str) -> str:
    # Ids are the database's own uuids; anything else would not name a file of ours.
    if not item_id or not item_id.replace("-", "").isalnum():
        raise ValueError(f"not an id: {item_id!r}")
    return f"{kind}-{item_id}.lock"


def _always() -> bool:
    return True


@dataclass(frozen=True)
class JobLock:
    """What ``job_lock`` gives the block: true if this process holds the work's lock (false:
    another process does, and the caller leaves the work alone)."""

    mine: bool
    name: str
    held_now: Callable[[], bool] = _always

    def __bool__(self) -> bool:
        return self.mine

    def still_held(self) -> bool:
        """Whether this process still holds the lock; logs a warning when it does not (the
        job then stops, and another process may take its work up)."""
        if self.held_now():
            return True
        log.warning(
            "job lock lost: the job stops, for the lock's next holder", extra={"lock": self.name}
        )
        return False


@contextlib.contextmanager
def job_lock(engine: Engine, kind: str, item_id: str) -> Iterator[JobLock]:
    """Hold the work's lock for the block."""
    name = lock_name(kind, item_id)
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, advisory_key(kind, item_id), name) as lock:
            yield lock
        return
    folder = lock_folder(engine)
    if folder is None:
        yield JobLock(True, name)
        return
    path = private_dir(folder, narrow=True) / name
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield JobLock(False, name)
            return
        yield JobLock(True, name)
    finally:
        os.close(descriptor)  # releases the lock


# This session holds the lock: its row in pg_locks is granted and names this backend.
_HELD_HERE = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND classid::bigint = :high AND objid::bigint = :low"
    " AND objsubid = 1)"
)


@contextlib.contextmanager
def _advisory_lock(engine: Engine, key: int, name: str) -> Iterator[JobLock]:
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        mine = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
        try:
            yield JobLock(mine, name, lambda: mine and _held_on(connection, key))
        finally:
            if mine:
                try:
                    connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                except SQLAlchemyError:
                    connection.invalidate()  # closed, so the server drops the lock too


def _held_on(connection: Connection, key: int) -> bool:
    """Whether ``connection``'s session still holds the advisory lock ``key``; false once
    the connection is gone (and the server has dropped the lock with it)."""
    high, low = advisory_key_parts(key)
    try:
        return bool(connection.scalar(_HELD_HERE, {"high": high, "low": low}))
    except SQLAlchemyError:
        return False


def forget_finished_locks(engine: Engine, keep: set[str]) -> int:
    """Delete the lock files not named in ``keep`` (work still under way) that are an hour
    old and free (each taken first, so none a job holds); returns how many."""
    folder = lock_folder(engine)
    if folder is None or not folder.is_dir():
        return 0
    settled = time.time() - FRESH_LOCK_SECONDS
    deleted = 0
    for path in folder.glob("*.lock"):
        if path.name in keep or _modified(path) > settled:
            continue  # under way, or made for work asked for a moment ago
        with contextlib.suppress(OSError):
            descriptor = os.open(path, os.O_RDWR)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                path.unlink()
                deleted += 1
            finally:
                os.close(descriptor)
    return deleted


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return time.time()
