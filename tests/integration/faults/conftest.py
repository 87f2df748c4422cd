"""Fixtures for the fault tests: the application's database reached through a cuttable proxy.

Every test here runs on PostgreSQL only (the proxy stands between the app and the shared server, which
must never be stopped). The run's throw-away database comes from the ``postgres_url`` fixture; this
folder's ``database_url`` is that database's URL with host and port swapped for the proxy's, so the
shared ``runtime`` fixture (migrated, emptied) talks to PostgreSQL through the proxy.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.runtime import Runtime
from tests.integration.faults import SLACK_TOKEN
from tests.integration.slack.conftest import clear_slack_tables, slack_runtime, start
from tests.integration.slack.driver import SlackDriver
from tests.integration.teams.builders import ALICE, BOB, CAROL, roster_entry
from tests.integration.teams.conftest import TeamsApp, emulator
from tests.integration.teams.conftest import start as start_teams
from tests.support.clock import FakeClock
from tests.support.db_proxy import DbProxy
from tests.support.fake_connector import FakeConnector, running_connector
from tests.support.fake_slack import FakeSlack

USERS = (("U1", "Alice"), ("U2", "Bob"), ("U3", "Carol"))


@pytest.fixture
async def proxy() -> AsyncIterator[DbProxy]:
    async with DbProxy() as started:
        yield started


@pytest.fixture
def database_url(postgres_url: str, proxy: DbProxy) -> str:
    """The run's PostgreSQL database, reached through :class:`DbProxy` (overrides the two-backend fixture)."""
    return proxy.url_for(postgres_url)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    fake.add_workspace(SLACK_TOKEN, "T1", "acme")
    for user_id, name in USERS:
        fake.add_user(user_id, name, team_id="T1", tz="Europe/Berlin")
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def slack(runtime: Runtime, fake_slack: FakeSlack) -> AsyncIterator[SlackDriver]:
    """The real HTTP server with the Slack surface (token mode) on a real port, its database behind the proxy."""
    await clear_slack_tables(runtime)
    async for driver in start(slack_runtime(runtime, fake_slack, SLACK_BOT_TOKEN=SLACK_TOKEN), fake_slack):
        yield driver


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with running_connector() as fake:
        fake.roster(None, [roster_entry(p) for p in (ALICE, BOB, CAROL)])
        yield fake


@pytest.fixture
async def teams(runtime: Runtime, connector: FakeConnector, clock: FakeClock) -> AsyncIterator[TeamsApp]:
    """The real HTTP server with the Teams surface (authentication off), its database behind the proxy."""
    client, surface = await start_teams(emulator(runtime), clock)
    try:
        yield TeamsApp(client, surface, connector, runtime)
    finally:
        await client.close()
