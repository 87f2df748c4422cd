"""Reading calendar feeds shaped like Google and Outlook exports: events, occurrences, zones, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import calendar

DATA = Path(__file__).parent.parent / "data" / "calendars"
GOOGLE_WEEKLY = "3k9sd8f7weekly@google.com"
WINDOW = {"start": datetime(2026, 10, 1, tzinfo=UTC), "end": datetime(2026, 12, 1, tzinfo=UTC)}


def feed(name: str) -> bytes:
    return (DATA / name).read_bytes()


def starts(found: list[calendar.Occurrence]) -> list[datetime]:
    return [o.start for o in found]


def test_google_feed_lists_its_events_recurring_first() -> None:
    found = calendar.events(calendar.read(feed("google_support.ics")))
    assert [(e.title, e.recurring, e.all_day) for e in found] == [
        ("Lunch & Learn", True, False),
        ("Support team weekly", True, False),
        ("Team day", True, True),
        ("Quarterly kickoff", False, False),
    ]


def test_google_weekly_keeps_its_local_time_across_the_dst_change() -> None:
    cal = calendar.read(feed("google_support.ics"))
    found = calendar.occurrences(cal, GOOGLE_WEEKLY, **WINDOW)
    assert {o.zone for o in found} == {"Europe/Berlin"}
    # 10:00 in Berlin: 08:00 UTC in summer time, 09:00 UTC after 25 Oct.
    assert starts(found)[:4] == [
        datetime(2026, 10, 6, 8, tzinfo=UTC),
        datetime(2026, 10, 13, 8, tzinfo=UTC),
        datetime(2026, 10, 20, 8, tzinfo=UTC),
        datetime(2026, 11, 3, 9, tzinfo=UTC),  # 27 Oct is an EXDATE
    ]


def test_moved_occurrence_keeps_its_original_start_and_cancelled_one_is_gone() -> None:
    found = calendar.occurrences(calendar.read(feed("google_support.ics")), GOOGLE_WEEKLY, **WINDOW)
    moved = [o for o in found if o.start != o.original]
    assert moved == [
        calendar.Occurrence(
            datetime(2026, 11, 10, 13, tzinfo=UTC), "Europe/Berlin", datetime(2026, 11, 10, 9, tzinfo=UTC)
        )
    ]
    assert datetime(2026, 11, 17, 9, tzinfo=UTC) not in starts(found)
    assert datetime(2026, 10, 27, 9, tzinfo=UTC) not in starts(found)
    assert starts(found)[-1] == datetime(2026, 11, 24, 9, tzinfo=UTC)


def test_outlook_windows_zone_name_becomes_iana_with_exdate_and_rdate() -> None:
    cal = calendar.read(feed("outlook_service_review.ics"))
    (event,) = calendar.events(cal)
    assert event.title == "Service review"
    found = calendar.occurrences(cal, event.uid, **WINDOW)
    assert {o.zone for o in found} == {"Europe/Berlin"}
    assert starts(found)[:6] == [
        datetime(2026, 10, 5, 7, 30, tzinfo=UTC),
        datetime(2026, 10, 12, 7, 30, tzinfo=UTC),
        datetime(2026, 10, 19, 7, 30, tzinfo=UTC),
        datetime(2026, 10, 26, 8, 30, tzinfo=UTC),  # after the change to winter time
        datetime(2026, 11, 4, 8, 30, tzinfo=UTC),  # RDATE on a Wednesday; Monday 2 Nov is an EXDATE
        datetime(2026, 11, 9, 8, 30, tzinfo=UTC),
    ]


def test_all_day_event_is_refused_clearly() -> None:
    cal = calendar.read(feed("google_all_day.ics"))
    with pytest.raises(calendar.CalendarError, match="all-day"):
        calendar.pick(calendar.events(cal), None)
    with pytest.raises(calendar.CalendarError, match="all-day"):
        calendar.occurrences(cal, "allday-standup@google.com", **WINDOW)


@pytest.mark.parametrize(
    "body",
    [b"<!doctype html><html><body>Sign in</body></html>", b'{"error": "not found"}', b"", b"\x00\xff" * 40],
)
def test_a_body_that_is_not_a_calendar_is_refused(body: bytes) -> None:
    with pytest.raises(calendar.CalendarError, match="calendar"):
        calendar.read(body)


def test_broken_calendar_is_refused() -> None:
    with pytest.raises(calendar.CalendarError):
        calendar.read(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:notadate\r\nEND:VEVENT\r\n")


def test_pick_by_match_or_ask_which() -> None:
    found = calendar.events(calendar.read(feed("google_support.ics")))
    assert calendar.pick(found, "support TEAM").uid == GOOGLE_WEEKLY
    assert calendar.pick(found, "kickoff").uid == "kickoff-once@google.com"
    with pytest.raises(calendar.Ambiguous) as asked:
        calendar.pick(found, None)
    assert [e.title for e in asked.value.candidates] == ["Lunch & Learn", "Support team weekly", "Team day"]
    with pytest.raises(calendar.CalendarError, match="No event"):
        calendar.pick(found, "board meeting")


def test_event_that_left_the_feed_is_reported() -> None:
    cal = calendar.read(feed("google_support.ics"))
    with pytest.raises(calendar.CalendarError, match="no longer"):
        calendar.occurrences(cal, "deleted@google.com", **WINDOW)


def big_feed(events: int) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Google Inc//Google Calendar 70.9054//EN"]
    lines.append("X-WR-TIMEZONE:America/New_York")
    first = datetime(2024, 1, 1, 14, tzinfo=UTC)
    for n in range(events):
        begin = first + timedelta(hours=5 * n)
        lines += [
            "BEGIN:VEVENT",
            f"DTSTART:{begin:%Y%m%dT%H%M%SZ}",
            f"DTEND:{begin + timedelta(minutes=30):%Y%m%dT%H%M%SZ}",
            f"UID:one-off-{n}@google.com",
            f"SUMMARY:Customer call {n}",
            "END:VEVENT",
        ]
    lines += [
        "BEGIN:VEVENT",
        "DTSTART;TZID=America/New_York:20240102T090000",
        "RRULE:FREQ=WEEKLY;BYDAY=TU,TH",
        "UID:standup@google.com",
        "SUMMARY:Support stand-up",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_feed_with_thousands_of_events_finds_the_one_followed() -> None:
    cal = calendar.read(big_feed(5000))
    found = calendar.events(cal)
    assert len(found) == 5001
    assert calendar.pick(found, None).uid == "standup@google.com"
    upcoming = calendar.occurrences(cal, "standup@google.com", **WINDOW)
    assert len(upcoming) == 17  # Tuesdays and Thursdays of October and November
    assert {o.start.astimezone(ZoneInfo("America/New_York")).time() for o in upcoming} == {time(9)}


ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    first=st.dates(min_value=datetime(2025, 1, 1).date(), max_value=datetime(2027, 1, 1).date()),
    days=st.integers(1, 120),
)
def test_weekly_meeting_keeps_its_wall_clock_time_in_any_zone(zone: str, at: time, first, days: int) -> None:  # type: ignore[no-untyped-def]
    body = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x@example.com\r\nSUMMARY:Weekly\r\n"
        f"DTSTART;TZID={zone}:{first:%Y%m%d}T{at:%H%M}00\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    start = datetime.combine(first, time(), UTC) - timedelta(days=1)
    end = start + timedelta(days=days)
    found = calendar.occurrences(calendar.read(body), "x@example.com", start=start, end=end)
    assert found == sorted(found, key=lambda o: o.start)
    assert all(start <= o.start < end and o.zone == zone for o in found)
    tz = ZoneInfo(zone)
    for o in found:
        local = o.start.astimezone(tz)
        assert local.weekday() == first.weekday() or local.time() != at  # a gap shifts the time, not the day rule
        intended = datetime.combine(local.date(), at, tz)
        if intended.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == intended.replace(tzinfo=None):
            assert local.time() == at


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_any_match_text_either_picks_or_explains(text: str) -> None:
    found = calendar.events(calendar.read(feed("google_support.ics")))
    try:
        chosen = calendar.pick(found, text)
    except calendar.CalendarError as exc:
        assert str(exc)
    else:
        assert " ".join(text.split()).casefold() in chosen.title.casefold()


def one_event(start_line: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a@example.com\r\nSUMMARY:Sync\r\n"
        f"{start_line}\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_a_windows_zone_name_without_its_vtimezone_block_is_mapped_too() -> None:
    cal = calendar.read(one_event("DTSTART;TZID=Pacific Standard Time:20261026T093000"))
    found = calendar.occurrences(cal, "a@example.com", **WINDOW)
    assert {o.zone for o in found} == {"America/Los_Angeles"}
    assert starts(found)[:2] == [datetime(2026, 10, 26, 16, 30, tzinfo=UTC), datetime(2026, 11, 2, 17, 30, tzinfo=UTC)]


def test_a_floating_time_is_read_in_the_teams_zone() -> None:
    cal = calendar.read(one_event("DTSTART:20261026T093000"))
    found = calendar.occurrences(cal, "a@example.com", default_zone="Asia/Tokyo", **WINDOW)
    assert found[0] == calendar.Occurrence(
        datetime(2026, 10, 26, 0, 30, tzinfo=UTC), "Asia/Tokyo", datetime(2026, 10, 26, 0, 30, tzinfo=UTC)
    )


def test_stored_occurrences_read_back_the_same() -> None:
    found = calendar.occurrences(calendar.read(feed("google_support.ics")), GOOGLE_WEEKLY, **WINDOW)
    assert calendar.decode(calendar.encode(found)) == found
    small = calendar.read(calendar.extract(calendar.read(feed("google_support.ics")), GOOGLE_WEEKLY))
    assert [e.uid for e in calendar.events(small)] == [GOOGLE_WEEKLY]
    assert calendar.occurrences(small, GOOGLE_WEEKLY, **WINDOW) == found
