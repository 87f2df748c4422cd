"""Graceful overload on Teams, over real HTTP: a message that gets no turn slot within the wait bound
is answered "busy", stores nothing and is counted; once slots are free, messages are answered again.

In the first test the slots are held by the test itself, so the overload is exact and needs no timing.
The last one has the Bot Connector take 2 s per call, four times the wait bound: a turn that held its
slot while its reply travels would shed the rest of the burst.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from adapters.http.overload import BUSY
from adapters.runtime import Runtime
from adapters.teams.endpoint import CONCURRENT_TURNS
from bot.storage.models import Moment
from tests.integration.teams.builders import message
from tests.integration.teams.conftest import TeamsApp, emulator, setup_channel, start
from tests.integration.teams.reading import content
from tests.support.clock import FakeClock
from tests.support.fake_connector import FakeConnector
from tests.support.serving import METRICS_AUTH

STORY = "story A customer called twice about a late parcel lesson: call back before they have to chase us"


async def serving(runtime: Runtime, connector: FakeConnector, clock: FakeClock, wait: float) -> AsyncIterator[TeamsApp]:
    """Authentication off; a message may wait ``wait`` seconds for a turn slot."""
    settings = runtime.settings.model_copy(update={"answer_wait_seconds": wait})
    client, surface = await start(emulator(dataclasses.replace(runtime, settings=settings)), clock)
    try:
        yield TeamsApp(client, surface, connector, runtime)
    finally:
        await client.close()


@pytest.fixture
async def teams(runtime: Runtime, connector: FakeConnector, clock: FakeClock) -> AsyncIterator[TeamsApp]:
    async for app in serving(runtime, connector, clock, 0.05):
        yield app


async def say(teams: TeamsApp, text: str) -> str:
    """Send a message in the channel; returns the text of what the bot answered."""
    teams.connector.clear()
    response = await teams.post(message(text, teams.service_url))
    assert response.status == 200, await response.text()
    return "\n".join(content(c) for c in teams.connector.calls if c.method == "POST")


async def stories(teams: TeamsApp) -> int:
    async with teams.runtime.sessions() as session:
        told = select(func.count()).select_from(Moment).where(Moment.library_key.is_(None))
        return int(await session.scalar(told) or 0)


async def shed_turns(teams: TeamsApp) -> float:
    response = await teams.client.get("/metrics", headers=METRICS_AUTH)
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            if sample.name == "customer_moment_answers_shed_total" and sample.labels == {
                "surface": "teams",
                "kind": "turn",
            }:
                return float(sample.value)
    return 0.0


async def test_a_message_with_no_free_turn_slot_gets_busy_stores_nothing_is_counted_and_service_resumes(
    teams: TeamsApp,
) -> None:
    await setup_channel(teams)
    shed_before, stored_before = await shed_turns(teams), await stories(teams)
    turns = teams.surface._endpoint.turns.backlog  # every slot held by the test: the process is saturated
    async with contextlib.AsyncExitStack() as held:
        for _ in range(CONCURRENT_TURNS):
            await held.enter_async_context(turns)
        answer = await say(teams, STORY)
        assert BUSY in answer
        assert await stories(teams) == stored_before, "a shed message stores nothing"
        assert await shed_turns(teams) - shed_before == 1

    answer = await say(teams, STORY)
    assert BUSY not in answer and answer.strip()
    assert await stories(teams) == stored_before + 1


@pytest.fixture
async def patient(runtime: Runtime, connector: FakeConnector, clock: FakeClock) -> AsyncIterator[TeamsApp]:
    async for app in serving(runtime, connector, clock, 0.5):
        yield app


async def test_a_slow_bot_connector_does_not_hold_turn_slots_so_a_burst_is_answered_not_shed(
    patient: TeamsApp,
) -> None:
    """A turn slot is held for a message's core call, not while its reply travels to Teams: a Bot
    Connector that takes far longer than the wait bound to accept each reply leaves the slots free."""
    await setup_channel(patient)
    patient.connector.clear()
    patient.connector.latency = 2.0
    burst = CONCURRENT_TURNS + 6

    responses = await asyncio.gather(*(patient.post(message(f"help {n}", patient.service_url)) for n in range(burst)))

    assert [r.status for r in responses] == [200] * burst
    replies = [content(c) for c in patient.connector.calls if c.method == "POST"]
    assert len(replies) == burst, "every message is answered"
    assert not [r for r in replies if BUSY in r], "none is shed"
