"""The real HTTP server with the Slack surface on a real port, against a fake Slack Web API."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import text

from adapters.http.foreground import Foreground
from adapters.http.server import create_app
from adapters.runtime import Runtime
from adapters.settings import Settings
from adapters.slack.surface import SlackSurface, build_slack_surface
from tests.integration.slack.driver import SIGNING_SECRET, SlackDriver
from tests.support.fake_slack import FakeSlack
from tests.support.serving import METRICS_TOKEN

SLACK_TABLES = ("slack_installations", "slack_bots", "slack_oauth_states")
TOKEN = "xoxb-T1-token"
OTHER_TOKEN = "xoxb-T2-token"
ENCRYPTION_KEY = "3PTmvb8qY1AoFm7hDSUgbGJjv52J9i1xzETGNUmz3aE="  # a fixed test key (Fernet.generate_key())


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    fake.add_workspace(TOKEN, "T1", "acme")
    for user_id, name in (("U1", "Alice"), ("U2", "Bob"), ("U3", "Carol"), ("U999", "Mallory")):
        fake.add_user(user_id, name, team_id="T1", tz="Europe/Berlin")
    try:
        yield fake
    finally:
        await fake.close()


async def clear_slack_tables(runtime: Runtime) -> None:
    if runtime.engine.dialect.name == "postgresql":
        async with runtime.engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {', '.join(SLACK_TABLES)} RESTART IDENTITY"))


def slack_runtime(runtime: Runtime, fake: FakeSlack, **slack: str) -> Runtime:
    settings = Settings(
        DATABASE_URL=runtime.settings.database_url,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        **slack,
    )
    return dataclasses.replace(runtime, settings=settings, foreground=Foreground())


async def start(runtime: Runtime, fake: FakeSlack) -> AsyncIterator[SlackDriver]:
    surface = await build_slack_surface(
        runtime.settings,
        core=runtime.core,
        engine=runtime.engine,
        claims=runtime.backend.claims(),
        foreground=runtime.foreground,
    )
    assert isinstance(surface, SlackSurface)
    fake.reset()  # tests see only the calls they cause (start-up asks auth.test in token mode)
    app = create_app(
        engine=runtime.engine,
        surfaces=[surface],
        max_body_bytes=runtime.settings.max_body_bytes,
        metrics_token=METRICS_TOKEN,
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    session = aiohttp.ClientSession()
    try:
        yield SlackDriver(
            base_url=str(server.make_url("/")),
            fake=fake,
            surface=surface,
            session=session,
        )
    finally:
        await session.close()
        await server.close()


@pytest.fixture
async def slack(runtime: Runtime, fake_slack: FakeSlack) -> AsyncIterator[SlackDriver]:
    """Single-workspace token mode: workspace T1, bot token TOKEN."""
    await clear_slack_tables(runtime)
    configured = slack_runtime(runtime, fake_slack, SLACK_BOT_TOKEN=TOKEN)
    async for driver in start(configured, fake_slack):
        yield driver


@pytest.fixture
async def slack_oauth(runtime: Runtime, fake_slack: FakeSlack) -> AsyncIterator[SlackDriver]:
    """OAuth mode: installations come from the install flow, tokens from the database."""
    await clear_slack_tables(runtime)
    configured = slack_runtime(
        runtime,
        fake_slack,
        SLACK_CLIENT_ID="111.222",
        SLACK_CLIENT_SECRET="client-secret",
        ENCRYPTION_KEY=ENCRYPTION_KEY,
    )
    async for driver in start(configured, fake_slack):
        yield driver
