"""What a followed calendar changes is told truly: restored, moved, merged and ended meetings, the channel's zone."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from adapters.runtime import Runtime
from bot.domain import calendar
from bot.storage.models import AgendaItem, CalendarFeed, MeetingSeries, Team
from tests.integration.calendars.conftest import FeedServer, cancelled, moved, weekly_feed
from tests.integration.calendars.test_refresh import dispatcher, refresher
from tests.integration.core import ask, one, rows, text
from tests.support.clock import FakeClock
from tests.support.events import said
from tests.support.fake_surface import RecordingSurface

QUARTER = timedelta(minutes=15)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def continued(start: str, *, title: str = "Support team weekly") -> str:
    """Google's "this and following events": the rest of the meetings as a new event split off the old one."""
    return "\r\n".join(
        [
            "BEGIN:VEVENT",
            f"DTSTART:{start}",
            "RRULE:FREQ=WEEKLY;BYDAY=TU",
            f"UID:weekly_R{start.rstrip('Z')}@google.com",
            f"SUMMARY:{title}",
            "END:VEVENT",
        ]
    )


def ending(rule: str) -> bytes:
    """The weekly feed whose rule ends (``rule``: what follows FREQ=WEEKLY;BYDAY=TU)."""
    return weekly_feed().replace(b"RRULE:FREQ=WEEKLY;BYDAY=TU", f"RRULE:FREQ=WEEKLY;BYDAY=TU;{rule}".encode())


async def follow(runtime: Runtime, feed: FeedServer) -> None:
    replies = await ask(runtime, said(f"schedule from {feed.url}"))
    assert "now follows" in text(replies), text(replies)


async def refresh(runtime: Runtime, clock: FakeClock, surface: RecordingSurface) -> None:
    clock.advance(QUARTER)
    assert await refresher(runtime, clock, surface).run_once() == 1


@pytest.mark.parametrize("posted", [False, True], ids=["prepared", "posted"])
async def test_a_meeting_cancelled_then_restored_gets_its_moment_and_every_answer_agrees(
    runtime: Runtime, clock: FakeClock, feed: FeedServer, posted: bool
) -> None:
    await ask(runtime, said(f"schedule from {feed.url} lead 1h"))
    await ask(runtime, said("remind 1 1d"))
    surface = RecordingSurface()
    clock.now = utc(11, 24, 8) if posted else utc(11, 23, 9, 30)
    tally = await dispatcher(runtime, clock, surface).run_once()
    assert (tally.posted if posted else tally.prepared) == 1
    feed.body = weekly_feed(cancelled("20261124T090000Z"))
    await refresh(runtime, clock, surface)
    assert (await one(runtime, AgendaItem)).state == "cancelled"
    feed.body = weekly_feed()  # the organizer restores it
    await refresh(runtime, clock, surface)
    (item,) = await rows(runtime, AgendaItem)
    assert item.state == ("posted" if posted else "scheduled") and item.moment_id is not None
    (told,) = [d.reply.text for d in surface.direct if "back in the calendar" in d.reply.text]
    assert "Tue 24 Nov 10:00 CET" in told and surface.direct[-1].reply.to_member == "alice"
    meetings, queue = text(await ask(runtime, said("meetings"))), text(await ask(runtime, said("queue")))
    assert "Next meetings\nTue 24 Nov 10:00 CET" in meetings
    assert f"Agenda #{item.id} · Tue 24 Nov 10:00 CET" in queue and "Next meeting · Tue 24 Nov 10:00 CET" in queue
    if posted:
        assert "Cancelled" not in text([surface.cards[-1].reply])  # the channel's card is open again
    else:
        clock.now = utc(11, 24, 8)
        assert (await dispatcher(runtime, clock, surface).run_once()).posted == 1
    assert (await one(runtime, MeetingSeries)).next_start_at == utc(12, 1, 9)  # the next one is still to prepare


