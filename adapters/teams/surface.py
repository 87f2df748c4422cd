"""The Teams surface: its route on the shared web server, and proactive posting for the scheduler.

:func:`build_teams_surface` is the composition root's entry point; it takes everything the surface
depends on (the core, the core's :class:`bot.ports.Conversations` and :class:`bot.ports.OneTimeClaims`,
the settings) explicitly.
:class:`TeamsSurface` is both a web surface (``routes``/``close``) and the core's
:class:`bot.ports.Surface` (``deliver``/``find_posted``).

Proactive posts go through the conversation reference stored when the app was installed in the
channel (``adapter.continue_conversation``). What Teams cannot tell after a crash: the Bot Connector
has no way to search a channel for a message the bot posted, so :meth:`TeamsSurface.find_posted` can
only return what was recorded. ``deliver`` returns each post's reference and the scheduler records it;
only a crash between Teams' answer and that write can lead to a second card.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.schema import ConversationReference
from botframework.connector.auth import ServiceClientCredentialsFactory

from adapters.http.foreground import Foreground
from adapters.settings import Settings, SettingsError
from adapters.teams import files, routing, tab
from adapters.teams.activities import PLATFORM
from adapters.teams.bot import TeamsBot
from adapters.teams.conversations import TEAM_ID_KEY, ConversationStore
from adapters.teams.endpoint import ROUTE, Endpoint, TurnSlots
from adapters.teams.handling import Handler
from adapters.teams.outbox import Outbox, Where
from adapters.teams.roster import Directory
from adapters.teams.sdk import ConnectorOptions, make_adapter, turn_connectors
from adapters.teams.transport import ServiceUrls, Transport
from bot.core import CustomerMoment
from bot.ports import BoardOutcome, BoardStatus, ChannelGone, Conversations, DeliveryError, OneTimeClaims
from bot.replies import Audience, Board, Reply

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]


class TeamsSurface:
    platform = PLATFORM

    def __init__(
        self,
        *,
        core: CustomerMoment,
        conversations: Conversations,
        claims: OneTimeClaims,
        settings: Settings,
        adapter: Any,
        transport: Transport,
        directory: Directory,
        options: ConnectorOptions,
        foreground: Foreground,
    ) -> None:
        """``adapter``: botbuilder's CloudAdapter (:func:`adapters.teams.sdk.make_adapter`); ``transport``:
        the HTTP session Bot Connector calls and file uploads share; ``directory``: who is who in Teams."""
        self._app_id = settings.microsoft_app_id.strip()
        self._core = core
        self._options = options
        self._adapter = adapter
        self._store = ConversationStore(conversations)
        self._directory = directory
        self._transport = transport
        turns = TurnSlots(foreground, settings.answer_wait_seconds)
        self._handler = Handler(
            core=self._core,
            store=self._store,
            directory=self._directory,
            upload=self._upload,
            allow_http_uploads=not self._app_id,
            consents=files.Consents.from_secrets(settings.microsoft_app_password, settings.encryption_key),
            claims=claims,
            public_url=settings.public_url,
            work=turns.work,
        )
        bot = TeamsBot(handler=self._handler, options=self._options, transport=self._transport)
        single_tenant = settings.microsoft_app_type == "SingleTenant" and bool(self._app_id)
        self._endpoint = Endpoint(
            adapter=self._adapter,
            bot=bot,
            teams_only=bool(self._app_id),
            service_url_allowed=transport.service_urls.allows,
            tenant=settings.microsoft_app_tenant_id.strip() if single_tenant else None,
            foreground=foreground,
            turns=turns,
        )

    def routes(self) -> Sequence[web.AbstractRouteDef]:
        return [web.post(ROUTE, self._endpoint.handle), *tab.routes()]

    async def close(self) -> None:
        await self._transport.close()

    async def _upload(self, url: str, content: bytes) -> None:
        await files.upload(self._transport.session(), url, content)

    async def deliver(self, *, workspace_id: str, channel_id: str | None, replies: Sequence[Reply]) -> list[Any]:
        """Post into a Teams channel or chat, or to members, without anyone having written.

        Needs the conversation reference stored at install time; a channel without one (never
        installed, or removed since) is :class:`ChannelGone`.
        """
        if not replies:
            return []
        channel_posts = any(r.audience is not Audience.DIRECT for r in replies)
        stored = await self._store.reference(workspace_id, channel_id) if channel_id else None
        if stored is None and channel_posts:
            raise ChannelGone(f"Customer Moment is not installed in Teams conversation {channel_id}")
        if stored is None:
            anywhere = await self._store.references(workspace_id, limit=1)
            if not anywhere:
                logger.warning("teams: no conversation stored in %s to reach members from", workspace_id)
                return [None] * len(replies)
            stored = anywhere[0]
        target = channel_id or _conversation_id(stored)
        service_url = str(stored.get("serviceUrl") or "")
        if not self._transport.service_urls.allows(service_url):
            # Stored before the rule (or while authentication was off): never called, never sent a token.
            logger.warning("teams: conversation %s in %s has a service URL that is not allowed", target, workspace_id)
            raise ChannelGone(f"Teams conversation {target} has a service URL this bot may not call")
        where = Where(
            tenant=workspace_id,
            service_url=service_url,
            conversation_id=target,
            channel_id=channel_id,
            bot=dict(stored.get("bot") or {}),
            roster_id=str(stored.get(TEAM_ID_KEY) or target),
        )
        steps = routing.route(replies, routing.Situation(kind="proactive", channel_id=channel_id))
        refs: list[Any] = []

        async def post(turn_context: TurnContext) -> None:
            connectors = turn_connectors(turn_context, self._options, self._transport)
            outbox = Outbox(
                where=where, connectors=connectors, store=self._store, directory=self._directory, strict=True
            )
            refs.extend(await outbox.send(steps))

        reference = ConversationReference().deserialize(stored)
        try:
            await self._adapter.continue_conversation(reference, post, bot_app_id=self._app_id)
        except DeliveryError:
            raise
        except Exception as exc:  # token service or network trouble before any post was made
            logger.warning("teams: proactive turn in %s failed: %s", workspace_id, exc)
            raise DeliveryError(f"Teams could not be reached: {exc}", retryable=True) from exc
        return refs

    async def show_board(self, *, workspace_id: str, channel_id: str, board: Board) -> BoardOutcome:
        """Teams channels have no canvas to keep a board in."""
        return BoardOutcome(BoardStatus.UNSUPPORTED)

    async def find_posted(self, *, workspace_id: str, channel_id: str, key: str) -> dict[str, Any] | None:
        """The recorded reference of a keyed card in this channel (Teams cannot be searched for it)."""
        return await self._store.posted(workspace_id, channel_id, key)


def _conversation_id(stored: JsonDict) -> str:
    conversation = stored.get("conversation")
    return str(conversation.get("id") or "") if isinstance(conversation, dict) else ""


def build_teams_surface(
    *,
    core: CustomerMoment,
    conversations: Conversations,
    claims: OneTimeClaims,
    settings: Settings,
    foreground: Foreground | None = None,
    options: ConnectorOptions | None = None,
    credentials: ServiceClientCredentialsFactory | None = None,
) -> TeamsSurface:
    """The Teams surface: with ``MICROSOFT_APP_ID`` (authentication on), or for the Emulator with
    ``TEAMS_DEV_NO_AUTH`` (authentication off, this machine only); neither is a :class:`SettingsError`.

    ``claims``: where answered file offers are recorded, for every process at once; ``credentials``: where
    outgoing tokens come from, if not from the settings' app password.
    """
    if not settings.teams_enabled:
        raise SettingsError("MICROSOFT_APP_ID: set it to serve Teams (or TEAMS_DEV_NO_AUTH=true for the Emulator)")
    surface = TeamsSurface(
        core=core,
        conversations=conversations,
        claims=claims,
        settings=settings,
        adapter=make_adapter(settings, credentials=credentials),
        transport=Transport(service_urls=ServiceUrls.from_settings(settings)),
        directory=Directory(),
        options=options or ConnectorOptions(),
        foreground=foreground or Foreground(),
    )
    logger.info("Teams surface ready on %s (app id %s)", ROUTE, settings.microsoft_app_id or "none")
    return surface
