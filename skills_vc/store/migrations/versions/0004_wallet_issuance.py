"""OpenID4VCI: credential offers, their access tokens, issuer nonces, credentials issued to wallets

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 08:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credential_offers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=500), nullable=False),
        sa.Column("configurations", sa.JSON(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("tx_code_hash", sa.String(length=64), nullable=False),
        sa.Column("tx_code_failures", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("burnt_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["associations.id"],
            name=op.f("fk_credential_offers_association_id_associations"),
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"], ["credentials.id"], name=op.f("fk_credential_offers_credential_id_credentials")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_offers")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_credential_offers_code_hash")),
    )
    with op.batch_alter_table("credential_offers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credential_offers_association_id"), ["association_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_credential_offers_credential_id"), ["credential_id"], unique=False
        )

    op.create_table(
        "offer_access_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("offer_id", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["credential_offers.id"],
            name=op.f("fk_offer_access_tokens_offer_id_credential_offers"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_offer_access_tokens")),
    )
    with op.batch_alter_table("offer_access_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offer_access_tokens_offer_id"), ["offer_id"], unique=False)

    op.create_table(
        "issuer_nonces",
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["association_id"], ["associations.id"], name=op.f("fk_issuer_nonces_association_id_associations")
        ),
        sa.PrimaryKeyConstraint("value", name=op.f("pk_issuer_nonces")),
    )
    with op.batch_alter_table("issuer_nonces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issuer_nonces_association_id"), ["association_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_issuer_nonces_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "wallet_issuances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.String(length=64), nullable=False),
        sa.Column("configuration", sa.String(length=64), nullable=False),
        sa.Column("credential_id", sa.String(length=500), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("holder_did", sa.Text(), nullable=False),
        sa.Column("secured", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"], ["credentials.id"], name=op.f("fk_wallet_issuances_credential_id_credentials")
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["credential_offers.id"],
            name=op.f("fk_wallet_issuances_offer_id_credential_offers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_issuances")),
        sa.UniqueConstraint("offer_id", "configuration", name=op.f("uq_wallet_issuances_offer_id")),
    )
    with op.batch_alter_table("wallet_issuances", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wallet_issuances_credential_id"), ["credential_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_wallet_issuances_offer_id"), ["offer_id"], unique=False)


def downgrade() -> None:
    for table in ("wallet_issuances", "issuer_nonces", "offer_access_tokens", "credential_offers"):
        op.drop_table(table)
