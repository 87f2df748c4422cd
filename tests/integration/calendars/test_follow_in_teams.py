"""Following a calendar from Teams: `@Customer Moment schedule from …` through the real server."""

from __future__ import annotations

from adapters.runtime import Runtime
from bot.storage.models import CalendarFeed, MeetingSeries
from tests.integration.calendars.conftest import FeedServer
from tests.integration.core import one
from tests.integration.teams.conftest import TeamsApp, connector, teams  # noqa: F401  (the Teams server, fake)
from tests.integration.teams.test_commands import say, texts


async def test_a_teams_channel_follows_a_calendar_event_and_lists_it_without_its_address(
    runtime: Runtime,
    teams: TeamsApp,  # noqa: F811
    feed: FeedServer,
) -> None:
    followed = texts(await say(teams, f"schedule from {feed.url} match weekly lead 15m"))
    assert "now follows “Support team weekly” from 127.0.0.1" in followed, followed
    assert "private-5f3c9a0b7e" not in followed
    series = await one(runtime, MeetingSeries)
    assert (series.lead_minutes, series.state) == (15, "active")
    assert (await one(runtime, CalendarFeed)).event_title == "Support team weekly"
    listed = texts(await say(teams, "meetings"))
    assert "Support team weekly" in listed and "127.0.0.1" in listed
    assert "private-5f3c9a0b7e" not in listed
