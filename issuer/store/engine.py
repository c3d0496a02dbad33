"""Engine and session factory, built from settings once and passed down."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from issuer.errors import ConfigurationError
from issuer.store.private_files import narrow_private_file, private_dir, touch_private_file


def create_db_engine(database_url: str) -> Engine:
    """An engine for ``database_url``; SQLite gets WAL, foreign keys and a busy timeout."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        # A ``file:`` URI (``?mode=ro&uri=true``) names its file itself; SQLite opens it as is.
        if url.database and url.database != ":memory:" and url.query.get("uri") != "true":
            _create_private_database(Path(url.database))
        # Verification runs on the event loop under SQLite (issuer/app.py), so taking a pooled
        # connection must never wait: a waiting event loop cannot finish the thread-pool
        # requests (their sessions close through it) that would give a connection back, and
        # the process stalls. Above anyio's 40 threads plus the loop, overflow is unbounded;
        # SQLite connections are a file handle each.
        engine = create_engine(
            url,
            connect_args={"timeout": 30},
            pool_size=48,
            max_overflow=-1,
            json_serializer=_json_text,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    # Fail fast when the server is gone: a 3 s connect timeout and a 5 s wait for a pooled
    # connection, so requests answer 503 instead of hanging (docs/operations.md).
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        pool_timeout=5,
        connect_args={"connect_timeout": 3},
        json_serializer=_json_text,
    )


def _create_private_database(path: Path) -> None:
    """Create the database file 0600 (its new directories 0700) before SQLite opens it.

    It holds national ids and birth dates. SQLite gives its ``-wal`` and ``-shm`` files the
    database file's mode, so they are private too; an existing file wider than 0600 (and
    its ``-wal``/``-shm``) is narrowed.
    """
    try:
        private_dir(path.parent)
    except OSError as exc:
        raise ConfigurationError(
            f"database directory for {path} cannot be created ({exc.strerror})"
        ) from None
    try:
        touch_private_file(path)
        for suffix in ("-wal", "-shm", "-journal"):
            # Never created here: SQLite makes and deletes these itself, with the database's
            # mode; one left wider by an older version is narrowed.
            narrow_private_file(path.with_name(path.name + suffix))
    except OSError as exc:
        raise ConfigurationError(
            f"database file {path} cannot be created ({exc.strerror})"
        ) from None


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode("utf-8")


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    # SQLAlchemy, not the sqlite3 module, begins transactions (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A deferred transaction that has read cannot become a writer once another connection
    # has committed (SQLITE_BUSY_SNAPSHOT, no waiting). Writers therefore take the write lock
    # when they begin; read-only sessions (``read_only``) begin deferred and never block.
    mode = "DEFERRED" if connection.get_execution_options().get(_READ_ONLY) else "IMMEDIATE"
    connection.exec_driver_sql(f"BEGIN {mode}")


_READ_ONLY = "tessera_read_only"


def check_database(engine: Engine) -> None:
    """Connect once; an unusable database becomes one ``ConfigurationError`` line."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        safe_url = engine.url.render_as_string(hide_password=True)
        raise ConfigurationError(f"database {safe_url} is unusable: {reason}") from None


def create_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions on ``engine``; ``read_only`` ones never take SQLite's write lock."""
    if read_only:
        engine = engine.execution_options(**{_READ_ONLY: True})
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for a CLI command: commit once at the end, roll back on error."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
