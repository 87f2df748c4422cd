"""A team remembers when it was last invited to share a story because its pool ran low (at most weekly).

Revision ID: 0009_pool_nudge
Revises: 0008_meeting_chats
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision: str = "0009_pool_nudge"
down_revision: str | None = "0008_meeting_chats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.add_column(sa.Column("nudged_at", bot.storage.models.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.drop_column("nudged_at")
