"""Principals: tokens belong to named people or service accounts; approvals compare them.

Every existing token gets a principal of its own (same id, name, role and units, kind
``service``), so existing deployments keep working. Approvals name the principals of their
requester and decider; imports started by a token name its principal.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "principals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_principal_id", sa.Integer(), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('person', 'service')", name=op.f("ck_principals_kind")),
        sa.CheckConstraint(
            "role IN ('admin', 'registrar', 'auditor')", name=op.f("ck_principals_role")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_principal_id"],
            ["principals.id"],
            name=op.f("fk_principals_created_by_principal_id_principals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_principals")),
    )
    bind = op.get_bind()
    # One principal per existing token, with the token's id: the mapping needs no lookup.
    bind.execute(
        sa.text(
            "INSERT INTO principals (id, name, kind, role, units, created_at, disabled_at) "
            "SELECT id, name, 'service', role, units, created_at, NULL FROM api_tokens"
        )
    )
    if bind.dialect.name == "postgresql":
        bind.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('principals', 'id'), "
                "COALESCE((SELECT MAX(id) FROM principals), 0) + 1, false)"
            )
        )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("principal_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("created_by_principal_id", sa.Integer(), nullable=True))
    bind.execute(sa.text("UPDATE api_tokens SET principal_id = id"))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("principal_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(
            batch_op.f("ix_api_tokens_principal_id"), ["principal_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_api_tokens_principal_id_principals"),
            "principals",
            ["principal_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_api_tokens_created_by_principal_id_principals"),
            "principals",
            ["created_by_principal_id"],
            ["id"],
        )
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_by_principal_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_by_principal_id", sa.Integer(), nullable=True))
    _fill_approval_principals(bind)
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_approvals_requested_by_principal_id_principals"),
            "principals",
            ["requested_by_principal_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_approvals_decided_by_principal_id_principals"),
            "principals",
            ["decided_by_principal_id"],
            ["id"],
        )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_events_actor_occurred_at", ["actor", "occurred_at"], unique=False
        )
    _rename_import_creators(bind, "token:", "principal:")


def _token_id(actor: str | None) -> int | None:
    """The token id in an actor name ``token:<id>:<name>``; ``None`` for anything else."""
    if actor is None or not actor.startswith("token:"):
        return None
    number = actor.split(":", 2)[1]
    return int(number) if number.isdigit() else None


def _fill_approval_principals(bind: sa.Connection) -> None:
    rows = bind.execute(sa.text("SELECT id, requested_by, decided_by FROM approvals")).all()
    known = set(bind.execute(sa.text("SELECT id FROM principals")).scalars())
    for approval_id, requested_by, decided_by in rows:
        requester, decider = _token_id(requested_by), _token_id(decided_by)
        bind.execute(
            sa.text(
                "UPDATE approvals SET requested_by_principal_id = :requester, "
                "decided_by_principal_id = :decider WHERE id = :id"
            ),
            {
                "requester": requester if requester in known else None,
                "decider": decider if decider in known else None,
                "id": approval_id,
            },
        )


def _rename_import_creators(bind: sa.Connection, old: str, new: str) -> None:
    """``token:<id>:<name>`` <-> ``principal:<id>:<name>``: the ids are equal after the
    upgrade; a downgrade maps a principal to its first token."""
    rows = bind.execute(
        sa.text("SELECT id, created_by FROM imports WHERE created_by LIKE :prefix"),
        {"prefix": f"{old}%"},
    ).all()
    for import_id, created_by in rows:
        _prefix, number, name = created_by.split(":", 2)
        if not number.isdigit():
            continue
        target = int(number)
        if new == "token:":
            first = bind.execute(
                sa.text("SELECT MIN(id) FROM api_tokens WHERE principal_id = :id"),
                {"id": target},
            ).scalar()
            if first is None:
                continue
            target = int(first)
        bind.execute(
            sa.text("UPDATE imports SET created_by = :name WHERE id = :id"),
            {"name": f"{new}{target}:{name}", "id": import_id},
        )


def downgrade() -> None:
    bind = op.get_bind()
    _rename_import_creators(bind, "principal:", "token:")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_actor_occurred_at")
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_approvals_decided_by_principal_id_principals"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_approvals_requested_by_principal_id_principals"), type_="foreignkey"
        )
        batch_op.drop_column("decided_by_principal_id")
        batch_op.drop_column("requested_by_principal_id")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_api_tokens_created_by_principal_id_principals"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_api_tokens_principal_id_principals"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_api_tokens_principal_id"))
        batch_op.drop_column("created_by_principal_id")
        batch_op.drop_column("principal_id")
    op.drop_table("principals")
