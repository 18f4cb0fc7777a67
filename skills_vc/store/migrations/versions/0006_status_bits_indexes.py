"""partial indexes of the revoked and suspended credentials of each status list

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00.000000

A status list's set bits were read by scanning every credential of the list (two scans, about
35 ms at 65k credentials); these indexes hold only the revoked (or suspended) ones, so the read
is index-only whatever the list's size. Built without CONCURRENTLY: writes to ``credentials``
wait while they build (under a second at 200k credentials).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (("ix_credentials_revoked", "revoked_at"), ("ix_credentials_suspended", "suspended_at"))


def upgrade() -> None:
    for name, column in _INDEXES:
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            name,
            "credentials",
            ["association_id", "status_list_seq", "status_index"],
            unique=False,
            postgresql_where=where,
            sqlite_where=where,
        )


def downgrade() -> None:
    for name, _ in _INDEXES:
        op.drop_index(name, table_name="credentials")
