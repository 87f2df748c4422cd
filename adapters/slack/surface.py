"""The Slack surface: Bolt mounted in our aiohttp app, plus the delivery port for the scheduler.

``POST /slack/events`` takes commands, interactivity and events (one Request URL for all of them);
in OAuth mode ``GET /slack/install`` and ``GET /slack/oauth_redirect`` run the install flow. The
aiohttp request becomes a Bolt request and back with Bolt's own two translation functions; ``/moment``
and button presses then go straight to their listener (:mod:`adapters.slack.fastpath`), everything
else through Bolt. A ``/moment``'s 200 carries its answer when the answer is ready in time
(:mod:`adapters.slack.acknowledgement`).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, cast

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import (
    AsyncAuthorize,
    AsyncCallableAuthorize,
    AsyncInstallationStoreAuthorize,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.http.foreground import Foreground
from adapters.http.inflight import Inflight, off_slack_clock
from adapters.settings import Settings, SettingsError
from adapters.slack import canvas, delivery
from adapters.slack.ackfirst import AckFirst
from adapters.slack.auth import TokenAuthorization, Tokens, installation_store, oauth_settings
from adapters.slack.blocks import posted_key
from adapters.slack.channels import ChannelFinder
from adapters.slack.dedupe import DeliveryLog, SkipProcessedRetries
from adapters.slack.fastpath import FastPath
from adapters.slack.installations import seal_stored_tokens
from adapters.slack.listeners import COMMAND, SlackListeners
from adapters.slack.metering import slack_trace
from adapters.slack.overload import error_handler
from adapters.slack.people import Directory
from adapters.slack.requests import to_bolt_request
from adapters.slack.respond import encoded
from adapters.slack.signing import SlackSignature
from bot.core import CustomerMoment
from bot.ports import BoardOutcome, BoardStatus, DeliveryError, OneTimeClaims
from bot.replies import Audience, Board, Reply
from bot.secrets import GENERATE, SecretBox

logger = logging.getLogger(__name__)


def bolt_logger() -> logging.Logger:
    """The logger Bolt's app and every logger it makes take their level from: that of ``slack_bolt``, which
    :func:`adapters.cli.logs.configure` keeps at INFO or above (at DEBUG, Bolt logs request bodies — an
    install's OAuth code, what people wrote). Left to itself, Bolt copies the root logger's level."""
    base = logging.getLogger("slack_bolt.AsyncApp")
    base.setLevel(logging.getLogger("slack_bolt").getEffectiveLevel())
    return base


EVENTS_PATH = "/slack/events"
NO_SIGNING_SECRET = (
    "SLACK_SIGNING_SECRET: missing; every request to /slack/events is verified with it. Copy it from the app's"
    " Basic Information page, or receive Slack over a socket instead (`serve --socket-mode` with SLACK_APP_TOKEN)."
)
API_TIMEOUT_SECONDS = 10
RETRIES = 2
# Connections the shared Slack session keeps open at once (aiohttp's default is 100). Every answer is
# sent on one: at 500 answers a second and a 300 ms round trip, 150 are in use, leaving room for the
# lookups and posts on the same session; past the limit the next calls would wait for a connection
# however idle the process.
CONNECTIONS = 256
# Answers worked on after an acknowledgement, at once per process: the core's reads and writes, not the
# lookups before or the sending after, which happen outside the slot (adapters/http/inflight.py; a press
# in the Home tab takes a slot again after sending, to draw the tab). Few: every answer
# in progress puts its steps in the event loop's queue, ahead of the acknowledgements and Teams turns
# someone is waiting on, and the work's throughput is bound by the CPU, not by how many run at once
# (measured: with 4 instead of 12, Teams answer p99 at 200 mixed requests/s fell by a quarter to a half,
# and the slash-command rate one process sustains stayed the same; README "Measured").
CONCURRENT_WORK = 4
SHUTDOWN_SECONDS = 8.0
HISTORY_PAGE = 100
NO_KEY = f"ENCRYPTION_KEY is required for OAuth installs (tokens are encrypted at rest); generate one with: {GENERATE}"


class RateLimitRetries(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's retries of a call Slack rate-limited (429: wait for ``Retry-After``, then try again), with
    the wait not counted as Slack being slow to answer (:func:`adapters.http.inflight.off_slack_clock`)."""

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        with off_slack_clock():
            await super().prepare_for_next_attempt_async(state=state, request=request, response=response, error=error)


def web_client(settings: Settings, session: aiohttp.ClientSession | None) -> AsyncWebClient:
    """The Web API client: bounded timeout, retries for 429 (honouring Retry-After), 5xx and connection errors."""
    return AsyncWebClient(
        base_url=settings.slack_api_url,
        timeout=API_TIMEOUT_SECONDS,
        session=session,
        retry_handlers=[
            RateLimitRetries(max_retry_count=RETRIES),
            AsyncServerErrorRetryHandler(max_retry_count=RETRIES),
            AsyncConnectionErrorRetryHandler(max_retry_count=RETRIES),
        ],
    )


# Bolt's type for ``authorize``. It also takes an ``AsyncAuthorize``, and treats None as "not authorized"
# (its type hint says otherwise).
BoltAuthorize = Callable[..., Awaitable[AuthorizeResult]]


def with_token(client: AsyncWebClient, token: str | None, team_id: str | None = None) -> AsyncWebClient:
    """A Web API client like ``client`` (its session, timeout and retries) that calls with ``token``, for
    workspace ``team_id`` when given (as Bolt's client for a request is)."""
    return AsyncWebClient(
        token=token,
        team_id=team_id,
        base_url=client.base_url,
        timeout=client.timeout,
        session=client.session,
        retry_handlers=client.retry_handlers,
    )


class SlackSurface:
    platform = "slack"

    def __init__(
        self,
        *,
        app: AsyncApp,
        client: AsyncWebClient,
        tokens: Tokens,
        inflight: Inflight,
        session: aiohttp.ClientSession | None,
        signature: SlackSignature,
        fast: FastPath | None = None,
        http_events: bool = True,
    ) -> None:
        self.app = app
        self._http_events = http_events
        self._signature = signature
        self._fast = fast
        self._client = client
        self._tokens = tokens
        self._inflight = inflight
        self._session = session

    @property
    def oauth_flow(self) -> AsyncOAuthFlow | None:
        return self.app.oauth_flow

    def routes(self) -> Sequence[web.AbstractRouteDef]:
        routes = [web.post(EVENTS_PATH, self._events)] if self._http_events else []
        flow = self.oauth_flow
        if flow is not None:
            routes += [web.get(flow.install_path, self._install), web.get(flow.redirect_uri_path, self._redirect)]
        return routes

    async def _events(self, request: web.Request) -> web.Response:
        problem = self._signature.problem(await request.read(), request.headers)
        if problem is not None:
            logger.info("slack: unsigned request refused (%s)", problem)
            return web.json_response({"error": "invalid request"}, status=401)
        with self._inflight.acknowledging():
            bolt_request = await to_bolt_request(request)
            acknowledgement = await self._fast.take(bolt_request) if self._fast is not None else None
            if acknowledgement is None:
                return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))
        # Waiting for the answer to carry is not a request being answered: the answer's work must not
        # give way to it (adapters/http/foreground.py).
        carried = await acknowledgement.body()
        if carried is None:
            return web.Response(status=200)
        return web.Response(body=encoded(carried), content_type="application/json")

    async def _install(self, request: web.Request) -> web.Response:
        assert self.oauth_flow is not None
        return await to_aiohttp_response(await self.oauth_flow.handle_installation(await to_bolt_request(request)))

    async def _redirect(self, request: web.Request) -> web.Response:
        assert self.oauth_flow is not None
        return await to_aiohttp_response(await self.oauth_flow.handle_callback(await to_bolt_request(request)))

    @property
    def inflight(self) -> Inflight:
        """The work running after acknowledgements: its slots, its calls to Slack, its tasks."""
        return self._inflight

    async def idle(self, within: float | None = None) -> bool:
        """Wait for work still running after acknowledgements (True when none is left)."""
        return await self._inflight.idle(within)

    async def close(self) -> None:
        if not await self._inflight.idle(SHUTDOWN_SECONDS):
            logger.warning("Slack work still running after %.0fs at shutdown", SHUTDOWN_SECONDS)
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def _client_for(self, workspace_id: str) -> AsyncWebClient:
        return with_token(self._client, await self._tokens.for_workspace(workspace_id))

    async def deliver(self, *, workspace_id: str, channel_id: str | None, replies: Sequence[Reply]) -> list[Any]:
        """Post for the scheduler: channel cards (updated in place when they have a ref), DMs, files."""
        client = await self._client_for(workspace_id)
        refs: list[Any] = []
        for reply in replies:
            channel = reply.to_team or channel_id
            try:
                if reply.audience is Audience.DIRECT and reply.to_member:
                    refs.append(await self._quietly(delivery.direct(client, user=reply.to_member, reply=reply)))
                elif reply.audience is Audience.CHANNEL and channel:
                    ref = reply.message.ref if reply.message else None
                    posted, _ = await delivery.update_or_post(client, ref=ref, channel=channel, reply=reply)
                    refs.append(posted)
                else:
                    logger.info("reply for %s in %s has nobody to go to; dropped", reply.audience, workspace_id)
                    refs.append(None)
            except delivery.SEND_FAILURES as exc:
                raise delivery.delivery_error(exc, what=f"post to {channel} in {workspace_id}") from exc
        return refs

    async def _quietly(self, sending: Any) -> Any:
        try:
            return await sending
        except delivery.SEND_FAILURES as exc:
            logger.warning("direct message not delivered: %s", exc)
            return None

    async def show_board(self, *, workspace_id: str, channel_id: str, board: Board) -> BoardOutcome:
        """The team's board as a section of the channel canvas (:mod:`adapters.slack.canvas`)."""
        try:
            client = await self._client_for(workspace_id)
        except DeliveryError as exc:  # no installation for the workspace any more
            return BoardOutcome(BoardStatus.RETRY if exc.retryable else BoardStatus.GONE, detail=type(exc).__name__)
        except delivery.SEND_FAILURES as exc:
            return BoardOutcome(BoardStatus.RETRY, detail=type(exc).__name__)
        return await canvas.show(client, channel=channel_id, board=board)

    async def find_posted(self, *, workspace_id: str, channel_id: str, key: str) -> dict[str, Any] | None:
        """Look through the channel's recent history for a message posted with this key."""
        client = await self._client_for(workspace_id)
        try:
            history = await client.conversations_history(
                channel=channel_id, limit=HISTORY_PAGE, include_all_metadata=True
            )
        except delivery.SEND_FAILURES as exc:
            raise delivery.delivery_error(exc, what=f"history of {channel_id} in {workspace_id}") from exc
        for item in history.get("messages") or ():
            if isinstance(item, dict) and posted_key(item) == key:
                return {"channel": channel_id, "ts": item.get("ts")}
        return None


