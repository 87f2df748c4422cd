"""Channel canvas: a team may keep a "Customer Moment" section in its channel's canvas.

``canvas`` switches it on; ``board_due_at`` says from when the section must be written again (at most
once a minute per channel, ``board_written_at``); ``board_problem`` remembers the problem the managers
were told about, so that they are told once.

Revision ID: 0010
Revises: 0009_pool_nudge
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision: str = "0010"
down_revision: str | None = "0009_pool_nudge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.add_column(sa.Column("canvas", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("board_due_at", bot.storage.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("board_written_at", bot.storage.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("board_problem", sa.String(length=32), nullable=True))
        batch.create_index("ix_teams_board_due", ["board_due_at"])


def downgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.drop_index("ix_teams_board_due")
        batch.drop_column("board_problem")
        batch.drop_column("board_written_at")
        batch.drop_column("board_due_at")
        batch.drop_column("canvas")
