"""Through the Slack server: a followed meeting cancelled in the calendar after the organizer's reminder is
told to the organizer and the author in their DMs, and the reminder's Swap, pressed later, says why."""

from __future__ import annotations

from adapters.runtime import Runtime
from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.feeds import FeedRefresher
from bot.storage.models import AgendaItem
from tests.integration.calendars.conftest import FeedServer, cancelled, weekly_feed
from tests.integration.calendars.test_refresh import QUARTER
from tests.integration.core import one
from tests.integration.slack.conftest import fake_slack, slack  # noqa: F401  (the Slack server and its fake)
from tests.integration.slack.driver import SlackDriver, all_text
from tests.support.clock import FakeClock

STORY = "story The parcel was lost twice | Rebooked it with tracking | Call the customer first"


async def no_sleep(_seconds: float) -> None:
    return None


def dm_texts(driver: SlackDriver, user: str) -> list[str]:
    return [str(m.get("text", "")) + all_text(m.get("blocks", [])) for m in driver.fake.posted(f"D{user}")]


async def test_a_cancelled_meeting_is_told_in_slack_and_its_reminders_swap_says_the_calendar_cancelled_it(
    runtime: Runtime,
    slack: SlackDriver,  # noqa: F811
    clock: FakeClock,
    feed: FeedServer,
) -> None:
    assert "now follows" in slack.said(await slack.command(f"schedule from <{feed.url}>"))
    await slack.command(STORY, user="U2")
    await slack.command("remind 1 1d")
    dispatcher = Dispatcher(
        sessions=runtime.sessions, surfaces={"slack": slack.surface}, clock=clock, worker="w1", sleep=no_sleep
    )
    await dispatcher.run_once()  # prepared a day ahead: the reminder goes to Alice
    assert any("Coming up: the Customer Moment for Tue 24 Nov 10:00 CET" in t for t in dm_texts(slack, "U1"))
    item = await one(runtime, AgendaItem)

    feed.body = weekly_feed(cancelled("20261124T090000Z"))
    clock.advance(QUARTER)
    calendars = runtime.backend.calendars
    assert calendars is not None
    refresher = FeedRefresher(
        sessions=runtime.sessions, calendars=calendars, surfaces={"slack": slack.surface}, clock=clock, worker="w1"
    )
    assert await refresher.run_once() == 1

    told = dm_texts(slack, "U1")[-1]
    assert "the meeting was cancelled in the calendar (noticed Mon 23 Nov 10:15 CET)" in told, told
    assert "no longer the Customer Moment for the meeting on Tue 24 Nov 10:00 CET" in dm_texts(slack, "U2")[-1]

    pressed = slack.said(await slack.press("agenda.swap", str(item.id), channel="DU1"))
    assert "already cancelled. The meeting was cancelled in the calendar (noticed Mon 23 Nov 10:15 CET)." in pressed
