"""a counter raised whenever what verification reads changes (registry, credential statuses)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 11:10:00.000000

Each process keeps the registry (keys, accreditation periods) and the signed status lists in
memory; it reads this one row, at most once per ``SKILLS_VC_VERIFY_CACHE_SECONDS``, to learn
whether another process has changed them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "change_counters",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    )
    op.bulk_insert(table, [{"name": "verification", "value": 0}])


def downgrade() -> None:
    op.drop_table("change_counters")
