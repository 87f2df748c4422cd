"""What goes over the wire to the Bot Connector: signed calls with authentication on, none without, no threads.

With an app id, incoming activities need a token signed by the Bot Framework, which a test cannot make;
the signed calls are driven proactively (``surface.deliver``, as the scheduler does) on a conversation
installed through the unsecured surface on the same database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from bot.ports import DeliveryError
from bot.replies import Audience, Card, Reply, Section
from tests.integration.teams.builders import CHANNEL, TENANT, message
from tests.integration.teams.conftest import TeamsApp, setup_channel
from tests.integration.teams.reading import content
from tests.support.issued_tokens import TokenIssuer

CARD = Reply(card=Card(title="Customer Moment · Tue 24 Nov", sections=(Section("A story"),)), audience=Audience.CHANNEL)


async def post_card(secured: TeamsApp) -> Any:
    (ref,) = await secured.surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[CARD])
    return ref


def issuer(app: TeamsApp) -> TokenIssuer:
    assert app.tokens is not None
    return app.tokens


async def test_with_an_app_id_every_connector_call_carries_a_bearer_token(teams: TeamsApp, secured: TeamsApp) -> None:
    await setup_channel(teams)
    ref = await post_card(secured)
    assert ref["activityId"]
    (post,) = secured.connector.posts(CHANNEL)
    assert post.authorization == "Bearer token-1"
    assert post.headers["content-type"] == "application/json; charset=utf-8"
    assert post.headers["accept"] == "application/json"
    assert "Microsoft-BotFramework/3.1" in post.headers["user-agent"]
    assert issuer(secured).requests == [False]


async def test_without_an_app_id_nothing_is_signed(teams: TeamsApp) -> None:
    await setup_channel(teams)
    await teams.post(message("help", teams.service_url))
    await teams.surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[CARD])
    assert len(teams.connector.calls) >= 2
    assert all(call.authorization is None for call in teams.connector.calls)


async def test_one_token_serves_many_calls_at_once(teams: TeamsApp, secured: TeamsApp) -> None:
    await setup_channel(teams)
    refs = await asyncio.gather(*(post_card(secured) for _ in range(5)))
    assert len({ref["activityId"] for ref in refs}) == 5
    assert issuer(secured).requests == [False]
    await post_card(secured)  # and later ones, while it is fresh
    assert issuer(secured).requests == [False]
    assert {call.authorization for call in secured.connector.posts(CHANNEL)} == {"Bearer token-1"}


async def test_a_refused_token_is_replaced_once_and_the_call_repeated(teams: TeamsApp, secured: TeamsApp) -> None:
    await setup_channel(teams)
    secured.connector.fail_next(1, 401, only="POST", code="Unauthorized")
    ref = await post_card(secured)
    refused, accepted = secured.connector.posts(CHANNEL)
    assert refused.authorization == "Bearer token-1" and accepted.authorization == "Bearer token-2"
    assert ref["activityId"] == accepted.posted_id
    assert issuer(secured).requests == [False, True]
    await post_card(secured)  # the fresh token is the one kept
    assert secured.connector.posts(CHANNEL)[-1].authorization == "Bearer token-2"


async def test_a_token_refused_twice_is_a_final_failure(teams: TeamsApp, secured: TeamsApp) -> None:
    await setup_channel(teams)
    secured.connector.fail_next(5, 401, only="POST", code="Unauthorized")
    with pytest.raises(DeliveryError) as failed:
        await post_card(secured)
    assert not failed.value.retryable
    assert len(secured.connector.posts(CHANNEL)) == 2
    assert issuer(secured).requests == [False, True]


class NoThreads(ThreadPoolExecutor):
    """A default executor that refuses work, remembering what was asked of it."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.asked: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.asked.append(getattr(fn, "__qualname__", repr(fn)))
        raise RuntimeError("no thread may be used for this")


async def test_a_reply_is_sent_without_any_thread(teams: TeamsApp) -> None:
    await setup_channel(teams)  # first contact (connections opened, references stored) may use what it likes
    refusing = NoThreads()
    loop = asyncio.get_running_loop()
    loop.set_default_executor(refusing)
    try:
        response = await teams.post(message("help", teams.service_url))
    finally:
        loop.set_default_executor(ThreadPoolExecutor())
        refusing.shutdown()
    assert response.status == 200
    (reply,) = teams.connector.posts()
    assert "Customer Moment" in content(reply)
    assert refusing.asked == []
