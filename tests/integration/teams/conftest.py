"""The Teams surface on the real HTTP server (real TCP), talking to a fake Bot Connector (real TCP too)."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from adapters.http.server import create_app
from adapters.runtime import Runtime
from adapters.teams.connector import Backoff
from adapters.teams.sdk import ConnectorOptions
from adapters.teams.surface import TeamsSurface, build_teams_surface
from bot.services.conversations import StoredConversations
from tests.integration.teams.builders import ALICE, BOB, CAROL, installed, message, roster_entry
from tests.support.channel_tokens import ChannelKeys
from tests.support.clock import FakeClock
from tests.support.fake_connector import FakeConnector, running_connector
from tests.support.issued_tokens import IssuedCredentialsFactory, TokenIssuer
from tests.support.serving import METRICS_TOKEN

FAST = ConnectorOptions(backoff=Backoff(attempts=3, base=0.01, cap=0.05, max_wait=2.0), timeout=3.0)
MAX_BODY = 512 * 1024
APP_ID = "9b1c0f55-1d55-4e1b-8f0a-2d5f3e9c7a10"


@dataclasses.dataclass(slots=True)
class TeamsApp:
    """The running server, its surface and the fake connector behind it."""

    client: TestClient[Any, Any]
    surface: TeamsSurface
    connector: FakeConnector
    runtime: Runtime
    tokens: TokenIssuer | None = None  # with authentication on: where outgoing tokens come from

    @property
    def service_url(self) -> str:
        return self.connector.url

    async def post(self, activity: Any, *, headers: dict[str, str] | None = None) -> ClientResponse:
        return await self.client.post("/api/messages", json=activity, headers=headers)


async def setup_channel(teams: TeamsApp) -> None:
    """The app installed in the team, and someone talking in the Support channel (its reference stored)."""
    for activity in (installed(teams.service_url), message("help", teams.service_url)):
        response = await teams.post(activity)
        assert response.status == 200
    teams.connector.clear()


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with running_connector() as fake:
        fake.roster(None, [roster_entry(p) for p in (ALICE, BOB, CAROL)])
        yield fake


async def start(
    runtime: Runtime, clock: FakeClock, options: ConnectorOptions = FAST, tokens: TokenIssuer | None = None
) -> tuple[TestClient[Any, Any], TeamsSurface]:
    credentials = IssuedCredentialsFactory(tokens) if tokens is not None else None
    surface = build_teams_surface(
        core=runtime.core,
        conversations=StoredConversations(sessions=runtime.sessions, clock=clock),
        claims=runtime.backend.claims(),  # the wall clock, as the file offers' expiry is read by
        settings=runtime.settings,
        foreground=runtime.foreground,
        options=options,
        credentials=credentials,
    )
    app = create_app(engine=runtime.engine, surfaces=[surface], max_body_bytes=MAX_BODY, metrics_token=METRICS_TOKEN)
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    return client, surface


PUBLIC_URL = "https://moment.example.com"  # where Teams reaches the server's pages (PUBLIC_URL)


def emulator(runtime: Runtime) -> Runtime:
    """Authentication off, explicitly (``TEAMS_DEV_NO_AUTH``), as in local development with the Emulator."""
    settings = runtime.settings.model_copy(update={"teams_dev_no_auth": True, "public_url": PUBLIC_URL})
    return dataclasses.replace(runtime, settings=settings)


def authenticated(runtime: Runtime, connector: FakeConnector, **more: Any) -> Runtime:
    """An app id and password set; the fake connector's loopback origin allowed as a service URL (its
    http:// origin listed exactly, as only a loopback host may be)."""
    update = {
        "microsoft_app_id": APP_ID,
        "microsoft_app_password": "not-a-real-secret",
        "teams_service_url_hosts": connector.url.rstrip("/"),
        **more,
    }
    return dataclasses.replace(runtime, settings=runtime.settings.model_copy(update=update))


@contextlib.asynccontextmanager
async def signed_app(
    runtime: Runtime, connector: FakeConnector, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, *channels: str
) -> AsyncIterator[tuple[TeamsApp, ChannelKeys]]:
    """Authentication on, with channel keys the server trusts: ``msteams``'s and one per extra endorsement
    in ``channels`` (e.g. ``webchat``), for tests that sign the tokens they send."""
    keys = ChannelKeys()
    keys.add("teams", endorsements=("msteams",))
    for channel in channels:
        keys.add(f"{channel}-only", endorsements=(channel,))
    keys.install(monkeypatch)
    tokens = TokenIssuer(APP_ID)
    client, surface = await start(authenticated(runtime, connector), clock, tokens=tokens)
    try:
        yield TeamsApp(client, surface, connector, runtime, tokens), keys
    finally:
        await client.close()


@pytest.fixture
async def teams(runtime: Runtime, connector: FakeConnector, clock: FakeClock) -> AsyncIterator[TeamsApp]:
    """Authentication off (``TEAMS_DEV_NO_AUTH``, no app id), as in local development."""
    client, surface = await start(emulator(runtime), clock)
    try:
        yield TeamsApp(client, surface, connector, runtime)
    finally:
        await client.close()


@pytest.fixture
async def secured(runtime: Runtime, connector: FakeConnector, clock: FakeClock) -> AsyncIterator[TeamsApp]:
    """Authentication on: an app id and password are set; outgoing tokens come from a test issuer.

    Incoming activities need a token signed by the Bot Framework, which tests cannot make: drive it
    proactively (``surface.deliver``) after installing through the ``teams`` fixture (same database).
    """
    tokens = TokenIssuer(APP_ID)
    client, surface = await start(authenticated(runtime, connector), clock, tokens=tokens)
    try:
        yield TeamsApp(client, surface, connector, runtime, tokens)
    finally:
        await client.close()
