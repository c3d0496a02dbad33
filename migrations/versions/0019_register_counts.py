"""The register's counts per (unit, level, state), kept by the database itself; an index
for the list cut by a unit and a state, newest first.

``register_counts`` holds signed deltas: every statement that inserts, updates or deletes
credentials adds, in the same transaction, one row per (unit, level, state) it changed
(+n for rows arriving there, -n for rows leaving), and a count is the sum of a group's
deltas. Triggers write them, so no code path (issuance, an import's COPY, a lifecycle
change, a re-issue, a batch revocation, a restore) can forget; appended rows lock nothing
another transaction needs, so concurrent changes stay exact without waiting on one hot row
(docs/decisions/0064-register-counts.md). PostgreSQL sums a statement's rows through its
transition tables (one delta per group, however many rows); SQLite, one writer at the
register's embedded size, adds one delta per row. The table starts from a ``GROUP BY``.

``(unit_id, state, issued_at, id)`` reads a unit's credentials in one state newest first
and stops after a page; without it the planner walks one of the two-column indexes and
filters out the other criterion's rows.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One function for the three statement triggers; each reads only the transition tables
# its event has (``arrived``, ``left``).
_PG_FUNCTION = """
CREATE FUNCTION tessera_count_credentials() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO register_counts (unit_id, level_id, state, n)
    SELECT unit_id, level_id, state, count(*) FROM arrived
    GROUP BY unit_id, level_id, state ORDER BY unit_id, level_id, state;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO register_counts (unit_id, level_id, state, n)
    SELECT unit_id, level_id, state, -count(*) FROM left_rows
    GROUP BY unit_id, level_id, state ORDER BY unit_id, level_id, state;
  ELSE
    INSERT INTO register_counts (unit_id, level_id, state, n)
    SELECT unit_id, level_id, state, sum(n) FROM (
      SELECT unit_id, level_id, state, 1 AS n FROM arrived
      UNION ALL
      SELECT unit_id, level_id, state, -1 FROM left_rows
    ) AS change
    GROUP BY unit_id, level_id, state HAVING sum(n) <> 0
    ORDER BY unit_id, level_id, state;
  END IF;
  RETURN NULL;
END
$$
"""
_PG_TRIGGERS = (
    "CREATE TRIGGER credentials_counted_insert AFTER INSERT ON credentials "
    "REFERENCING NEW TABLE AS arrived "
    "FOR EACH STATEMENT EXECUTE FUNCTION tessera_count_credentials()",
    "CREATE TRIGGER credentials_counted_update AFTER UPDATE ON credentials "
    "REFERENCING OLD TABLE AS left_rows NEW TABLE AS arrived "
    "FOR EACH STATEMENT EXECUTE FUNCTION tessera_count_credentials()",
    "CREATE TRIGGER credentials_counted_delete AFTER DELETE ON credentials "
    "REFERENCING OLD TABLE AS left_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION tessera_count_credentials()",
)
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER credentials_counted_insert AFTER INSERT ON credentials BEGIN "
    "INSERT INTO register_counts (unit_id, level_id, state, n) "
    "VALUES (NEW.unit_id, NEW.level_id, NEW.state, 1); END",
    "CREATE TRIGGER credentials_counted_update AFTER UPDATE OF unit_id, level_id, state "
    "ON credentials WHEN OLD.unit_id IS NOT NEW.unit_id OR OLD.level_id IS NOT NEW.level_id "
    "OR OLD.state IS NOT NEW.state BEGIN "
    "INSERT INTO register_counts (unit_id, level_id, state, n) "
    "VALUES (OLD.unit_id, OLD.level_id, OLD.state, -1); "
    "INSERT INTO register_counts (unit_id, level_id, state, n) "
    "VALUES (NEW.unit_id, NEW.level_id, NEW.state, 1); END",
    "CREATE TRIGGER credentials_counted_delete AFTER DELETE ON credentials BEGIN "
    "INSERT INTO register_counts (unit_id, level_id, state, n) "
    "VALUES (OLD.unit_id, OLD.level_id, OLD.state, -1); END",
)
_TRIGGER_NAMES = (
    "credentials_counted_insert",
    "credentials_counted_update",
    "credentials_counted_delete",
)
_START = (
    "INSERT INTO register_counts (unit_id, level_id, state, n) "
    "SELECT unit_id, level_id, state, count(*) FROM credentials "
    "GROUP BY unit_id, level_id, state"
)


def upgrade() -> None:
    op.create_table(
        "register_counts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("level_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_counts")),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        # No credential may change between the first count and the triggers' first delta.
        op.execute("LOCK TABLE credentials IN SHARE ROW EXCLUSIVE MODE")
        op.execute(_PG_FUNCTION)
    for statement in _PG_TRIGGERS if postgresql else _SQLITE_TRIGGERS:
        op.execute(statement)
    op.execute(_START)
    op.create_index(
        "ix_credentials_unit_id_state_issued_at_id",
        "credentials",
        ["unit_id", "state", "issued_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_credentials_unit_id_state_issued_at_id", table_name="credentials")
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name in _TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER {name}" + (" ON credentials" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION tessera_count_credentials()")
    op.drop_table("register_counts")
