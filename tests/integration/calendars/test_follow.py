"""`schedule from <feed URL> [match …]`: following a calendar event, and what `meetings` shows of it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from adapters.runtime import Runtime
from bot.storage.models import CalendarFeed, MeetingSeries
from tests.integration.calendars.conftest import LUNCH, SECRET_PATH, FeedServer, moved, weekly_feed
from tests.integration.core import ask, count, one, text
from tests.support.events import said, submitted


async def test_following_a_calendar_event_stores_its_meetings_and_an_encrypted_address(
    runtime: Runtime, feed: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    replies = await ask(runtime, said(f"schedule from {feed.url} lead 15m"))
    answer = text(replies)
    assert "now follows “Support team weekly” from 127.0.0.1" in answer
    series = await one(runtime, MeetingSeries)
    assert (series.zone, series.at, series.lead_minutes, series.state) == ("Europe/Berlin", "10:00", 15, "active")
    assert series.next_start_at == datetime(2026, 11, 24, 9, tzinfo=UTC)
    assert series.next_post_at == datetime(2026, 11, 24, 8, 45, tzinfo=UTC)
    row = await one(runtime, CalendarFeed)
    assert (row.host, row.event_uid, row.event_title) == ("127.0.0.1", "weekly@google.com", "Support team weekly")
    assert SECRET_PATH not in row.url_ciphertext and "private-5f3c9a0b7e" not in row.url_ciphertext
    assert "private-5f3c9a0b7e" not in answer
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(("bot.", "adapters."))]
    assert ours and not any("private-5f3c9a0b7e" in message for message in ours)


async def test_meetings_shows_host_title_last_read_and_next_three_in_the_team_zone(
    runtime: Runtime, feed: FeedServer
) -> None:
    await ask(runtime, said("timezone America/New_York"))
    await ask(runtime, said(f"schedule from {feed.url}"))
    shown = text(await ask(runtime, said("meetings")))
    assert "follows “Support team weekly” in the calendar on 127.0.0.1" in shown
    assert "Last read: Mon 23 Nov 04:00 EST" in shown
    assert "Tue 24 Nov 04:00 EST\nTue 1 Dec 04:00 EST\nTue 8 Dec 04:00 EST" in shown
    assert "private-5f3c9a0b7e" not in shown


async def test_several_events_without_match_are_listed_and_nothing_is_stored(
    runtime: Runtime, feed: FeedServer
) -> None:
    feed.body = weekly_feed(extra=LUNCH)
    answer = text(await ask(runtime, said(f"schedule from {feed.url}")))
    assert "• Lunch & Learn\n• Support team weekly" in answer and "match" in answer
    assert await count(runtime, MeetingSeries) == 0
    chosen = text(await ask(runtime, said(f"schedule from {feed.url} match lunch")))
    assert "“Lunch & Learn”" in chosen
    assert (await one(runtime, CalendarFeed)).event_uid == "lunch@google.com"


@pytest.mark.parametrize(
    ("body", "status", "problem"),
    [
        (b"<html><body>Sign in to continue</body></html>", 200, "did not answer with a calendar"),
        (b"", 404, "no longer exists (HTTP 404)"),
        (
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:d@x\r\nSUMMARY:Offsite\r\n"
            b"DTSTART;VALUE=DATE:20261201\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            200,
            "all-day event",
        ),
    ],
)
async def test_feeds_that_cannot_be_followed_are_refused_clearly(
    runtime: Runtime, feed: FeedServer, body: bytes, status: int, problem: str
) -> None:
    feed.body, feed.status = body, status
    answer = text(await ask(runtime, said(f"schedule from {feed.url}")))
    assert problem in answer
    assert await count(runtime, MeetingSeries) == 0 and await count(runtime, CalendarFeed) == 0


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("schedule from https://10.0.0.8/feed.ics", "private network"),
        ("schedule from ftp://calendar.example.com/feed.ics", "https://"),
        ("schedule from https://me:pw@calendar.example.com/feed.ics", "user name"),
        ("schedule from", "Give the calendar's address"),
    ],
)
async def test_bad_addresses_are_refused_without_a_connection(runtime: Runtime, command: str, problem: str) -> None:
    answer = text(await ask(runtime, said(command)))
    assert problem in answer
    assert await count(runtime, MeetingSeries) == 0


async def test_only_managers_may_follow_a_calendar(runtime: Runtime, feed: FeedServer) -> None:
    await ask(runtime, said("help"))  # alice, the first person, becomes the admin
    answer = text(await ask(runtime, said(f"schedule from {feed.url}", actor="bob")))
    assert "Only managers" in answer
    assert feed.requests == []


async def test_typed_series_are_unchanged_beside_calendar_ones(runtime: Runtime, feed: FeedServer) -> None:
    await ask(runtime, said("schedule weekly thu 15:00 Europe/Berlin"))
    await ask(runtime, said(f"schedule from {feed.url}"))
    shown = text(await ask(runtime, said("meetings")))
    assert "every Thursday at 15:00 (Europe/Berlin)" in shown and "follows “Support team weekly”" in shown


async def test_skip_dates_lead_and_pause_work_as_for_typed_series(runtime: Runtime, feed: FeedServer) -> None:
    await ask(runtime, said(f"schedule from {feed.url}"))
    await ask(runtime, said("skipdate 1 2026-11-24"))
    series = await one(runtime, MeetingSeries)
    assert series.next_start_at == datetime(2026, 12, 1, 9, tzinfo=UTC)
    await ask(runtime, said("remind 1 1d"))
    assert (await one(runtime, MeetingSeries)).next_prepare_at == datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
    await ask(runtime, said("pause 1"))
    assert (await one(runtime, MeetingSeries)).state == "paused"
    await ask(runtime, said("resume 1"))
    resumed = await one(runtime, MeetingSeries)
    assert (resumed.state, resumed.next_start_at) == ("active", datetime(2026, 12, 1, 9, tzinfo=UTC))


async def test_the_schedule_form_can_follow_a_calendar(runtime: Runtime, feed: FeedServer) -> None:
    values = {"repeat": "calendar", "day": "mon", "time": "10:00", "zone": "Europe/Berlin", "lead": "15m"}
    missing = text(await ask(runtime, submitted("schedule", values)))
    assert "Paste the calendar's feed address" in missing
    answer = text(await ask(runtime, submitted("schedule", {**values, "feed": feed.url, "match": "weekly"})))
    assert "now follows “Support team weekly”" in answer
    series = await one(runtime, MeetingSeries)
    assert (series.lead_minutes, series.at) == (15, "10:00")


async def test_a_calendar_series_and_a_typed_one_at_the_same_time_are_refused_either_way(
    runtime: Runtime, feed: FeedServer
) -> None:
    await ask(runtime, said("schedule weekly tue 10:00 Europe/Berlin"))
    refused = text(await ask(runtime, said(f"schedule from {feed.url}")))
    assert "Meeting #1 already gets a moment at that time (every Tuesday at 10:00" in refused
    assert await count(runtime, CalendarFeed) == 0 and await count(runtime, MeetingSeries) == 1
    await ask(runtime, said("unschedule 1"))
    await ask(runtime, said(f"schedule from {feed.url}"))
    typed = text(await ask(runtime, said("schedule biweekly tue 10:00 Europe/Berlin from 2026-12-01")))
    assert "already gets a moment at that time (it follows “Support team weekly” in the calendar on 127.0.0.1" in typed
    assert "private-5f3c9a0b7e" not in typed
    assert "Scheduled" in text(await ask(runtime, said("schedule weekly tue 11:00 Europe/Berlin")))


async def test_skip_dates_of_a_calendar_series_are_days_its_calendar_meets(runtime: Runtime, feed: FeedServer) -> None:
    feed.body = weekly_feed(moved("20261201T090000Z", "20261202T130000Z"))  # 1 Dec moved to Wednesday 2 Dec
    await ask(runtime, said(f"schedule from {feed.url}"))
    refused = text(await ask(runtime, said("skipdate 1 2026-12-01")))
    assert "does not meet on 2026-12-01" in refused and "Wed 2 Dec 14:00" in refused
    assert "no moment on 2026-12-02" in text(await ask(runtime, said("skipdate 1 2026-12-02")))
    assert (await one(runtime, MeetingSeries)).skip_dates == ["2026-12-02"]
