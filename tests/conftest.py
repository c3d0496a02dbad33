"""Shared fixtures: every database test runs on SQLite and, when configured, on PostgreSQL.

Set ``TESSERA_TEST_POSTGRES_URL`` (``.ci/run`` does) to add the PostgreSQL run. Keys are
generated per test in temporary directories; tests never read ``keys/``.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from issuer.access.tokens import create_token
from issuer.app import create_app
from issuer.config import Settings
from issuer.keys.keystore import create_signing_key
from issuer.services import Services
from issuer.store import migration
from issuer.store.audit import GENESIS_HASH
from issuer.store.engine import create_db_engine, create_session_factory, session_scope
from issuer.store.identity import store_base_url
from issuer.store.models import AuditHead, Base, core_table

POSTGRES_URL = os.environ.get("TESSERA_TEST_POSTGRES_URL")
BASE_URL = "https://tessera.test"
PASSPHRASE = "test-passphrase-0123456789"


def _postgres_admin_url() -> str:
    assert POSTGRES_URL
    return make_url(POSTGRES_URL).set(drivername="postgresql+psycopg").render_as_string(False)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: set TESSERA_TEST_POSTGRES_URL")
        pytest.skip("PostgreSQL not configured (set TESSERA_TEST_POSTGRES_URL to run these)")
    return _postgres_admin_url()


def fresh_database_url(kind: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of ``kind``, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / f'tessera-{uuid.uuid4().hex[:8]}.db'}"
        return
    admin_url = _postgres_admin_url()
    name = f"tessera_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def store_identity(database_url: str, base_url: str = BASE_URL) -> None:
    """Store the issuer's identity in a migrated database, as ``tessera init`` would."""
    engine = create_db_engine(database_url)
    try:
        with session_scope(create_session_factory(engine)) as session:
            store_base_url(session, base_url, now=dt.datetime.now(dt.UTC))
    finally:
        engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database, shared by the session; each test leaves it empty."""
    if request.param == "postgresql":
        request.getfixturevalue("postgres_server")
    for url in fresh_database_url(request.param, tmp_path_factory.mktemp("db")):
        engine = create_db_engine(url)
        migration.upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        keys_dir=tmp_path / "keys",
        key_passphrase=PASSPHRASE,  # type: ignore[arg-type]
        base_url=BASE_URL,
        admin_token_file=tmp_path / "admin-token",
        rate_limit="off",  # tests/issuer/test_rate_limit.py turns it on
    )


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """Services with the issuer's identity (``BASE_URL``) stored and an active ES256 key;
    the tables are emptied afterwards."""
    store_identity(settings.database_url)
    services = Services.from_settings(settings)
    with session_scope(services.sessions) as session:
        create_signing_key(
            session, settings.keys_dir, PASSPHRASE.encode(), "ES256", now=services.clock()
        )
    try:
        yield services
    finally:
        with services.engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
            # As the migration leaves it: the audit chain's head at the genesis hash.
            connection.execute(core_table(AuditHead).insert().values(id=1, hash=GENESIS_HASH))
        services.engine.dispose()


@pytest.fixture
def client(settings: Settings, services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(settings, services=services)) as test_client:
        yield test_client


def make_token(services: Services, role: str = "admin", units: list[str] | None = None) -> str:
    with session_scope(services.sessions) as session:
        _record, plain = create_token(
            session, name=f"test {role}", role=role, units=units or [], now=services.clock()
        )
    return plain


@pytest.fixture
def admin_headers(services: Services) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(services)}"}
