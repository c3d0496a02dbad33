"""Migrations: empty to head, models agree with migrations, down to base and up again."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

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


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_existing_tokens_get_a_principal_of_their_own(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Migration 0007: two old admin tokens become two principals, and keep working."""
    if kind == "postgresql":
        request.getfixturevalue("postgres_server")
    for url in fresh_database_url(kind, tmp_path):
        engine = create_db_engine(url)
        try:
            migration.upgrade(engine, "0003")
            with engine.begin() as connection:
                for number in (1, 2):
                    connection.execute(
                        text(
                            "INSERT INTO api_tokens (id, token_hash, prefix, name, role, units,"
                            " created_at) VALUES (:id, :hash, 'tsr_x', :name, 'admin', '[]',"
                            " CURRENT_TIMESTAMP)"
                        ),
                        {"id": number, "hash": f"{number:064d}", "name": f"old {number}"},
                    )
                connection.execute(
                    text(
                        "INSERT INTO approvals (id, action, params, state, requested_by,"
                        " requested_at) VALUES ('a', 'key.rotate', '{}', 'pending',"
                        " 'token:1:old 1', CURRENT_TIMESTAMP)"
                    )
                )
            migration.upgrade(engine)
            with engine.connect() as connection:
                owners = connection.execute(
                    text("SELECT id, principal_id FROM api_tokens ORDER BY id")
                ).all()
                assert [tuple(row) for row in owners] == [(1, 1), (2, 2)]
                names = connection.execute(text("SELECT name FROM principals ORDER BY id"))
                assert list(names.scalars()) == ["old 1", "old 2"]
                requester = connection.execute(
                    text("SELECT requested_by_principal_id FROM approvals")
                ).scalar()
                assert requester == 1
            with engine.begin() as connection:  # the id sequence continues past the old ids
                connection.execute(
                    text(
                        "INSERT INTO principals (name, kind, role, units, created_at)"
                        " VALUES ('new', 'person', 'auditor', '[]', CURRENT_TIMESTAMP)"
                    )
                )
            migration.downgrade(engine, "0003")
            assert "principals" not in inspect(engine).get_table_names()
        finally:
            engine.dispose()
