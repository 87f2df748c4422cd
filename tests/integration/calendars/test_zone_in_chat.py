"""A channel that follows a calendar speaks the calendar's time zone, in Slack and in Teams, through the server."""

from __future__ import annotations

from adapters.runtime import Runtime
from bot.storage.models import Team
from tests.integration.calendars.conftest import FeedServer
from tests.integration.core import one
from tests.integration.slack.conftest import fake_slack, slack  # noqa: F401  (the Slack server and its fake)
from tests.integration.slack.driver import SlackDriver
from tests.integration.teams.conftest import TeamsApp, connector, teams  # noqa: F401  (the Teams server, fake)
from tests.integration.teams.test_commands import say, texts


async def test_a_teams_channel_following_a_berlin_calendar_shows_berlin_times(
    runtime: Runtime,
    teams: TeamsApp,  # noqa: F811
    feed: FeedServer,
) -> None:
    followed = texts(await say(teams, f"schedule from {feed.url}"))
    assert "Tue 24 Nov 10:00 CET" in followed and "UTC" not in followed, followed
    assert (await one(runtime, Team)).zone == "Europe/Berlin"
    queue = texts(await say(teams, "queue"))
    assert "Tue 24 Nov 10:00 CET" in queue and "UTC" not in queue, queue


async def test_a_slack_channel_following_a_berlin_calendar_shows_berlin_times(
    runtime: Runtime,
    slack: SlackDriver,  # noqa: F811
    feed: FeedServer,
) -> None:
    followed = slack.said(await slack.command(f"schedule from <{feed.url}>"))
    assert "Tue 24 Nov 10:00 CET" in followed and "UTC" not in followed, followed
    listed = slack.said(await slack.command("meetings"))
    assert "Tue 24 Nov 10:00 CET" in listed and "UTC" not in listed
