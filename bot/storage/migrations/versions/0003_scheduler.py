"""Scheduler: reminder lead per series and the time the next occurrence is prepared.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meeting_series") as batch:
        batch.add_column(sa.Column("remind_minutes", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_prepare_at", bot.storage.models.UTCDateTime(), nullable=True))
        batch.create_index("ix_series_prepare", ["state", "next_prepare_at"])
    op.execute("UPDATE meeting_series SET next_prepare_at = next_post_at")


def downgrade() -> None:
    with op.batch_alter_table("meeting_series") as batch:
        batch.drop_index("ix_series_prepare")
        batch.drop_column("next_prepare_at")
        batch.drop_column("remind_minutes")
