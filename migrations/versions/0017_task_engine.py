"""The task engine's schema (procrastinate, on PostgreSQL) and Tessera's record of long jobs.

On PostgreSQL this applies procrastinate's own schema (its ``SchemaManager``'s SQL, from the
pinned version); on SQLite the same jobs run in-process and need no tables of their own.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bundle_run", sa.String(length=36), nullable=True))
        batch_op.add_column(
            sa.Column("bundle_chunks", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "bundle_chunks",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("chunk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("import_id", sa.String(length=36), nullable=False),
        sa.Column("credential_ids", sa.JSON(), nullable=False),
        sa.Column("actor", sa.JSON(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_bundle_chunks_import_id_imports")
        ),
        sa.PrimaryKeyConstraint("run_id", "chunk", name=op.f("pk_bundle_chunks")),
    )
    with op.batch_alter_table("bundle_chunks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bundle_chunks_import_id"), ["import_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        # procrastinate's tables, types, functions and triggers, as its version 3.10.0 ships
        # them (pinned in pyproject.toml); a later version brings its migrations as a revision.
        # Sent as it is, its PL/pgSQL holding ``%`` placeholders of its own (RAISE ... '%')
        # (a DB-API cursor with no parameters), in the migration's transaction.
        cursor = op.get_bind().connection.cursor()
        try:
            cursor.execute(SchemaManager.get_schema())
        finally:
            cursor.close()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _drop_procrastinate()
    with op.batch_alter_table("bundle_chunks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bundle_chunks_import_id"))
    op.drop_table("bundle_chunks")
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.drop_column("bundle_chunks")
        batch_op.drop_column("bundle_run")


def _drop_procrastinate() -> None:
    """Every object procrastinate's schema created: they all carry the ``procrastinate_``
    prefix (tables first, which takes their triggers, then functions, then types)."""
    bind = op.get_bind()
    tables = bind.execute(
        sa.text(
            "SELECT tablename FROM pg_tables "
            "WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate\\_%'"
        )
    ).scalars()
    for table in list(tables):
        op.execute(sa.text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
    functions = bind.execute(
        sa.text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'"
        )
    ).scalars()
    for function in list(functions):
        op.execute(sa.text(f"DROP FUNCTION IF EXISTS {function} CASCADE"))
    types = bind.execute(
        sa.text(
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate\\_%' "
            "AND t.typtype IN ('e', 'c')"
        )
    ).scalars()
    for type_ in list(types):
        op.execute(sa.text(f'DROP TYPE IF EXISTS "{type_}" CASCADE'))
