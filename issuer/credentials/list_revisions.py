"""The current revision of each status list, read as cheaply as the database allows.

Every bit change bumps its list's ``revision`` in the same transaction
(``issuer/credentials/status_list.py``), so a signed copy whose revision is current is the list. The
verifier asks for a revision on every status check, so this is on the hottest path:

- SQLite: one dedicated connection asks ``PRAGMA data_version``, which changes whenever any
  other connection (any process) commits. While it stays the same, the revisions read last
  are still current and no table is read; when it changes, all revisions are read again
  (one small query). A revocation committed anywhere is therefore seen on the next check.
- Other databases: one primary-key read per call, on a pooled connection.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from issuer.store.models import StatusList

# Built once, not on every check (decision 0063).
_REVISION_OF = select(StatusList.revision).where(StatusList.id == bindparam("list_id"))


class ListRevisions:
    """``current(list_id)``: the list's revision, or ``None`` when there is no such list."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        database = engine.url.database or ""
        self._watch = engine.dialect.name == "sqlite" and database not in ("", ":memory:")
        self._lock = threading.Lock()
        self._connection: Any = None  # the dedicated pooled connection (SQLite only)
        self._driver: Any = None  # and its sqlite3 connection
        self._data_version: int | None = None
        self._revisions: dict[int, int] = {}
        self._reading = threading.local()  # ``one_reading``: this thread checked already

    def one_reading(self) -> OneReading:
        """Inside it, this thread reads each list's revision once: one credential's two
        lists, revocation and its suspension twin, are one row, read once (one
        ``data_version`` question on SQLite, one primary-key read elsewhere). A commit made
        meanwhile shows on the next reading, as if it had come just after this one."""
        return OneReading(self._reading)

    def current(self, list_id: int) -> int | None:
        seen: dict[int, int | None] | None = getattr(self._reading, "seen", None)
        if seen is None:
            return self._current(list_id)
        if list_id not in seen:
            seen[list_id] = self._current(list_id)
        return seen[list_id]

    def _current(self, list_id: int) -> int | None:
        if not self._watch:
            with self._engine.connect() as connection:
                revision = connection.scalar(_REVISION_OF, {"list_id": list_id})
            return None if revision is None else int(revision)
        with self._lock:
            try:
                return self._watched(list_id)
            except SQLAlchemyError:
                self._forget()
                raise
            except self._engine.dialect.loaded_dbapi.Error as exc:
                self._forget()  # a DBAPI error from the raw connection: the usual exception
                raise OperationalError("PRAGMA data_version", None, exc) from None

    def _watched(self, list_id: int) -> int | None:
        if self._connection is None:
            self._connection = self._engine.raw_connection()
            self._driver = self._connection.driver_connection  # sqlite3: no pool cursor
        driver = self._driver
        (version,) = driver.execute("PRAGMA data_version").fetchone()
        if version != self._data_version:
            rows = driver.execute("SELECT id, revision FROM status_lists").fetchall()
            self._revisions = {int(i): int(r) for i, r in rows}
            self._data_version = version
        return self._revisions.get(list_id)

    def _forget(self) -> None:
        """After an error: drop the connection and what it read; the next call starts over."""
        connection, self._connection, self._driver = self._connection, None, None
        self._data_version = None
        self._revisions = {}
        if connection is not None:
            connection.invalidate()  # closes it; the pool will not hand it out again


class OneReading:
    """``ListRevisions.one_reading``: the revisions this thread reads inside are kept until
    it leaves (a reading entered inside another starts afresh, and ends both)."""

    def __init__(self, state: threading.local) -> None:
        self._state = state

    def __enter__(self) -> None:
        self._state.seen = {}

    def __exit__(self, *_exc: object) -> None:
        self._state.seen = None
