"""Through the real server: how long each Teams answer took, at ``/metrics``.

A message's replies go to the Bot Connector before its 200; ``customer_moment_answer_seconds{surface=
"teams",kind="turn"}`` times each from the activity's arrival until they have gone (not what the turn
does after them). An install is not an answer anyone waits to read, and a message answered "busy" is
counted as shed, not timed.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from adapters.http.overload import BUSY
from adapters.teams.endpoint import CONCURRENT_TURNS
from adapters.teams.meetings import Meetings
from tests.integration.teams.builders import bot_added, installed, message
from tests.integration.teams.conftest import TeamsApp, setup_channel
from tests.integration.teams.reading import content
from tests.support.serving import METRICS_AUTH, answer_times


async def timed(teams: TeamsApp) -> tuple[float, float]:
    response = await teams.client.get("/metrics", headers=METRICS_AUTH)
    return answer_times(await response.text(), surface="teams", kind="turn")


async def test_a_message_is_timed_until_its_replies_have_gone_and_an_install_is_not_timed(teams: TeamsApp) -> None:
    count, _ = await timed(teams)
    for activity in (installed(teams.service_url), bot_added(teams.service_url)):
        assert (await teams.post(activity)).status == 200
    assert (await timed(teams))[0] == count
    await setup_channel(teams)
    teams.connector.post_latency = 0.3  # the Bot Connector takes its time to accept a reply, not a lookup
    before = await timed(teams)
    assert (await teams.post(message("help", teams.service_url))).status == 200
    assert [c.method for c in teams.connector.calls if c.method == "POST"], "answered"
    after = await timed(teams)
    assert after[0] == before[0] + 1
    assert after[1] - before[1] >= 0.3


async def test_what_a_message_does_after_its_replies_is_not_waited_on(
    teams: TeamsApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a meeting's chat a message also prepares the meeting's moment, after its replies went out: the
    person does not wait for that, and it is not timed."""
    await setup_channel(teams)
    after_the_replies = asyncio.Event()

    async def ahead(*_args: object) -> None:
        await asyncio.sleep(0.5)
        after_the_replies.set()

    monkeypatch.setattr(Meetings, "ahead", ahead)
    before = await timed(teams)
    assert (await teams.post(message("help", teams.service_url))).status == 200
    assert after_the_replies.is_set()
    count, seconds = await timed(teams)
    assert count == before[0] + 1
    assert seconds - before[1] < 0.5


async def test_a_message_answered_busy_is_not_timed(teams: TeamsApp) -> None:
    await setup_channel(teams)
    before = await timed(teams)
    async with contextlib.AsyncExitStack() as held:  # every turn slot taken: the next message is shed
        for _ in range(CONCURRENT_TURNS):
            await held.enter_async_context(teams.surface._endpoint.turns.backlog)
        assert (await teams.post(message("help", teams.service_url))).status == 200
    assert BUSY in "\n".join(content(c) for c in teams.connector.calls if c.method == "POST")
    assert await timed(teams) == before
