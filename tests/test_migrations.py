"""Migrations: empty to head, models agree with migrations, down to base and up again."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from issuer.store import migration
from issuer.store.engine import create_db_engine
from tests.helpers import fresh_database_url

TABLES = {
    "units",
    "occupations",
    "levels",
    "holders",
    "credentials",
    "status_lists",
    "status_allocations",
    "signing_keys",
    "api_tokens",
    "audit_events",
    "issuer_identity",
}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_migrations_round_trip(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if kind == "postgresql":
        request.getfixturevalue("postgres_server")
    for url in fresh_database_url(kind, tmp_path):
        engine = create_db_engine(url)
        try:
            assert not migration.is_at_head(engine)
            migration.upgrade(engine)
            assert migration.is_at_head(engine)
            assert set(inspect(engine).get_table_names()) >= TABLES
            command.check(
                migration.alembic_config(engine)
            )  # raises if models and migrations differ
            migration.downgrade(engine)
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
            migration.upgrade(engine)
            assert set(inspect(engine).get_table_names()) >= TABLES
        finally:
            engine.dispose()