async def test_a_meeting_paused_away_is_not_brought_back_by_a_read(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    await follow(runtime, feed)
    surface = RecordingSurface()
    await ask(runtime, said("pause 1"))
    clock.now = utc(11, 24, 8, 30)
    await dispatcher(runtime, clock, surface).run_once()
    await ask(runtime, said("resume 1"))
    await refresh(runtime, clock, surface)
    assert all(item.state == "cancelled" for item in await rows(runtime, AgendaItem))
    assert not [d for d in surface.direct if "back in the calendar" in d.reply.text]


async def test_a_meeting_moved_to_a_time_already_past_keeps_its_card_with_the_new_time(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    await follow(runtime, feed)
    surface = RecordingSurface()
    clock.now = utc(11, 24, 8, 30)  # the card for the meeting at 09:00 goes out
    assert (await dispatcher(runtime, clock, surface).run_once()).posted == 1
    clock.now = utc(11, 24, 8, 31)
    feed.body = weekly_feed(moved("20261124T090000Z", "20261124T083500Z"))  # to 08:35, minutes from now
    await refresh(runtime, clock, surface)  # at 08:46: the new time has passed
    (item,) = await rows(runtime, AgendaItem)
    assert (item.state, item.starts_at) == ("posted", utc(11, 24, 8, 35))
    card = text([surface.cards[-1].reply])
    assert "Tue 24 Nov 09:35 CET" in card and "Cancelled" not in card and "cancelled" not in card


async def test_a_meeting_moved_onto_another_one_says_so_rather_than_cancelled(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    feed.body = weekly_feed(rdate="20261124T150000Z")
    await follow(runtime, feed)
    await ask(runtime, said("remind 1 1d"))
    surface = RecordingSurface()
    clock.now = utc(11, 23, 14, 30)
    assert (await dispatcher(runtime, clock, surface).run_once()).prepared == 2
    feed.body = weekly_feed(moved("20261124T090000Z", "20261124T150000Z"), rdate="20261124T150000Z")
    await refresh(runtime, clock, surface)
    merged, kept = await rows(runtime, AgendaItem, order_by=AgendaItem.id)
    assert (merged.state, kept.state) == ("cancelled", "scheduled")
    assert "moved this meeting to Tue 24 Nov 16:00 CET" in merged.reason and "cancelled" not in merged.reason


@pytest.mark.parametrize("rule", ["COUNT=2", "UNTIL=20261201T090000Z"])
async def test_a_rule_that_ends_tells_the_organizer_once_and_the_answers_say_why(
    runtime: Runtime, clock: FakeClock, feed: FeedServer, rule: str
) -> None:
    feed.body = ending(rule)
    await follow(runtime, feed)
    surface = RecordingSurface()
    clock.now = utc(12, 1, 9)  # the last meeting starts
    for _ in range(3):
        await refresh(runtime, clock, surface)
    (told,) = surface.direct
    assert told.reply.to_member == "alice" and "no more meetings of “Support team weekly”" in told.reply.text
    assert "match <words from its title>" in told.reply.text and "unschedule 1" in told.reply.text
    shown = text(await ask(runtime, said("meetings")))
    assert "No more meetings." in shown and "Calendar problem: The calendar has no meetings of this event" in shown
    assert (await one(runtime, MeetingSeries)).next_start_at is None


async def test_a_meeting_split_in_the_calendar_is_followed_on_into_its_continuation(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    await follow(runtime, feed)
    surface = RecordingSurface()
    # "This and following events" from 8 Dec on, now at 10:30 Berlin: the old event ends, a new one goes on.
    split = ending("UNTIL=20261207T230000Z").replace(b"END:VCALENDAR", continued("20261208T093000Z").encode())
    feed.body = split + b"END:VCALENDAR\r\n"
    await refresh(runtime, clock, surface)
    shown = text(await ask(runtime, said("meetings")))
    assert "Tue 24 Nov 10:00 CET\nTue 1 Dec 10:00 CET\nTue 8 Dec 10:30 CET" in shown
    assert not surface.direct  # nothing to tell yet: the meetings go on
    clock.now = utc(12, 1, 9)
    await refresh(runtime, clock, surface)
    (told,) = surface.direct
    assert "follows the new event now" in told.reply.text and "Tue 8 Dec 10:30 CET" in told.reply.text
    row = await one(runtime, CalendarFeed)
    assert (row.event_uid, row.last_error) == ("weekly_R20261208T093000@google.com", "")
    assert (await one(runtime, MeetingSeries)).next_start_at == utc(12, 8, 9, 30)
    await refresh(runtime, clock, surface)
    assert len(surface.direct) == 1


async def test_following_a_calendar_sets_a_new_channel_to_the_calendars_zone(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    answer = text(await ask(runtime, said(f"schedule from {feed.url}")))
    assert (await one(runtime, Team)).zone == "Europe/Berlin"
    assert "Tue 24 Nov 10:00 CET" in answer and "UTC" not in answer
    queue = text(await ask(runtime, said("queue")))
    assert "10:00 CET" in queue and "UTC" not in queue


async def test_feeds_are_parsed_off_the_event_loop(
    runtime: Runtime, clock: FakeClock, feed: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    real = calendar.read

    def spy(body: bytes) -> object:
        threads.append(threading.current_thread().name)
        return real(body)

    monkeypatch.setattr(calendar, "read", spy)
    await follow(runtime, feed)
    feed.body = weekly_feed(moved("20261201T090000Z", "20261202T130000Z"))
    await refresh(runtime, clock, RecordingSurface())
    assert len(threads) == 2 and threading.main_thread().name not in threads


async def test_resuming_a_series_whose_calendar_still_fails_says_so_and_gives_it_a_fresh_week(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    await follow(runtime, feed)
    surface = RecordingSurface()
    worker = refresher(runtime, clock, surface)
    feed.status = 404
    clock.advance(QUARTER)
    await worker.run_once()
    clock.advance(timedelta(days=7))
    await worker.run_once()
    assert (await one(runtime, MeetingSeries)).state == "paused" and len(surface.direct) == 2
    answer = text(await ask(runtime, said("resume 1")))
    assert "Resumed meeting #1." in answer and "could not be read at the last try: " in answer and "HTTP 404" in answer
    assert "7 more days" in answer and "schedule from <new address>" in answer
    await worker.run_once()  # read again at once, still failing: the series goes on, nobody told twice
    clock.advance(QUARTER)
    await worker.run_once()
    assert (await one(runtime, MeetingSeries)).state == "active" and len(surface.direct) == 2
    clock.advance(timedelta(days=7))
    await worker.run_once()
    assert (await one(runtime, MeetingSeries)).state == "paused" and "so I paused it" in surface.direct[-1].reply.text
    feed.status = 200
    clock.advance(QUARTER)
    await worker.run_once()
    assert text(await ask(runtime, said("resume 1"))).startswith("Resumed meeting #1. Its next moment")
