"""Slack deliveries are claimed through the one-time claims (``one_time_claims``, keys
``slack:<workspace>:delivery:<event id>``): the table the Slack surface kept them in goes.

Its rows are not carried over: they name no workspace, and they matter only for the few minutes in which
Slack still retries a delivery. Going back makes the table again, empty; the Slack claims are then pruned
with the others once their time is over.

Revision ID: 0013_slack_delivery_claims
Revises: 0012_one_time_claims
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_slack_delivery_claims"
down_revision: str | None = "0012_one_time_claims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_slack_processed_deliveries_received_at", table_name="slack_processed_deliveries")
    op.drop_table("slack_processed_deliveries")


def downgrade() -> None:
    op.create_table(
        "slack_processed_deliveries",
        sa.Column("delivery_key", sa.String(length=160), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("delivery_key", name="pk_slack_processed_deliveries"),
    )
    op.create_index(
        "ix_slack_processed_deliveries_received_at", "slack_processed_deliveries", ["received_at"], unique=False
    )
