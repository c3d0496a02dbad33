"""The register's search: a searchable form of each holder name, and indexes for the filters.

``credentials.holder_name_key`` is the signed holder name as searched (NFKC, case-folded,
without spaces, every middle dot one ``·``: issuer/credentials/lookup.py
``holder_name_key``), filled here for credentials issued before this revision. Indexes on
it, on ``issued_at`` (the list's order) and on ``exam_date`` keep filtered pages from
reading the whole table (decision 0034).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000
_SPACES = re.compile(r"\s+")
_MIDDLE_DOTS = str.maketrans(dict.fromkeys("・•‧∙⋅●.．", "·"))


def _name_key(name: str) -> str:
    """``holder_name_key`` as of this revision (stored names are already clean)."""
    text = unicodedata.normalize("NFKC", name)
    return _SPACES.sub("", text).translate(_MIDDLE_DOTS).casefold()[:200]


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("holder_name_key", sa.String(length=200), nullable=True))
    bind = op.get_bind()
    credentials = sa.table(
        "credentials",
        sa.column("id", sa.String()),
        sa.column("holder_name", sa.String()),
        sa.column("holder_name_key", sa.String()),
    )
    query = (
        sa.select(credentials.c.id, credentials.c.holder_name)
        .where(credentials.c.holder_name_key.is_(None))
        .order_by(credentials.c.id)
        .limit(_BATCH)
    )
    update = (
        sa.update(credentials)
        .where(credentials.c.id == sa.bindparam("credential_id"))
        .values(holder_name_key=sa.bindparam("key"))
    )
    while rows := bind.execute(query).all():
        bind.execute(update, [{"credential_id": cid, "key": _name_key(name)} for cid, name in rows])
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.alter_column(
            "holder_name_key", existing_type=sa.String(length=200), nullable=False
        )
        batch_op.create_index(
            batch_op.f("ix_credentials_holder_name_key"), ["holder_name_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_credentials_issued_at"), ["issued_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_credentials_exam_date"), ["exam_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_exam_date"))
        batch_op.drop_index(batch_op.f("ix_credentials_issued_at"))
        batch_op.drop_index(batch_op.f("ix_credentials_holder_name_key"))
        batch_op.drop_column("holder_name_key")
