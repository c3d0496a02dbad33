"""Bulk re-issue after a key compromise as jobs: the runs and their chunks.

A run is planned when ``key.reissue_compromised`` is approved; each chunk is a keyset range
of the key's credentials that one job re-issues
(docs/decisions/0066-bulk-reissue-and-notices-as-jobs.md).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = "state IN ('queued', 'running', 'done', 'failed', 'cancelled')"


def upgrade() -> None:
    op.create_table(
        "reissue_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("approval_id", sa.String(length=36), nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.JSON(), nullable=False),
        sa.Column("credentials", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint(STATES, name=op.f("ck_reissue_runs_state")),
        sa.ForeignKeyConstraint(
            ["approval_id"], ["approvals.id"], name=op.f("fk_reissue_runs_approval_id_approvals")
        ),
        sa.ForeignKeyConstraint(
            ["kid"], ["signing_keys.kid"], name=op.f("fk_reissue_runs_kid_signing_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reissue_runs")),
    )
    with op.batch_alter_table("reissue_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reissue_runs_kid"), ["kid"], unique=False)
    op.create_table(
        "reissue_chunks",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("chunk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("first_issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_id", sa.String(length=36), nullable=False),
        sa.Column("last_issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_id", sa.String(length=36), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("reissued", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["reissue_runs.id"], name=op.f("fk_reissue_chunks_run_id_reissue_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "chunk", name=op.f("pk_reissue_chunks")),
    )


def downgrade() -> None:
    op.drop_table("reissue_chunks")
    with op.batch_alter_table("reissue_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reissue_runs_kid"))
    op.drop_table("reissue_runs")
