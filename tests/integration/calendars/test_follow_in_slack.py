"""Following a calendar from Slack: `/moment schedule from …` through the real server, answered in Slack."""

from __future__ import annotations

from adapters.runtime import Runtime
from bot.storage.models import CalendarFeed, MeetingSeries
from tests.integration.calendars.conftest import FeedServer
from tests.integration.core import one
from tests.integration.slack.conftest import fake_slack, slack  # noqa: F401  (the Slack server and its fake)
from tests.integration.slack.driver import SlackDriver


async def test_a_slack_channel_follows_a_calendar_event_and_lists_it_without_its_address(
    runtime: Runtime,
    slack: SlackDriver,  # noqa: F811
    feed: FeedServer,
) -> None:
    followed = await slack.command(f"schedule from <{feed.url}> match weekly lead 15m")
    said = slack.said(followed)
    assert "now follows “Support team weekly” from 127.0.0.1" in said, said
    assert "private-5f3c9a0b7e" not in said
    series = await one(runtime, MeetingSeries)
    assert (series.lead_minutes, series.state) == (15, "active")
    assert (await one(runtime, CalendarFeed)).event_title == "Support team weekly"
    listed = slack.said(await slack.command("meetings"))
    assert "Support team weekly" in listed and "127.0.0.1" in listed
    assert "private-5f3c9a0b7e" not in listed and feed.url not in listed
