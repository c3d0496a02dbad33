"""Indexes for reads that stay fast at a million credentials.

Each order of the register's search, and its list filtered by unit or state newest first,
reads one page from an index on ``(column, id)`` (the orders break ties on the id), which
replaces the single-column index it begins with. On PostgreSQL,
the partial-name search goes through a GIN index of each name key's one- and two-character
pieces (``tessera_name_grams``): a ``LIKE '%...%'`` alone reads the whole table, and
trigrams find nothing in the two-character names most holders have
(docs/decisions/0062-reads-at-a-million.md).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The pieces ``issuer/credentials/search.py`` (``_name_grams``) looks for: every character
# and every pair of adjacent characters of the key, each once. Characters, not bytes.
_NAME_GRAMS = """
CREATE FUNCTION tessera_name_grams(name_key text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT coalesce(array_agg(DISTINCT piece), '{}'::text[]) FROM (
    SELECT substr(name_key, i, 1) AS piece FROM generate_series(1, length(name_key)) AS i
    UNION ALL
    SELECT substr(name_key, i, 2) FROM generate_series(1, length(name_key) - 1) AS i
  ) AS pieces
$$
"""


# Single-column indexes that the composite ones below begin with (and so replace).
_REPLACED = (
    ("ix_credentials_issued_at", ["issued_at"]),
    ("ix_credentials_exam_date", ["exam_date"]),
    ("ix_credentials_holder_name_key", ["holder_name_key"]),
    ("ix_credentials_unit_id", ["unit_id"]),
)
# One per order of the search (each ends with the id, as the orders do) and per filter the
# list is most often cut by, newest first.
_COMPOSITE = (
    ("ix_credentials_issued_at_id", ["issued_at", "id"]),
    ("ix_credentials_exam_date_id", ["exam_date", "id"]),
    ("ix_credentials_holder_name_key_id", ["holder_name_key", "id"]),
    ("ix_credentials_unit_id_issued_at_id", ["unit_id", "issued_at", "id"]),
    ("ix_credentials_state_issued_at_id", ["state", "issued_at", "id"]),
)


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        for name, columns in _COMPOSITE:
            batch_op.create_index(name, columns, unique=False)
        for name, _columns in _REPLACED:
            batch_op.drop_index(name)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_NAME_GRAMS)
        op.execute(
            "CREATE INDEX ix_credentials_name_grams ON credentials "
            "USING gin (tessera_name_grams(holder_name_key))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_credentials_name_grams")
        op.execute("DROP FUNCTION tessera_name_grams(text)")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        for name, columns in _REPLACED:
            batch_op.create_index(name, columns, unique=False)
        for name, _columns in _COMPOSITE:
            batch_op.drop_index(name)
