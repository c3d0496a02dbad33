"""Share links that expire (and links a holder makes from theirs), the issuer's colour, and holders' photos for certificates.

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
    with op.batch_alter_table("share_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        # A link the holder made from their own link (to hand to one employer): a view only.
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_share_links_parent_id_share_links"), "share_links", ["parent_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_share_links_parent_id"), ["parent_id"], unique=False)
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
        batch_op.drop_index(batch_op.f("ix_share_links_parent_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_share_links_parent_id_share_links"), type_="foreignkey"
        )
        batch_op.drop_column("parent_id")
        batch_op.drop_column("expires_at")
