"""Shared fixtures: every database test runs on SQLite and, when configured, on PostgreSQL.

Set ``TESSERA_TEST_POSTGRES_URL`` (``.ci/run`` does) to add the PostgreSQL run. Keys are
generated per test in temporary directories; tests never read ``keys/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from issuer.app import create_app
from issuer.config import Settings
from issuer.keys.keystore import create_signing_key
from issuer.services import Services
from issuer.store import migration
from issuer.store.audit import GENESIS_HASH
from issuer.store.engine import create_db_engine, session_scope
from issuer.store.models import AuditHead, Base, RegisterCount, core_table
from tests.helpers import (
    BASE_URL,
    PASSPHRASE,
    POSTGRES_URL,
    fresh_database_url,
    make_token,
    postgres_admin_url,
    store_identity,
)
from tests.servers import in_process_server


@pytest.fixture(scope="session")
def postgres_server() -> str:
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: set TESSERA_TEST_POSTGRES_URL")
        pytest.skip("PostgreSQL not configured (set TESSERA_TEST_POSTGRES_URL to run these)")
    return postgres_admin_url()


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
        key_passphrase=PASSPHRASE,
        base_url=BASE_URL,
        admin_token_file=tmp_path / "admin-token",
        rate_limit="off",  # tests/issuer/test_rate_limit.py turns it on
        # Bundles built within the request's background tasks, also on PostgreSQL; the
        # workers' path has its own tests (tests/issuer/test_bundle_workers.py).
        task_runner="in_process",
        export_dir=tmp_path / "exports",
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
            # Deleting the credentials added their deltas (the triggers of migration 0019).
            connection.execute(core_table(RegisterCount).delete())
            # As the migration leaves it: the audit chain's head at the genesis hash.
            connection.execute(core_table(AuditHead).insert().values(id=1, hash=GENESIS_HASH))
        services.engine.dispose()


@pytest.fixture
def client(settings: Settings, services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(settings, services=services)) as test_client:
        yield test_client


@pytest.fixture
def admin_headers(services: Services) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(services)}"}


@pytest.fixture
def live_server(
    settings: Settings,
    services: Services,  # noqa: ARG001 (migrates the database, creates the signing key)
) -> Iterator[tuple[str, TestClient]]:
    """The real app on a loopback port, its base URL being that address."""
    with in_process_server(settings) as live:
        yield live


# Test results that belong in the CI log even when the test passes: a test records them with
# ``record_property`` under a name starting ``ci_log:`` (the W3C VC 2.0 suite's counts,
# tests/test_vc_api_suite.py). xdist carries user properties back from its workers.
CI_LOG_PREFIX = "ci_log:"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = [
        f"{report.nodeid}: {value}"
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if getattr(report, "when", "call") == "call"
        for name, value in getattr(report, "user_properties", [])
        if str(name).startswith(CI_LOG_PREFIX)
    ]
    if lines:
        terminalreporter.section("results for the CI log")
        for line in lines:
            terminalreporter.write_line(line)
