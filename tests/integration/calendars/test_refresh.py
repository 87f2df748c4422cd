"""Refreshing followed calendars: moved and cancelled meetings, unchanged feeds, failures, one reader per feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from adapters.runtime import Runtime
from bot.replies import Audience
from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.feeds import FeedRefresher, claim_due_feeds
from bot.storage.models import AgendaItem, CalendarFeed, Featuring, MeetingSeries
from tests.integration.calendars.conftest import FeedServer, cancelled, moved, weekly_feed
from tests.integration.core import ask, one, rows, text
from tests.support.clock import FakeClock
from tests.support.events import said
from tests.support.fake_surface import RecordingSurface

QUARTER = timedelta(minutes=15)


def refresher(runtime: Runtime, clock: FakeClock, surface: RecordingSurface, worker: str = "w1") -> FeedRefresher:
    calendars = runtime.backend.calendars
    assert calendars is not None  # the composition root gives every process the calendar fetcher
    return FeedRefresher(
        sessions=runtime.sessions,
        calendars=calendars,
        surfaces={"console": surface},
        clock=clock,
        worker=worker,
    )


def dispatcher(runtime: Runtime, clock: FakeClock, surface: RecordingSurface) -> Dispatcher:
    async def no_sleep(_seconds: float) -> None:
        return None

    return Dispatcher(
        sessions=runtime.sessions, surfaces={"console": surface}, clock=clock, worker="w1", sleep=no_sleep
    )


async def follow(runtime: Runtime, feed: FeedServer) -> None:
    replies = await ask(runtime, said(f"schedule from {feed.url}"))
    assert "now follows" in text(replies), text(replies)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def test_a_feed_is_read_at_most_every_fifteen_minutes_and_conditionally(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    await follow(runtime, feed)
    worker = refresher(runtime, clock, RecordingSurface())
    assert await worker.run_once() == 0
    clock.advance(QUARTER)
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    assert len(feed.requests) == 2 and feed.requests[-1]["If-None-Match"] == feed.etag
    row = await one(runtime, CalendarFeed)
    assert (row.last_read_at, row.next_refresh_at) == (clock.now, clock.now + QUARTER)


async def test_one_worker_at_a_time_claims_a_feed(runtime: Runtime, clock: FakeClock, feed: FeedServer) -> None:
    await follow(runtime, feed)
    clock.advance(QUARTER)
    claim = {"now": clock.now, "lease": timedelta(minutes=2), "platforms": frozenset({"console"}), "batch": 10}
    async with runtime.sessions.begin() as session:
        first = await claim_due_feeds(session, worker="w1", **claim)  # type: ignore[arg-type]
    async with runtime.sessions.begin() as session:
        second = await claim_due_feeds(session, worker="w2", **claim)  # type: ignore[arg-type]
    assert (len(first), second) == (1, [])
    clock.advance(timedelta(minutes=3))  # w1 died: its lease ran out
    async with runtime.sessions.begin() as session:
        taken = await claim_due_feeds(session, worker="w2", **{**claim, "now": clock.now})  # type: ignore[arg-type]
    assert taken == first


async def test_a_moved_meeting_moves_its_moment_and_a_cancelled_one_cancels_its_card(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    await follow(runtime, feed)
    surface = RecordingSurface()
    clock.now = utc(11, 24, 8, 30)  # the first card is due
    assert (await dispatcher(runtime, clock, surface).run_once()).posted == 1
    (item,) = await rows(runtime, AgendaItem)
    assert item.state == "posted" and item.moment_id is not None
    # The organizer cancels today's meeting and moves next week's to Wednesday 14:00 Berlin.
    feed.body = weekly_feed(cancelled("20261124T090000Z"), moved("20261201T090000Z", "20261202T130000Z"))
    clock.advance(QUARTER)
    assert await refresher(runtime, clock, surface).run_once() == 1
    (item,) = await rows(runtime, AgendaItem)
    assert item.state == "cancelled"
    update = surface.cards[-1].reply
    assert update.message is not None and update.message.ref is not None  # the posted card, updated in place
    assert "Cancelled" in text([update])
    (featuring,) = await rows(runtime, Featuring)
    assert featuring.outcome == "skipped"  # its moment went back to the pool
    series = await one(runtime, MeetingSeries)
    assert series.next_start_at == utc(12, 2, 13)
    clock.now = utc(12, 2, 12, 30)
    tally = await dispatcher(runtime, clock, surface).run_once()
    assert tally.posted == 1
    starts = [i.starts_at for i in await rows(runtime, AgendaItem, order_by=AgendaItem.starts_at)]
    assert starts == [utc(11, 24, 9), utc(12, 2, 13)]


async def test_a_meeting_moved_after_its_moment_was_picked_keeps_it_and_is_posted_once(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    await follow(runtime, feed)
    await ask(runtime, said("remind 1 1d"))
    surface = RecordingSurface()
    clock.now = utc(11, 23, 9)  # prepared a day ahead: the item exists, nothing posted yet
    assert (await dispatcher(runtime, clock, surface).run_once()).prepared == 1
    feed.body = weekly_feed(moved("20261124T090000Z", "20261124T150000Z"))
    clock.advance(QUARTER)
    await refresher(runtime, clock, surface).run_once()
    (item,) = await rows(runtime, AgendaItem)
    assert (item.starts_at, item.post_at, item.state) == (utc(11, 24, 15), utc(11, 24, 14, 30), "scheduled")
    clock.now = utc(11, 24, 8, 30)
    assert (await dispatcher(runtime, clock, surface).run_once()).posted == 0  # no longer due at the old time
    feed.body = weekly_feed()  # and moved back again
    clock.advance(QUARTER)
    await refresher(runtime, clock, surface).run_once()
    clock.now = utc(11, 24, 8, 45)
    assert (await dispatcher(runtime, clock, surface).run_once()).posted == 1
    clock.now = utc(11, 24, 14, 30)
    assert (await dispatcher(runtime, clock, surface).run_once()).posted == 0
    assert len(await rows(runtime, AgendaItem)) == 1 and len(surface.cards) == 1


async def test_an_unreadable_feed_warns_once_keeps_its_meetings_then_pauses_after_a_week(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    await follow(runtime, feed)
    known = (await one(runtime, MeetingSeries)).feed_occurrences
    surface = RecordingSurface()
    worker = refresher(runtime, clock, surface)
    feed.status = 404
    for _ in range(3):
        clock.advance(QUARTER)
        await worker.run_once()
    (warning,) = surface.direct
    assert warning.reply.audience is Audience.DIRECT and warning.reply.to_member == "alice"
    assert "can't read the calendar" in warning.reply.text and "HTTP 404" in warning.reply.text
    assert "schedule from <new address>" in warning.reply.text
    series = await one(runtime, MeetingSeries)
    assert (series.state, series.feed_occurrences) == ("active", known)
    assert "HTTP 404" in text(await ask(runtime, said("meetings")))
    clock.advance(timedelta(days=7))
    await worker.run_once()
    clock.advance(QUARTER)
    await worker.run_once()
    assert len(surface.direct) == 2 and "so I paused it" in surface.direct[1].reply.text
    assert (await one(runtime, MeetingSeries)).state == "paused"


async def test_an_event_removed_from_the_feed_is_reported_and_a_fixed_feed_clears_the_problem(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    await follow(runtime, feed)
    surface = RecordingSurface()
    worker = refresher(runtime, clock, surface)
    original = feed.body
    feed.body = original.replace(b"UID:weekly@google.com", b"UID:other@google.com")
    clock.advance(QUARTER)
    await worker.run_once()
    assert "no longer in that calendar" in surface.direct[0].reply.text
    feed.body = original
    clock.advance(QUARTER)
    await worker.run_once()
    async with runtime.sessions() as session:
        row = await session.scalar(select(CalendarFeed))
    assert row is not None and (row.last_error, row.failing_since) == ("", None)


async def test_a_meeting_moved_onto_another_prepared_one_is_cancelled_not_doubled(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    feed.body = weekly_feed(rdate="20261124T150000Z")  # an extra meeting the same afternoon
    await follow(runtime, feed)
    await ask(runtime, said("remind 1 1d"))
    surface = RecordingSurface()
    clock.now = utc(11, 23, 14, 30)
    assert (await dispatcher(runtime, clock, surface).run_once()).prepared == 2
    feed.body = weekly_feed(moved("20261124T090000Z", "20261124T150000Z"), rdate="20261124T150000Z")
    clock.advance(QUARTER)
    await refresher(runtime, clock, surface).run_once()
    found = [(i.starts_at, i.state) for i in await rows(runtime, AgendaItem, order_by=AgendaItem.id)]
    assert found == [(utc(11, 24, 9), "cancelled"), (utc(11, 24, 15), "scheduled")]
