"""meeting chats and meeting occurrences: the moment inside a Teams meeting, once per occurrence

Revision ID: 0008_meeting_chats
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision: str = "0008_meeting_chats"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_chats",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("pool_team_id", sa.Integer(), nullable=True),
        sa.Column("linked_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name="fk_meeting_chats_team_id_teams", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["pool_team_id"], ["teams.id"], name="fk_meeting_chats_pool_team_id_teams", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["linked_by"], ["members.id"], name="fk_meeting_chats_linked_by_members", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("team_id", name="pk_meeting_chats"),
    )
    op.create_table(
        "meeting_occurrences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.String(length=255), nullable=False),
        sa.Column("occurrence", sa.String(length=32), nullable=False),
        sa.Column("chat_team_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name="fk_meeting_occurrences_workspace_id_workspaces",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["chat_team_id"], ["teams.id"], name="fk_meeting_occurrences_chat_team_id_teams", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["agenda_items.id"],
            name="fk_meeting_occurrences_agenda_item_id_agenda_items",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_meeting_occurrences"),
        sa.UniqueConstraint("workspace_id", "meeting_id", "occurrence", name="uq_meeting_occurrences_workspace_id"),
    )


def downgrade() -> None:
    op.drop_table("meeting_occurrences")
    op.drop_table("meeting_chats")
