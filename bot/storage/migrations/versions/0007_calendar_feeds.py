"""Meeting series that follow a calendar feed: the feed's state and the series' known meetings.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("meeting_series", sa.Column("feed_occurrences", sa.JSON(), nullable=True))
    op.create_table(
        "calendar_feeds",
        sa.Column(
            "series_id",
            sa.Integer(),
            sa.ForeignKey("meeting_series.id", ondelete="CASCADE", name="fk_calendar_feeds_series_id_meeting_series"),
            primary_key=True,
        ),
        sa.Column(
            "workspace_id",
            sa.Integer(),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE", name="fk_calendar_feeds_workspace_id_workspaces"),
            nullable=False,
        ),
        sa.Column("url_ciphertext", sa.Text(), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("event_uid", sa.String(1000), nullable=False),
        sa.Column("event_title", sa.String(200), nullable=False),
        sa.Column("event_ics", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(500), nullable=True),
        sa.Column("last_modified", sa.String(100), nullable=True),
        sa.Column("last_read_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("failing_since", UTCDateTime(), nullable=True),
        sa.Column("warned_at", UTCDateTime(), nullable=True),
        sa.Column("next_refresh_at", UTCDateTime(), nullable=False),
        sa.Column("locked_by", sa.String(64), nullable=True),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("series_id", name="pk_calendar_feeds"),
    )
    op.create_index("ix_calendar_feeds_due", "calendar_feeds", ["next_refresh_at"])


def downgrade() -> None:
    op.drop_index("ix_calendar_feeds_due", table_name="calendar_feeds")
    op.drop_table("calendar_feeds")
    with op.batch_alter_table("meeting_series") as batch:
        batch.drop_column("feed_occurrences")
