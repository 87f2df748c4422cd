"""Longer platform ids: Teams user and conversation ids exceed 64 characters.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("workspaces", 64), ("members", 64), ("teams", 128))


def upgrade() -> None:
    for table, old in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "external_id", type_=sa.String(255), existing_type=sa.String(old), existing_nullable=False
            )


def downgrade() -> None:
    for table, old in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "external_id", type_=sa.String(old), existing_type=sa.String(255), existing_nullable=False
            )
