"""One meeting, one agenda item: whether the series prepares it first or the meeting's chat reads it ahead
(or a start makes it), the other path takes that item, and it follows the calendar like any series item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.runtime import Runtime
from bot.domain.lifecycle import AgendaState
from bot.events import MeetingEvent, MeetingPhase, Person
from bot.scheduler.dispatcher import Dispatcher
from bot.storage.models import AgendaItem, MeetingOccurrence, MeetingSeries
from tests.integration.calendars.conftest import FeedServer, moved, weekly_feed
from tests.integration.calendars.test_refresh import QUARTER, refresher
from tests.integration.core import ask, one, rows, text
from tests.support.clock import FakeClock
from tests.support.events import place, said
from tests.support.fake_surface import RecordingSurface

TUESDAY = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # the clock starts the day before, Monday 09:00 UTC
TYPED = "schedule weekly tue 09:00 UTC lead 30m"


def worker(runtime: Runtime, clock: FakeClock, surface: RecordingSurface) -> Dispatcher:
    async def no_sleep(_seconds: float) -> None:
        return None

    return Dispatcher(
        sessions=runtime.sessions, surfaces={"console": surface}, clock=clock, worker="w1", sleep=no_sleep
    )


def meeting(start: datetime, phase: MeetingPhase = MeetingPhase.AHEAD) -> MeetingEvent:
    """An event of the meeting in the channel's own chat, its start known (read from the meeting's details)."""
    return MeetingEvent(
        place=place(),
        meeting_id="M1",
        occurrence=start.strftime("%Y-%m-%dT%H:%MZ"),
        phase=phase,
        actor=Person("alice", "alice"),
        organizer=Person("alice", "alice"),
        attendees=(Person("alice", "alice"), Person("bob", "bob")),
        scheduled_start=start,
    )


async def stories(runtime: Runtime) -> None:
    await ask(runtime, said("help"))  # alice, the first here, is an admin
    for author, what in (("bob", "The parcel was lost twice"), ("carol", "A refund took a month")):
        await ask(runtime, said(f"story {what} | rang the depot | relieved | own the problem", actor=author))


def titles(surface: RecordingSurface) -> list[str]:
    return [p.reply.card.title for p in surface.cards if p.reply.card is not None]


async def the_item(runtime: Runtime) -> AgendaItem:
    item = await one(runtime, AgendaItem)
    series = await one(runtime, MeetingSeries)
    occurrence = await one(runtime, MeetingOccurrence)
    assert (item.series_id, occurrence.agenda_item_id) == (series.id, item.id)
    return item


async def test_read_ahead_after_the_series_was_scheduled_is_the_series_item_and_posts_one_card(
    runtime: Runtime, clock: FakeClock
) -> None:
    await stories(runtime)
    await ask(runtime, said(TYPED))
    await runtime.core.meeting(meeting(TUESDAY))
    picked = (await the_item(runtime)).moment_id
    assert picked is not None

    surface = RecordingSurface()
    clock.now = TUESDAY - timedelta(minutes=30)
    await worker(runtime, clock, surface).run_once()
    await worker(runtime, clock, surface).run_once()

    assert titles(surface) == ["Customer Moment · Tue 24 Nov 09:00 UTC"]
    item = await the_item(runtime)
    assert (item.state, item.moment_id) == (AgendaState.POSTED, picked)


async def test_read_ahead_before_the_series_existed_is_adopted_by_its_preparation(
    runtime: Runtime, clock: FakeClock
) -> None:
    await stories(runtime)
    await runtime.core.meeting(meeting(TUESDAY))
    ahead = await one(runtime, AgendaItem)
    await ask(runtime, said(TYPED))
    await ask(runtime, said("remind 1 1h"))

    surface = RecordingSurface()
    clock.now = TUESDAY - timedelta(minutes=90)  # prepared: the organizer's reminder is about that one item
    await worker(runtime, clock, surface).run_once()
    assert [p.reply.card.title for p in surface.direct if p.reply.card is not None] == [
        "Coming up: the Customer Moment for Tue 24 Nov 09:00 UTC"
    ]
    clock.now = TUESDAY - timedelta(minutes=30)
    await worker(runtime, clock, surface).run_once()

    assert titles(surface) == ["Customer Moment · Tue 24 Nov 09:00 UTC"]
    item = await the_item(runtime)
    assert (item.id, item.state, item.moment_id) == (ahead.id, AgendaState.POSTED, ahead.moment_id)
    assert (await one(runtime, MeetingSeries)).next_start_at == TUESDAY + timedelta(weeks=1)


async def test_a_series_prepared_first_keeps_its_item_when_the_meeting_is_read_ahead_and_starts(
    runtime: Runtime, clock: FakeClock
) -> None:
    await stories(runtime)
    await ask(runtime, said(TYPED))
    await ask(runtime, said("remind 1 1d"))
    surface = RecordingSurface()
    await worker(runtime, clock, surface).run_once()  # prepared now, a day ahead
    prepared = await one(runtime, AgendaItem)
    await runtime.core.meeting(meeting(TUESDAY))
    clock.now = TUESDAY - timedelta(minutes=30)
    await worker(runtime, clock, surface).run_once()
    clock.now = TUESDAY
    started = await runtime.core.meeting(meeting(TUESDAY, MeetingPhase.STARTED))

    assert started.notify and not started.replies  # the card is up: the start only points to it
    assert titles(surface) == ["Customer Moment · Tue 24 Nov 09:00 UTC"]
    assert (await the_item(runtime)).id == prepared.id


async def test_a_meeting_started_before_its_series_prepared_it_is_not_recorded_twice(
    runtime: Runtime, clock: FakeClock
) -> None:
    await stories(runtime)
    await ask(runtime, said("schedule weekly tue 09:00 UTC lead 0m"))
    clock.now = TUESDAY
    answer = await runtime.core.meeting(meeting(TUESDAY, MeetingPhase.STARTED))  # before the scheduler's pass
    assert answer.notify and len(answer.replies) >= 1
    await worker(runtime, clock, RecordingSurface()).run_once()
    item = await the_item(runtime)
    assert item.state == AgendaState.POSTED  # the card the start put up, not a second item recorded as missed


async def follow(runtime: Runtime, feed: FeedServer) -> None:
    assert "now follows" in text(await ask(runtime, said(f"schedule from {feed.url} lead 30m")))


async def test_a_meeting_read_ahead_moves_with_the_calendar_and_is_posted_once_at_its_new_time(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    await stories(runtime)
    await follow(runtime, feed)
    await runtime.core.meeting(meeting(TUESDAY))
    surface = RecordingSurface()
    feed.body = weekly_feed(moved("20261124T090000Z", "20261124T130000Z"))
    clock.advance(QUARTER)
    await refresher(runtime, clock, surface).run_once()

    clock.now = TUESDAY - timedelta(minutes=30)
    assert (await worker(runtime, clock, surface).run_once()).posted == 0  # not at the old time
    clock.now = TUESDAY + timedelta(hours=3, minutes=30)
    assert (await worker(runtime, clock, surface).run_once()).posted == 1
    assert titles(surface) == ["Customer Moment · Tue 24 Nov 14:00 CET"]
    item = await the_item(runtime)
    assert (item.starts_at, item.state) == (TUESDAY + timedelta(hours=4), AgendaState.POSTED)


async def test_a_meeting_read_ahead_before_the_calendar_was_followed_moves_with_it(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    await stories(runtime)
    await runtime.core.meeting(meeting(TUESDAY))
    await follow(runtime, feed)
    surface = RecordingSurface()
    feed.body = weekly_feed(moved("20261124T090000Z", "20261124T130000Z"))
    clock.advance(QUARTER)
    await refresher(runtime, clock, surface).run_once()

    clock.now = TUESDAY - timedelta(minutes=30)
    assert (await worker(runtime, clock, surface).run_once()).posted == 0
    clock.now = TUESDAY + timedelta(hours=3, minutes=30)
    assert (await worker(runtime, clock, surface).run_once()).posted == 1
    assert titles(surface) == ["Customer Moment · Tue 24 Nov 14:00 CET"]
    assert len(await rows(runtime, AgendaItem)) == 1


async def test_a_meeting_requested_before_its_series_prepared_it_gets_one_card(
    runtime: Runtime, clock: FakeClock
) -> None:
    await stories(runtime)
    # Tuesday 09:00 UTC, the series' first meeting: the request's card is in the channel at once.
    assert "Customer Moment · Tue 24 Nov 09:00 UTC" in text(await ask(runtime, said("request in 24h")))
    requested = await one(runtime, AgendaItem)
    await ask(runtime, said(TYPED))

    surface = RecordingSurface()
    clock.now = TUESDAY - timedelta(minutes=30)
    await worker(runtime, clock, surface).run_once()

    assert titles(surface) == []  # no second card: the series took the requested one
    item = await one(runtime, AgendaItem)
    assert (item.id, item.series_id, item.moment_id) == (
        requested.id,
        (await one(runtime, MeetingSeries)).id,
        requested.moment_id,
    )
