"""Who the bot is in each workspace: a single-workspace bot token, or OAuth installations in the database.

Single-workspace mode (``SLACK_BOT_TOKEN``) answers every request with that token and never calls
Slack on the acknowledgement path. OAuth mode (``SLACK_CLIENT_ID`` + ``SLACK_CLIENT_SECRET``) keeps
installations in slack_sdk's SQLAlchemy stores on the product's own database (tables created by the
migrations, tokens sealed with ``ENCRYPTION_KEY``) and offers ``/slack/install`` and ``/slack/oauth_redirect``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.incoming import split_workspace_key
from adapters.slack.installations import EncryptedInstallationStore
from adapters.slack.scopes import BOT_SCOPES
from bot.ports import ChannelGone
from bot.secrets import SecretBox

logger = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600
MAX_STATES = 10_000  # OAuth states kept at most: installs started in the last STATE_SECONDS


RECHECK_SECONDS = 10.0  # how often auth.test is asked again while it has not answered


class TokenAuthorization:
    """Bolt ``authorize`` for one workspace and its bot token; ``auth.test`` runs once, at start-up."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.bot_id: str | None = None
        self.bot_user_id: str | None = None
        self.team_id: str | None = None
        self._checked_at = -RECHECK_SECONDS

    async def _check_again(self, client: AsyncWebClient) -> None:
        now = time.monotonic()
        if now - self._checked_at < RECHECK_SECONDS:
            return
        self._checked_at = now
        await self.check(client)

    async def check(self, client: AsyncWebClient) -> None:
        """Ask Slack who the token belongs to (for the logs and self-event filtering); failure is not fatal."""
        try:
            result = await client.auth_test(token=self.token)
        except (SlackApiError, SlackClientError, TimeoutError, OSError) as exc:
            logger.error("auth.test with SLACK_BOT_TOKEN failed: %s", exc)
            return
        self.bot_id, self.bot_user_id, self.team_id = result.get("bot_id"), result.get("user_id"), result.get("team_id")
        logger.info("Slack bot user %s in workspace %s", self.bot_user_id, self.team_id)

    def authorize(self, client: AsyncWebClient) -> Callable[..., Awaitable[AuthorizeResult | None]]:
        """The function Bolt calls per request (Bolt passes arguments by name, so a plain function).

        Only requests from the token's own workspace are authorized: a correctly signed request from
        another workspace (another of the same Enterprise Grid, say) gets Bolt's "not installed" answer
        and reaches no listener, so it creates nothing. Until ``auth.test`` has said which workspace the
        token is for, it is asked again (at most every few seconds) and nothing is authorized.
        """

        async def authorize(
            enterprise_id: str | None, team_id: str | None, user_id: str | None
        ) -> AuthorizeResult | None:
            if self.team_id is None:
                await self._check_again(client)
            if self.team_id is None or team_id != self.team_id:
                logger.warning("refused a request from workspace %s: the bot token is for %s", team_id, self.team_id)
                return None
            return AuthorizeResult(
                enterprise_id=enterprise_id,
                team_id=team_id,
                bot_id=self.bot_id,
                bot_user_id=self.bot_user_id,
                bot_token=self.token,
                user_id=user_id,
            )

        return authorize


def installation_store(client_id: str, engine: AsyncEngine, box: SecretBox) -> AsyncSQLAlchemyInstallationStore:
    """The OAuth installations, their tokens sealed at rest with ``box``."""
    return EncryptedInstallationStore(client_id=client_id, engine=engine, box=box)


def _utc_naive() -> datetime:
    """Now, as the state store keeps its times: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


class BoundedOAuthStateStore(AsyncSQLAlchemyOAuthStateStore):
    """Bolt's OAuth state store, kept small: every visit to the install page stores a state, without asking
    who visits, so each new one first clears the expired ones and all but the newest :data:`MAX_STATES`
    (a flood of visits can then cost an install in progress its state — it starts again — never the disk)."""

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        table = self.oauth_states
        newest = select(func.max(table.c.id)).scalar_subquery()
        async with self.engine.begin() as connection:
            await connection.execute(
                delete(table).where(or_(table.c.expire_at <= _utc_naive(), table.c.id <= newest - MAX_STATES))
            )
        state: str = await super().async_issue(*args, **kwargs)
        return state


def oauth_settings(
    *, client_id: str, client_secret: str, store: AsyncSQLAlchemyInstallationStore, engine: AsyncEngine
) -> AsyncOAuthSettings:
    return AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=store,
        state_store=BoundedOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine),
        state_expiration_seconds=STATE_SECONDS,
    )


class Tokens:
    """The bot token to use for a workspace when no request brought one (scheduler deliveries).

    Installed tokens are kept for a minute, so a burst of scheduled posts does not read the installation
    store once per message; an uninstall takes effect within that minute (Slack refuses the old token
    at once anyway, which the scheduler treats as the workspace being gone). Posts to one workspace that
    start together share a single read of the store.
    """

    TTL_SECONDS = 60.0

    def __init__(self, *, token: str | None, store: AsyncSQLAlchemyInstallationStore | None) -> None:
        self._token = token
        self._store = store
        self._cache: dict[str, tuple[float, str]] = {}
        self._reading: dict[str, asyncio.Future[str]] = {}

    async def for_workspace(self, workspace_id: str) -> str:
        if self._token:
            return self._token
        if self._store is None:
            raise ChannelGone(f"no Slack credentials for workspace {workspace_id}")
        cached = self._cache.get(workspace_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        reading = self._reading.get(workspace_id)
        if reading is None:
            reading = asyncio.ensure_future(self._read(workspace_id))
            self._reading[workspace_id] = reading
            reading.add_done_callback(lambda _: self._reading.pop(workspace_id, None))
        return await asyncio.shield(reading)

    async def _read(self, workspace_id: str) -> str:
        assert self._store is not None
        tenant = split_workspace_key(workspace_id)
        bot: Any = await self._store.async_find_bot(
            enterprise_id=tenant.enterprise_id,
            team_id=tenant.team_id,
            is_enterprise_install=tenant.is_enterprise_install,
        )
        if bot is None or not bot.bot_token:
            self._cache.pop(workspace_id, None)
            raise ChannelGone(f"the app is not installed in workspace {workspace_id}")
        self._cache[workspace_id] = (time.monotonic() + self.TTL_SECONDS, str(bot.bot_token))
        return str(bot.bot_token)
