"""The queue tells the truth about times and about meetings that ended: every time in the channel's zone, and
a followed calendar with no more meetings named as such (not "no meetings scheduled")."""

from __future__ import annotations

from sqlalchemy import update

from adapters.runtime import Runtime
from bot.storage.models import Team
from tests.integration.calendars.conftest import FeedServer
from tests.integration.calendars.test_calendar_truth import ending, follow, refresh, utc
from tests.integration.core import ask, text
from tests.support.clock import FakeClock
from tests.support.events import said
from tests.support.fake_surface import RecordingSurface


async def queue(runtime: Runtime) -> str:
    return text(await ask(runtime, said("queue")))


async def test_a_series_in_another_zone_than_its_channels_is_listed_in_the_channels_zone(runtime: Runtime) -> None:
    await ask(runtime, said("help"))
    async with runtime.sessions.begin() as session:  # a channel that speaks New York time
        await session.execute(update(Team).values(zone="America/New_York"))
    await ask(runtime, said("schedule weekly wed 14:00 Europe/Berlin"))

    shown = await queue(runtime)

    assert "Meeting #1 · next on Wed 25 Nov 08:00 EST" in shown, shown
    assert "Next meeting · Wed 25 Nov 08:00 EST · preview" in shown, shown
    assert "CET" not in shown and "UTC" not in shown, shown


async def test_a_followed_calendar_with_no_more_meetings_is_named_in_the_queue(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    feed.body = ending("COUNT=2")
    await follow(runtime, feed)
    surface = RecordingSurface()
    clock.now = utc(12, 1, 12)  # the last meeting is over
    await refresh(runtime, clock, surface)

    shown = await queue(runtime)

    assert "No meetings scheduled" not in shown, shown
    assert "Meeting #1 follows “Support team weekly” from 127.0.0.1" in shown, shown
    assert "that calendar has no more meetings of it ahead. See `meetings`." in shown, shown


async def test_a_paused_series_is_named_in_the_queue(runtime: Runtime) -> None:
    await ask(runtime, said("schedule weekly tue 10:00 Europe/Berlin"))
    await ask(runtime, said("pause 1"))

    shown = await queue(runtime)

    assert "Meeting #1 is paused: `resume 1` brings its moments back." in shown, shown
    assert "No meetings scheduled" not in shown, shown
