"""Registrar lifecycle: maker-checker approvals, the audit chain head, suspension bits.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'rejected')", name=op.f("ck_approvals_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
    )
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    # The head starts at the newest event already recorded (or the genesis hash).
    newest = (
        op.get_bind()
        .execute(sa.text("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1"))
        .scalar()
    )
    op.bulk_insert(head, [{"id": 1, "hash": newest or GENESIS_HASH}])
    with op.batch_alter_table("status_allocations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("status_allocations", schema=None) as batch_op:
        batch_op.drop_column("suspended_at")
    op.drop_table("audit_head")
    op.drop_table("approvals")