async def build_slack_surface(
    settings: Settings,
    *,
    core: CustomerMoment,
    engine: AsyncEngine,
    claims: OneTimeClaims,
    foreground: Foreground,
    http_events: bool = True,
) -> SlackSurface:
    """Build the Slack surface from the settings: token mode or OAuth mode.

    ``http_events``: Slack's requests arrive at ``/slack/events``, which is mounted only with a signing
    secret to verify them (start-up stops with one line without it); Socket Mode and the stand-alone
    worker mount nothing for Slack's events.

    ``engine`` holds Slack's own tables (installations, OAuth states); ``claims`` records the events
    processed, across every process (:mod:`adapters.slack.dedupe`); ``foreground`` counts the requests this
    process is answering, so that work after an acknowledgement gives way.
    """
    if http_events and not settings.slack_signing_secret:
        raise SettingsError(NO_SIGNING_SECRET)
    # slack_sdk applies its timeout only to sessions it creates itself: bound this shared one too.
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=CONNECTIONS),
        trace_configs=[slack_trace()],
        timeout=aiohttp.ClientTimeout(total=API_TIMEOUT_SECONDS),
    )
    client = web_client(settings, session)
    oauth = bool(settings.slack_client_id and settings.slack_client_secret)
    store = None
    if oauth:
        box = SecretBox.from_setting(settings.encryption_key)
        if box is None:
            await session.close()
            raise SettingsError(NO_KEY)
        await seal_stored_tokens(engine, box)
        store = installation_store(settings.slack_client_id, engine, box)
    deliveries = DeliveryLog(claims)
    inflight = Inflight(limit=CONCURRENT_WORK, foreground=foreground, wait=settings.answer_wait_seconds)
    # One ``authorize`` for Bolt and for the commands taken past it (adapters/slack/fastpath.py).
    authorize: AsyncAuthorize
    if oauth:
        assert store is not None
        if settings.slack_bot_token:
            logger.warning("SLACK_BOT_TOKEN is ignored: OAuth installs are on (SLACK_CLIENT_ID and _SECRET are set)")
        # What Bolt would build from the installation store itself.
        authorize = AsyncInstallationStoreAuthorize(
            logger=logger,
            installation_store=store,
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            client=client,
        )
        app = AsyncApp(
            name="customer-moment",
            logger=bolt_logger(),
            signing_secret=settings.slack_signing_secret,
            request_verification_enabled=False,  # SlackSurface._events checks every request before Bolt sees it
            client=client,
            authorize=cast(BoltAuthorize, authorize),
            installation_store=store,
            oauth_settings=oauth_settings(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret,
                store=store,
                engine=engine,
            ),
        )
        tokens = Tokens(token=None, store=store)
    elif settings.slack_bot_token:
        authorization = TokenAuthorization(settings.slack_bot_token)
        await authorization.check(client)
        authorize = AsyncCallableAuthorize(logger=logger, func=cast(BoltAuthorize, authorization.authorize(client)))
        app = AsyncApp(
            name="customer-moment",
            logger=bolt_logger(),
            signing_secret=settings.slack_signing_secret,
            request_verification_enabled=False,  # SlackSurface._events checks every request before Bolt sees it
            client=client,
            authorize=cast(BoltAuthorize, authorize),
        )
        tokens = Tokens(token=settings.slack_bot_token, store=None)
    else:
        await session.close()
        raise SettingsError(
            "Slack needs SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth installs)"
        )
    app.use(SkipProcessedRetries(deliveries))
    app.use(AckFirst())
    on_error = error_handler(client, inflight.tracked, deliveries.claim)
    app.error(on_error)  # answers shed under overload: "busy"
    listeners = SlackListeners(
        core=core,
        directory=Directory(),
        deliveries=deliveries,
        inflight=inflight,
        channels=ChannelFinder(),
        installation_store=store,
    )
    listeners.register(app)
    fast = FastPath(
        command=COMMAND,
        on_command=listeners.answer_command,
        on_press=listeners.answer_press,
        authorize=authorize,
        client_for=partial(with_token, client),
        on_error=on_error,
    )
    # Everything built so far lives as long as the process: move it out of the cyclic collector's
    # reach, so that a full collection does not stall the event loop (and acks) for 100+ ms.
    gc.freeze()
    logger.info("Slack surface ready (%s mode)", "OAuth" if oauth else "single-workspace token")
    return SlackSurface(
        app=app,
        client=client,
        tokens=tokens,
        inflight=inflight,
        session=session,
        signature=SlackSignature(settings.slack_signing_secret),
        fast=fast,
        http_events=http_events,
    )
