"""Notices to holders: their e-mail address, the outbox, and share links that tell of opens.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("holder_email", sa.String(length=254), nullable=True))
    with op.batch_alter_table("share_links", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notify_on_open", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("open_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("share_link_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("once_key", sa.String(length=80), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=32), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('revoked', 'suspended', 'reinstated', 'reissued', 'expiring', 'link_opened')",
            name=op.f("ck_notices_kind"),
        ),
        sa.CheckConstraint("state IN ('pending', 'sent', 'failed')", name=op.f("ck_notices_state")),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_notices_credential_id_credentials"),
        ),
        sa.ForeignKeyConstraint(
            ["share_link_id"],
            ["share_links.id"],
            name=op.f("fk_notices_share_link_id_share_links"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("once_key", name=op.f("uq_notices_once_key")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notices_credential_id"), ["credential_id"], unique=False
        )
        batch_op.create_index(
            "ix_notices_state_next_attempt_at", ["state", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index("ix_notices_state_next_attempt_at")
        batch_op.drop_index(batch_op.f("ix_notices_credential_id"))
    op.drop_table("notices")
    with op.batch_alter_table("share_links", schema=None) as batch_op:
        batch_op.drop_column("notified_at")
        batch_op.drop_column("open_count")
        batch_op.drop_column("notify_on_open")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("holder_email")
