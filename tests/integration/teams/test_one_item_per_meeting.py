"""Through the Teams server: a meeting chat's series and the meeting read ahead in that chat make one card."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.scheduler.dispatcher import Dispatcher
from bot.storage.models import AgendaItem
from tests.integration.teams.builders import MEETING, meeting_details, meeting_event, message
from tests.integration.teams.conftest import TeamsApp
from tests.integration.teams.reading import cards
from tests.integration.teams.test_meetings import agenda_cards, in_meeting_chat, no_sleep, written_in_meeting_chat
from tests.support.clock import FakeClock

SCHEDULE = "schedule weekly tue 09:00 UTC lead 30m"


@pytest.mark.parametrize("series_first", [True, False], ids=["series-then-read-ahead", "read-ahead-then-series"])
async def test_a_meeting_chats_series_and_its_meeting_read_ahead_post_one_card(
    teams: TeamsApp, clock: FakeClock, series_first: bool
) -> None:
    await in_meeting_chat(teams, details=meeting_details(start="2026-11-24T09:00:00Z"))
    if series_first:
        await teams.post(message(SCHEDULE, teams.service_url, where="chat"))
        await written_in_meeting_chat(teams)  # the day before: the meeting's details are read
    else:
        await written_in_meeting_chat(teams)
        await teams.post(message(SCHEDULE, teams.service_url, where="chat"))
    teams.connector.clear()
    dispatcher = Dispatcher(
        sessions=teams.runtime.sessions, surfaces={"teams": teams.surface}, clock=clock, worker="w1", sleep=no_sleep
    )
    clock.now = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    await dispatcher.run_once()
    await dispatcher.run_once()

    (posted,) = agenda_cards(teams.connector.posts())
    assert cards(posted)[0]["body"][0]["text"] == "Customer Moment · Tue 24 Nov 09:00 UTC"
    async with teams.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AgendaItem)) == 1

    teams.connector.clear()
    clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    await teams.post(meeting_event(teams.service_url, at="2026-11-24T09:00:00Z"))
    assert not agenda_cards(teams.connector.posts()), "the start only points to the card"
    assert len(teams.connector.notifications(MEETING)) == 1
