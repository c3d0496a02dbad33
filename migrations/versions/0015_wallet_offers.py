"""OpenID4VCI credential offers (pre-authorised codes, transaction codes) and the credentials handed to wallets.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wallet_offers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("configuration_ids", sa.JSON(), nullable=False),
        sa.Column("reference_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("tx_code_hash", sa.String(length=64), nullable=False),
        sa.Column("tx_code_tries", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("access_token_hash", sa.String(length=64), nullable=True),
        sa.Column("access_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_wallet_offers_credential_id_credentials"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_offers")),
        sa.UniqueConstraint("access_token_hash", name=op.f("uq_wallet_offers_access_token_hash")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_wallet_offers_code_hash")),
        sa.UniqueConstraint("reference_hash", name=op.f("uq_wallet_offers_reference_hash")),
    )
    op.create_index(
        op.f("ix_wallet_offers_credential_id"), "wallet_offers", ["credential_id"], unique=False
    )
    op.create_table(
        "wallet_offer_credentials",
        sa.Column("offer_id", sa.String(length=36), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_wallet_offer_credentials_credential_id_credentials"),
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["wallet_offers.id"],
            name=op.f("fk_wallet_offer_credentials_offer_id_wallet_offers"),
        ),
        sa.PrimaryKeyConstraint(
            "offer_id", "credential_id", name=op.f("pk_wallet_offer_credentials")
        ),
    )
    op.create_table(
        "wallet_nonces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_nonces")),
        sa.UniqueConstraint("nonce_hash", name=op.f("uq_wallet_nonces_nonce_hash")),
    )
    op.create_index(
        op.f("ix_wallet_nonces_expires_at"), "wallet_nonces", ["expires_at"], unique=False
    )
    op.create_table(
        "wallet_issuances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.String(length=36), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("holder_key_thumbprint", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_wallet_issuances_credential_id_credentials"),
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["wallet_offers.id"],
            name=op.f("fk_wallet_issuances_offer_id_wallet_offers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_issuances")),
    )
    op.create_index(
        op.f("ix_wallet_issuances_credential_id"),
        "wallet_issuances",
        ["credential_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_wallet_issuances_offer_id"), "wallet_issuances", ["offer_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_wallet_issuances_offer_id"), table_name="wallet_issuances")
    op.drop_index(op.f("ix_wallet_issuances_credential_id"), table_name="wallet_issuances")
    op.drop_table("wallet_issuances")
    op.drop_index(op.f("ix_wallet_nonces_expires_at"), table_name="wallet_nonces")
    op.drop_table("wallet_nonces")
    op.drop_table("wallet_offer_credentials")
    op.drop_index(op.f("ix_wallet_offers_credential_id"), table_name="wallet_offers")
    op.drop_table("wallet_offers")
