"""With an app id, every activity must carry a Bot Framework channel token that botbuilder accepts.

Tokens are signed with a local key set (:mod:`tests.support.channel_tokens`); the SDK checks them as
it checks Microsoft's. A refused activity gets a 401, runs nothing, stores nothing and sends nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.runtime import Runtime
from tests.integration.hostile.support import table_counts
from tests.integration.teams.builders import message
from tests.integration.teams.conftest import APP_ID, TeamsApp, signed_app
from tests.support.channel_tokens import ChannelKeys
from tests.support.clock import FakeClock
from tests.support.fake_connector import FakeConnector


@pytest.fixture
async def signed(
    runtime: Runtime, connector: FakeConnector, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[TeamsApp, ChannelKeys]]:
    async with signed_app(runtime, connector, clock, monkeypatch, "webchat") as app:
        yield app


async def test_a_valid_channel_token_is_accepted_and_answered(signed: tuple[TeamsApp, ChannelKeys]) -> None:
    teams, keys = signed
    activity = message("help", teams.service_url)
    token = keys.token(audience=APP_ID, service_url=activity["serviceUrl"])
    response = await teams.post(activity, headers={"Authorization": token})
    assert response.status == 200
    (reply,) = teams.connector.posts()
    assert reply.authorization == f"Bearer {teams.tokens.latest}"  # type: ignore[union-attr]


WRONG: dict[str, dict[str, Any]] = {
    "wrong audience": {"audience": "00000000-0000-4000-8000-000000000000"},
    "wrong issuer": {"issuer": "https://attacker.example"},
    "expired": {"lifetime": -3600.0},  # beyond botbuilder's five minutes of clock tolerance
    "serviceurl claim for another URL": {"service_url": "https://smba.trafficmanager.net/amer/"},
    "key not endorsed for Teams": {"kid": "webchat-only"},
}


@pytest.mark.parametrize("wrong", list(WRONG))
async def test_a_token_wrong_in_any_way_is_refused_and_changes_nothing(
    signed: tuple[TeamsApp, ChannelKeys], wrong: str
) -> None:
    teams, keys = signed
    activity = message("help", teams.service_url)
    claims: dict[str, Any] = {"audience": APP_ID, "service_url": activity["serviceUrl"], **WRONG[wrong]}
    before = await table_counts(teams.runtime.engine)
    response = await teams.post(activity, headers={"Authorization": keys.token(**claims)})
    assert response.status == 401
    assert teams.connector.calls == []
    assert await table_counts(teams.runtime.engine) == before


async def test_a_token_signed_by_a_key_outside_the_set_is_refused(signed: tuple[TeamsApp, ChannelKeys]) -> None:
    teams, _ = signed
    stranger = ChannelKeys()
    stranger.add("teams")  # same key id, another key: the signature does not verify
    activity = message("help", teams.service_url)
    forged = stranger.token(audience=APP_ID, service_url=activity["serviceUrl"])
    response = await teams.post(activity, headers={"Authorization": forged})
    assert response.status == 401
    assert teams.connector.calls == []


@pytest.mark.parametrize(
    "service_url", ["https://attacker.example/", "http://smba.trafficmanager.net/amer/", "http://169.254.169.254/"]
)
async def test_a_valid_token_for_a_service_url_the_bot_may_not_call_is_refused_early(
    signed: tuple[TeamsApp, ChannelKeys], service_url: str
) -> None:
    """The token names that URL (so botbuilder accepts it), but nothing runs, is stored or is sent."""
    teams, keys = signed
    activity = message("help", service_url)
    before = await table_counts(teams.runtime.engine)
    token = keys.token(audience=APP_ID, service_url=service_url)
    response = await teams.post(activity, headers={"Authorization": token})
    assert response.status == 403
    assert teams.connector.calls == [] and teams.tokens is not None and teams.tokens.requests == []
    assert await table_counts(teams.runtime.engine) == before
