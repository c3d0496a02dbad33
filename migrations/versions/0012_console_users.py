"""Console users: sign-in columns on principals (email, password, TOTP, lock-out, single
sign-on) and server-side console sessions.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("principal_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "stage IN ('second_factor', 'signed_in')", name=op.f("ck_console_sessions_stage")
        ),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["principals.id"],
            name=op.f("fk_console_sessions_principal_id_principals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_console_sessions_token_hash")),
    )
    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_console_sessions_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_console_sessions_principal_id"), ["principal_id"], unique=False
        )

    # Plain ALTER TABLE, not a batch copy: the table is referenced by others, and SQLite
    # cannot drop and recreate it while foreign keys are enforced.
    op.add_column("principals", sa.Column("email", sa.String(length=254), nullable=True))
    op.add_column("principals", sa.Column("password_hash", sa.String(length=200), nullable=True))
    op.add_column("principals", sa.Column("totp_secret", sa.String(length=300), nullable=True))
    op.add_column("principals", sa.Column("totp_last_step", sa.Integer(), nullable=True))
    op.add_column(
        "principals",
        sa.Column("failed_sign_ins", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "principals", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("principals", sa.Column("oidc_subject", sa.String(length=600), nullable=True))
    op.create_index(op.f("ix_principals_email"), "principals", ["email"], unique=True)
    op.create_index(op.f("ix_principals_oidc_subject"), "principals", ["oidc_subject"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_principals_oidc_subject"), table_name="principals")
    op.drop_index(op.f("ix_principals_email"), table_name="principals")
    for column in (
        "oidc_subject",
        "locked_until",
        "failed_sign_ins",
        "totp_last_step",
        "totp_secret",
        "password_hash",
        "email",
    ):
        op.drop_column("principals", column)

    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_sessions_principal_id"))
        batch_op.drop_index(batch_op.f("ix_console_sessions_expires_at"))

    op.drop_table("console_sessions")
