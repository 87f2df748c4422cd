"""One-time claims: keys that may be used once across every process (a Teams file offer), each kept until what
it names can no longer be used anyway, then pruned.

Revision ID: 0012_one_time_claims
Revises: 0011_shoutout_announcements
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_one_time_claims"
down_revision: str | None = "0011_shoutout_announcements"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "one_time_claims",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kept_until", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_one_time_claims"),
    )
    op.create_index("ix_one_time_claims_kept_until", "one_time_claims", ["kept_until"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_one_time_claims_kept_until", table_name="one_time_claims")
    op.drop_table("one_time_claims")
