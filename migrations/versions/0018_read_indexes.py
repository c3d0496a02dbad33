"""Indexes for reads that stay fast at a million credentials.

The register's list filtered by unit or state, newest first, reads one page from an index
(``ix_credentials_unit_id_issued_at``, ``ix_credentials_state_issued_at``). On PostgreSQL,
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


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credentials_unit_id_issued_at", ["unit_id", "issued_at"], unique=False
        )
        batch_op.create_index(
            "ix_credentials_state_issued_at", ["state", "issued_at"], unique=False
        )
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
        batch_op.drop_index("ix_credentials_state_issued_at")
        batch_op.drop_index("ix_credentials_unit_id_issued_at")
