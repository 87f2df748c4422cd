"""Teams is served only when it can be verified, and the bot calls only the Bot Framework.

A stranger who can reach ``/api/messages`` chooses the activity's ``serviceUrl``: where the bot would
send its reply, and which URL a stored conversation reference keeps for the scheduler. These tests
check that no request (let alone one carrying a token) goes anywhere a stranger chose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from adapters.composition import build_surfaces
from adapters.http.foreground import Foreground
from adapters.http.server import create_app
from adapters.runtime import Runtime
from adapters.settings import Settings, SettingsError
from adapters.teams.roster import MAX_LOOKUPS
from adapters.teams.surface import TeamsSurface, build_teams_surface
from bot.ports import ChannelGone
from bot.replies import Audience, Reply
from tests.integration.hostile.support import table_counts
from tests.integration.slack.conftest import TOKEN
from tests.integration.slack.driver import SIGNING_SECRET
from tests.integration.teams.builders import CHANNEL, TENANT, installed, message
from tests.integration.teams.conftest import MAX_BODY, TeamsApp, authenticated, setup_channel, start
from tests.support.clock import FakeClock
from tests.support.fake_connector import FakeConnector
from tests.support.fake_slack import FakeSlack
from tests.support.issued_tokens import TokenIssuer

CARD = Reply(text="Time for a customer moment", audience=Audience.CHANNEL)


@pytest.fixture
def outgoing(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[URL]]:
    """Every URL any aiohttp client in this process requested (the test's own client included)."""
    seen: list[URL] = []
    original = aiohttp.ClientSession._request

    async def recording(self: aiohttp.ClientSession, method: str, str_or_url: Any, **kwargs: Any) -> Any:
        seen.append(URL(str(str_or_url)))
        return await original(self, method, str_or_url, **kwargs)

    monkeypatch.setattr(aiohttp.ClientSession, "_request", recording)
    yield seen


def with_settings(runtime: Runtime, **values: str) -> Runtime:
    settings = Settings(DATABASE_URL=runtime.settings.database_url, **values)
    return dataclasses.replace(runtime, settings=settings, foreground=Foreground())


async def test_a_slack_only_deployment_has_no_teams_endpoint_and_sends_nothing(
    runtime: Runtime, fake_slack: FakeSlack, connector: FakeConnector
) -> None:
    slack_only = with_settings(
        runtime, SLACK_API_URL=fake_slack.api_url, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET
    )
    surfaces = await build_surfaces(slack_only)
    assert not any(isinstance(s, TeamsSurface) for s in surfaces)  # nor does the scheduler get one
    client: TestClient[Any, Any] = TestClient(
        TestServer(create_app(engine=runtime.engine, surfaces=surfaces, max_body_bytes=MAX_BODY))
    )
    await client.start_server()
    try:
        before, slack_calls = await table_counts(runtime.engine), len(fake_slack.calls)
        for activity in (installed(connector.url), message("help", connector.url)):
            response = await client.post("/api/messages", json=activity)
            assert response.status == 404
        assert connector.calls == []
        assert len(fake_slack.calls) == slack_calls
        assert await table_counts(runtime.engine) == before
    finally:
        await client.close()
        for surface in surfaces:
            await surface.close()


async def test_without_an_app_id_teams_is_not_served_unless_asked_for_explicitly(runtime: Runtime) -> None:
    nothing = with_settings(runtime)
    assert not any(isinstance(s, TeamsSurface) for s in await build_surfaces(nothing))
    with pytest.raises(SettingsError) as refused:
        build_teams_surface(
            core=runtime.core,
            conversations=runtime.backend.conversations(),
            claims=runtime.backend.claims(),
            settings=nothing.settings,
        )
    assert str(refused.value).startswith("MICROSOFT_APP_ID:")
    emulator = with_settings(runtime, TEAMS_DEV_NO_AUTH="true")
    surfaces = await build_surfaces(emulator)
    try:
        assert any(isinstance(s, TeamsSurface) for s in surfaces)
    finally:
        for surface in surfaces:
            await surface.close()


def elsewhere(connector: FakeConnector) -> list[str]:
    port = URL(connector.url).port
    return [
        "http://169.254.169.254/latest/meta-data/",  # a cloud metadata address
        "http://10.0.0.5:8080/",
        "https://smba.trafficmanager.net/amer/",  # even Teams' own host: without a token, it is not Teams
        f"http://127.0.0.1.nip.io:{port}/",  # only looks like loopback
        f"http://localhost.attacker.example:{port}/",
        "http://[::ffff:169.254.169.254]/",
        f"http://someone@127.0.0.1:{port}/",  # credentials in the URL: never a service URL
        "file:///etc/passwd",
    ]


async def test_without_authentication_only_loopback_service_urls_are_accepted(
    teams: TeamsApp, runtime: Runtime, outgoing: list[URL]
) -> None:
    before = await table_counts(runtime.engine)
    forged = elsewhere(teams.connector)
    for service_url in forged:
        for activity in (installed(service_url), message("help", service_url)):
            response = await teams.post(activity)
            assert response.status in (400, 403), service_url  # 400: not even a URL the activity may carry
    assert teams.connector.calls == []
    assert await table_counts(runtime.engine) == before
    forged_hosts = {URL(u).host for u in forged} - {"127.0.0.1"}
    assert not [u for u in outgoing if u.host in forged_hosts or u.user]
    # This machine, by any loopback name, is what the Emulator uses: answered.
    for service_url in (teams.service_url, teams.service_url.replace("127.0.0.1", "localhost")):
        assert (await teams.post(message("help", service_url))).status == 200
    assert len(teams.connector.posts()) == 2


@pytest.mark.parametrize(
    ("stored_host", "hosts_setting", "delivered"),
    [
        ("127.0.0.1", "{origin}", True),  # the control: the listed origin is called, with a token
        ("localhost", "{origin}", False),  # the same server by another name: not listed
        ("127.0.0.1", "", False),  # plain http to a host that is not the Bot Framework
        ("127.0.0.1", "127.0.0.1", False),  # a plain host entry means https only
    ],
)
async def test_with_authentication_a_stored_reference_to_another_host_is_never_called(
    runtime: Runtime,
    connector: FakeConnector,
    clock: FakeClock,
    outgoing: list[URL],
    stored_host: str,
    hosts_setting: str,
    delivered: bool,
) -> None:
    # Stored while authentication was off (or by an older version): the channel's reference.
    emulator_client, emulator = await start(
        dataclasses.replace(runtime, settings=runtime.settings.model_copy(update={"teams_dev_no_auth": True})), clock
    )
    stored_url = connector.url.replace("127.0.0.1", stored_host)
    await setup_channel(TeamsApp(emulator_client, emulator, dataclasses.replace(connector, url=stored_url), runtime))
    await emulator_client.close()
    connector.clear()
    outgoing.clear()

    hosts = hosts_setting.format(origin=connector.url.rstrip("/"))
    tokens = TokenIssuer(authenticated(runtime, connector).settings.microsoft_app_id)
    client, surface = await start(
        authenticated(runtime, connector, teams_service_url_hosts=hosts), clock, tokens=tokens
    )
    try:
        if delivered:
            await surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[CARD])
            (post,) = connector.posts(CHANNEL)
            assert post.authorization == f"Bearer {tokens.latest}"
            return
        with pytest.raises(ChannelGone) as refused:
            await surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[CARD])
        assert refused.value.retryable is False  # the scheduler does not keep trying
        assert connector.calls == []
        assert tokens.requests == []  # no token was even fetched, so none could be sent
        assert outgoing == []
    finally:
        await client.close()


async def test_one_message_causes_a_bounded_number_of_member_lookups(teams: TeamsApp) -> None:
    await setup_channel(teams)
    strangers = tuple({"id": f"29:stranger-{i}", "name": f"Stranger {i}"} for i in range(40))
    text = "shoutout " + " ".join(f"@{p['name']}" for p in strangers) + " thanks"
    response = await teams.post(message(text, teams.service_url, mentioned=strangers))
    assert response.status == 200
    lookups = [c for c in teams.connector.calls if c.method == "GET" and "/members/" in c.path]
    assert len(lookups) == MAX_LOOKUPS
    assert teams.connector.posts()  # answered all the same (the rest are unknown names)
