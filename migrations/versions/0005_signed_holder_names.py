"""Each credential keeps the holder name it was signed with; each import keeps its units.

``credentials.holder_name`` is filled from each stored credential's signed payload (the
``name`` identity of its subject), or the holder's current name where that cannot be read.
``imports.units`` is NULL (every unit) for imports recorded before this revision.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def _signed_name(jws: str) -> str | None:
    """The ``name`` identity of the credential subject in a compact JWS, if readable."""
    try:
        part = jws.split(".")[1]
        payload = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        for identity in payload["credentialSubject"]["identifier"]:
            if identity.get("identityType") == "name":
                name = identity.get("identityHash")
                return name if isinstance(name, str) and name else None
    except (IndexError, KeyError, TypeError, ValueError):
        return None
    return None


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("holder_name", sa.String(length=200), nullable=True))
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("units", sa.JSON(), nullable=True))
    bind = op.get_bind()
    credentials = sa.table(
        "credentials",
        sa.column("id", sa.String()),
        sa.column("holder_id", sa.String()),
        sa.column("jws", sa.Text()),
        sa.column("holder_name", sa.String()),
    )
    holders = sa.table("holders", sa.column("id", sa.String()), sa.column("name", sa.String()))
    query = (
        sa.select(credentials.c.id, credentials.c.jws, holders.c.name)
        .join(holders, holders.c.id == credentials.c.holder_id)
        .where(credentials.c.holder_name.is_(None))
        .order_by(credentials.c.id)
        .limit(_BATCH)
    )
    update = (
        sa.update(credentials)
        .where(credentials.c.id == sa.bindparam("credential_id"))
        .values(holder_name=sa.bindparam("name"))
    )
    while rows := bind.execute(query).all():
        bind.execute(
            update,
            [
                {"credential_id": cid, "name": (_signed_name(jws) or name)[:200]}
                for cid, jws, name in rows
            ],
        )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.alter_column("holder_name", existing_type=sa.String(length=200), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.drop_column("units")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("holder_name")
