"""Credentials issued through the VC-API (any VC 2.0 credential) and their status entries.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_credentials",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("credential_id", sa.String(length=2000), nullable=False),
        sa.Column("credential_id_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("jws", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('active', 'revoked', 'suspended', 'superseded')",
            name=op.f("ck_api_credentials_state"),
        ),
        sa.ForeignKeyConstraint(
            ["kid"], ["signing_keys.kid"], name=op.f("fk_api_credentials_kid_signing_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_credentials")),
    )
    with op.batch_alter_table("api_credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_credentials_credential_id_hash"),
            ["credential_id_hash"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_api_credentials_issued_at"), ["issued_at"], unique=False
        )
    # A status slot belongs to a register credential or to an API credential: exactly one.
    with op.batch_alter_table("status_allocations", schema=None) as batch_op:
        batch_op.alter_column("credential_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.add_column(sa.Column("api_credential_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_status_allocations_api_credential_id_api_credentials"),
            "api_credentials",
            ["api_credential_id"],
            ["id"],
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_status_allocations_api_credential_id"), ["api_credential_id"]
        )
        batch_op.create_check_constraint(
            "one_credential", "(credential_id IS NULL) <> (api_credential_id IS NULL)"
        )


def downgrade() -> None:
    # The API credentials' slots go with them; their bits leave the lists (revision bump).
    op.execute(
        "UPDATE status_lists SET revision = revision + 1 WHERE id IN"
        " (SELECT list_id FROM status_allocations WHERE api_credential_id IS NOT NULL)"
    )
    op.execute("DELETE FROM status_allocations WHERE api_credential_id IS NOT NULL")
    with op.batch_alter_table("status_allocations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_status_allocations_one_credential"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("uq_status_allocations_api_credential_id"), type_="unique"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_status_allocations_api_credential_id_api_credentials"),
            type_="foreignkey",
        )
        batch_op.drop_column("api_credential_id")
        batch_op.alter_column("credential_id", existing_type=sa.String(length=36), nullable=False)
    with op.batch_alter_table("api_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_credentials_issued_at"))
        batch_op.drop_index(batch_op.f("ix_api_credentials_credential_id_hash"))
    op.drop_table("api_credentials")
