"""A shout-out remembers where its announcement was posted in the channel, so that the announcement can be
updated in place when the shout-out may no longer be shown there (withdrawn, hidden, made private).

Revision ID: 0011_shoutout_announcements
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_shoutout_announcements"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("moments") as batch:
        batch.add_column(sa.Column("post_ref", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("moments") as batch:
        batch.drop_column("post_ref")
