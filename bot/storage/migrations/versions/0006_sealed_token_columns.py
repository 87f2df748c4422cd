"""room for sealed Slack tokens: the installation stores' secret columns become TEXT

Tokens, refresh tokens and incoming webhook URLs are stored sealed (Fernet, ``ENCRYPTION_KEY``),
which makes them about twice as long as in clear: more than the 200 characters slack_sdk's tables
allow for a long refresh token. Only the column type changes; sealing the values themselves needs
the key, which migrations do not have, so an OAuth-mode server seals rows stored in clear when it
starts (adapters/slack/installations.py). SQLite does not enforce lengths: nothing to do there.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOT_SECRETS = ("bot_token", "bot_refresh_token")
SECRETS = {
    "slack_installations": (*BOT_SECRETS, "user_token", "user_refresh_token", "incoming_webhook_url"),
    "slack_bots": BOT_SECRETS,
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in SECRETS.items():
        for column in columns:
            op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length=200))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in SECRETS.items():
        for column in columns:
            op.alter_column(table, column, type_=sa.String(length=200), existing_type=sa.Text())
