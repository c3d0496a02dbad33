"""Constants and helpers the whole suite shares; the fixtures are in ``conftest.py``."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import uuid
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from issuer.access.tokens import create_token
from issuer.services import Services
from issuer.store.engine import create_db_engine, create_session_factory, session_scope
from issuer.store.identity import store_base_url
from issuer.store.models import PrincipalRecord

POSTGRES_URL = os.environ.get("TESSERA_TEST_POSTGRES_URL")
BASE_URL = "https://tessera.test"
PASSPHRASE = "test-passphrase-0123456789"


def postgres_admin_url() -> str:
    assert POSTGRES_URL
    return make_url(POSTGRES_URL).set(drivername="postgresql+psycopg").render_as_string(False)


@contextlib.contextmanager
def coverage_paused() -> Iterator[None]:
    """Run a block of this thread without the coverage tracer, when one is running.

    For the tests that measure how much memory a large input takes: the tracer makes them
    four to nine times slower and adds nothing, since the code they run is covered by the
    small tests. Under pytest-xdist a worker may run more than one coverage tracer, so the
    thread's trace function itself is set aside and put back.
    """
    tracer = sys.gettrace()
    sys.settrace(None)
    try:
        yield
    finally:
        sys.settrace(tracer)


def worker_id() -> str:
    """The pytest-xdist worker running this process (``gw0``, ``gw1``...), ``main`` without
    xdist. Names of shared resources (PostgreSQL databases) carry it, for whoever reads
    ``pg_stat_activity`` or finds a database a killed run left behind."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def fresh_database_url(kind: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of ``kind``, dropped afterwards. Each call makes its own (a random
    name; on PostgreSQL prefixed with the xdist worker), so parallel workers never share one."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / f'tessera-{uuid.uuid4().hex[:8]}.db'}"
        return
    admin_url = postgres_admin_url()
    name = f"tessera_test_{worker_id()}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def new_principal(
    session: Session, now: dt.datetime, role: str = "admin", units: list[str] | None = None
) -> PrincipalRecord:
    """A principal of its own (not audited), as the migration gives every old token."""
    record = PrincipalRecord(
        name=f"test {role}", kind="service", role=role, units=units or [], created_at=now
    )
    session.add(record)
    session.flush()
    return record


def make_token(services: Services, role: str = "admin", units: list[str] | None = None) -> str:
    """A token of a new principal of its own: two calls, two different principals."""
    with session_scope(services.sessions) as session:
        owner = new_principal(session, services.clock(), role, units)
        _record, plain = create_token(
            session,
            principal=owner,
            name=f"test {role}",
            role=role,
            units=units or [],
            now=services.clock(),
        )
    return plain


def store_identity(database_url: str, base_url: str = BASE_URL) -> None:
    """Store the issuer's identity in a migrated database, as ``tessera init`` would."""
    engine = create_db_engine(database_url)
    try:
        with session_scope(create_session_factory(engine)) as session:
            store_base_url(session, base_url, now=dt.datetime.now(dt.UTC))
    finally:
        engine.dispose()


class _References(HTMLParser):
    """Every URL-valued attribute of a page: (tag, attribute, value)."""

    ATTRIBUTES = frozenset({"src", "href", "action", "formaction", "poster", "data", "srcset"})

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in self.ATTRIBUTES and value:
                self.found.append((tag, name, value.strip()))


def external_references(
    page: str, *, own: Iterable[str], links_to: Iterable[str] = ()
) -> list[str]:
    """The URLs in ``page``'s src/href/action attributes on an origin not in ``own``
    (``scheme://host[:port]``); a plain link (``<a href>``) to a host in ``links_to`` is
    allowed, as the browser loads nothing from it by itself."""
    origins = {origin.rstrip("/") for origin in own}
    hosts = set(links_to)
    parser = _References()
    parser.feed(page)
    outside = []
    for tag, _name, value in parser.found:
        parts = urlsplit(value)
        if not parts.netloc and parts.scheme in ("", "data"):
            continue  # a path on this server, a fragment, or inline data
        if parts.netloc and f"{parts.scheme}://{parts.netloc}" in origins:
            continue
        if tag == "a" and parts.hostname in hosts:
            continue
        outside.append(value)
    return outside
