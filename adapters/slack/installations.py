"""Slack OAuth installations with their tokens sealed at rest (``ENCRYPTION_KEY``).

slack_sdk's SQLAlchemy installation store keeps bot and user tokens, refresh tokens and incoming
webhook URLs in its tables as given. This store seals those fields before they are written and opens
them when they are read, so the database (and every backup of it) holds no usable credential.

Rows written in clear by an earlier version are sealed when an OAuth-mode server starts
(:func:`seal_stored_tokens`, run before the first request), and rows sealed under an older key are
re-sealed with the first one, so that removing a retired key from ``ENCRYPTION_KEY`` is safe once
every process has started with the new list.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import sqlalchemy as sa
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.secrets import SecretBox

logger = logging.getLogger(__name__)

BOT_SECRETS = ("bot_token", "bot_refresh_token")
INSTALLATION_SECRETS = (*BOT_SECRETS, "user_token", "user_refresh_token", "incoming_webhook_url")


class EncryptedInstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's store, with the secret fields sealed in the database and open in memory."""

    def __init__(self, *, client_id: str, engine: AsyncEngine, box: SecretBox) -> None:
        super().__init__(client_id=client_id, engine=engine)
        self._box = box

    def _sealed(self, entity: Any, fields: tuple[str, ...]) -> Any:
        # A copy: Bolt goes on using the entity it handed over, with its tokens in clear.
        sealed = copy.copy(entity)
        for name in fields:
            value = getattr(sealed, name, None)
            if isinstance(value, str) and value:
                setattr(sealed, name, self._box.seal(value))
        return sealed

    def _opened(self, entity: Any, fields: tuple[str, ...]) -> Any:
        for name in fields:
            value = getattr(entity, name, None)
            if isinstance(value, str) and value:
                setattr(entity, name, self._box.open(value))
        return entity

    async def async_save(self, installation: Installation) -> None:
        # The parent saves the bot through ``async_save_bot`` too; sealing is idempotent, so it stays sealed.
        await super().async_save(self._sealed(installation, INSTALLATION_SECRETS))

    async def async_save_bot(self, bot: Bot) -> None:
        await super().async_save_bot(self._sealed(bot, BOT_SECRETS))

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        bot = await super().async_find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        return None if bot is None else self._opened(bot, BOT_SECRETS)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        installation = await super().async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return None if installation is None else self._opened(installation, INSTALLATION_SECRETS)


async def seal_stored_tokens(engine: AsyncEngine, box: SecretBox) -> int:
    """Seal every secret field stored in clear, and re-seal those under an older key; returns rows changed.

    Each row is updated only if it still holds what was read, so replicas starting together neither
    fight nor seal twice.
    """
    metadata = sa.MetaData()
    tables = (
        (sa.Table("slack_installations", metadata, *_columns(INSTALLATION_SECRETS)), INSTALLATION_SECRETS),
        (sa.Table("slack_bots", metadata, *_columns(BOT_SECRETS)), BOT_SECRETS),
    )
    changed = 0
    async with engine.begin() as connection:
        for table, fields in tables:
            for row in (await connection.execute(sa.select(table))).mappings():
                new = {name: box.reseal(row[name]) for name in fields if row[name]}
                if all(new[name] == row[name] for name in new):
                    continue
                same = [table.c[name] == row[name] for name in new]
                await connection.execute(table.update().where(table.c.id == row["id"], *same).values(**new))
                changed += 1
    if changed:
        logger.info("sealed the Slack tokens of %s stored installation rows with the first ENCRYPTION_KEY", changed)
        if engine.dialect.name == "sqlite":
            await _forget_old_pages(engine)
    return changed


async def _forget_old_pages(engine: AsyncEngine) -> None:
    """SQLite keeps a replaced value in free pages and in the write-ahead log: rewrite the file without them."""
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql("VACUUM")
        await autocommit.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _columns(fields: tuple[str, ...]) -> list[sa.Column[Any]]:
    return [sa.Column("id", sa.Integer, primary_key=True), *(sa.Column(name, sa.Text) for name in fields)]
