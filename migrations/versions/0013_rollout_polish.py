"""Share links that expire, the issuer's colour, and holders' photos for certificates.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE: both tables are referenced or single-row; no batch copy needed.
    op.add_column("share_links", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("issuer_profile", sa.Column("colour", sa.String(length=7), nullable=True))
    op.create_table(
        "holder_photos",
        sa.Column("holder_id", sa.String(length=36), nullable=False),
        sa.Column("sealed_jpeg", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_id"], ["holders.id"], name=op.f("fk_holder_photos_holder_id_holders")
        ),
        sa.PrimaryKeyConstraint("holder_id", name=op.f("pk_holder_photos")),
    )


def downgrade() -> None:
    op.drop_table("holder_photos")
    with op.batch_alter_table("issuer_profile", schema=None) as batch_op:
        batch_op.drop_column("colour")
    with op.batch_alter_table("share_links", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
