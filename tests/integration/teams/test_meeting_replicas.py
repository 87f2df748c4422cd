"""Two servers on one PostgreSQL receive the same meeting start at the same moment: one card, one notification."""

from __future__ import annotations

import asyncio

import pytest

from adapters.runtime import Runtime
from tests.integration.teams.builders import (
    ALICE,
    BOB,
    CHAT,
    MEETING,
    installed,
    meeting_details,
    meeting_event,
    roster_entry,
)
from tests.integration.teams.conftest import TeamsApp, emulator, start
from tests.integration.teams.reading import buttons, cards
from tests.support.clock import FakeClock
from tests.support.databases import POSTGRES_URL
from tests.support.fake_connector import FakeConnector

pytestmark = [
    pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (CM_TEST_POSTGRES_URL)"),
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]


@pytest.mark.parametrize("rounds", [5])
async def test_two_servers_receiving_the_same_start_post_one_card(
    runtime: Runtime, connector: FakeConnector, clock: FakeClock, rounds: int
) -> None:
    connector.roster(CHAT, [roster_entry(p) for p in (ALICE, BOB)])
    connector.meeting(MEETING, meeting_details())
    servers = [await start(emulator(runtime), clock) for _ in range(2)]
    try:
        first, second = (TeamsApp(client, surface, connector, runtime) for client, surface in servers)
        assert (await first.post(installed(connector.url, where="chat"))).status == 200
        connector.clear()
        for n in range(rounds):  # a new occurrence each round; both servers get the very same activity
            event = meeting_event(connector.url, at=f"2026-11-{23 + n}T09:00:00Z")
            connector.meeting(MEETING, meeting_details(start=f"2026-11-{23 + n}T09:00:00Z"))
            answers = await asyncio.gather(first.post(event), second.post(event))
            assert [a.status for a in answers] == [200, 200]
        posted = [c for c in connector.posts(CHAT) if any("Swap" in buttons(card) for card in cards(c))]
        assert len(posted) == rounds, "one card per occurrence"
        assert len(connector.notifications(MEETING)) == rounds
    finally:
        for client, _ in servers:
            await client.close()
