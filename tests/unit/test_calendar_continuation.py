"""Re-reading a followed event: its continuation after a split, and meetings moved to a time already past."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import calendar

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def event(uid: str, start: str, *, title: str = "Weekly", rule: str = "FREQ=WEEKLY", extra: str = "") -> str:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTART:{start}", f"RRULE:{rule}" if rule else "", extra]
    return "\r\n".join(line for line in [*lines, f"SUMMARY:{title}", "END:VEVENT"] if line)


def feed(*events: str) -> bytes:
    return ("\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", *events, "END:VCALENDAR"]) + "\r\n").encode()


def reread(body: bytes, uid: str = "w@google.com", *, now: datetime = NOW) -> calendar.Reading:
    return calendar.reread(body, uid, "Weekly", now=now, start=now - timedelta(days=7), end=now + timedelta(days=60))


@pytest.mark.parametrize(
    ("uid", "others", "expected"),
    [
        ("w@google.com", ["w_R20261208T090000@google.com"], "w_R20261208T090000@google.com"),
        ("w@google.com", ["w_R20270105T090000@google.com", "w_R20261208@google.com"], "w_R20261208@google.com"),
        ("w_R20261208T090000@google.com", ["w_R20270105T090000@google.com"], "w_R20270105T090000@google.com"),
        ("w_R20261208T090000@google.com", ["w@google.com"], None),  # the older part is not a continuation
        ("w@google.com", ["w_R20261208T090000@other.com"], None),  # another calendar's event
        ("w@google.com", ["wx_R20261208T090000@google.com"], None),
        ("w", ["w_R20261208T090000"], "w_R20261208T090000"),
    ],
)
def test_a_continuation_is_the_nearest_later_split_of_the_same_event(
    uid: str, others: list[str], expected: str | None
) -> None:
    body = feed(event(uid, "20261124T090000Z"), *(event(o, "20261208T090000Z") for o in others))
    assert calendar.continuation(calendar.read(body), uid, "weekly") == expected


def test_a_split_off_event_with_another_title_is_not_a_continuation() -> None:
    body = feed(
        event("w@google.com", "20261124T090000Z"), event("w_R20261208@google.com", "20261208T090000Z", title="X")
    )
    assert calendar.continuation(calendar.read(body), "w@google.com", "Weekly") is None


def test_the_continuations_meetings_follow_the_events_own_and_it_is_followed_once_they_end() -> None:
    body = feed(
        event("w@google.com", "20261124T090000Z", rule="FREQ=WEEKLY;UNTIL=20261207T000000Z"),
        event("w_R20261208T093000@google.com", "20261208T093000Z"),
    )
    before = reread(body)
    assert (before.uid, before.continued) == ("w@google.com", False)
    starts = [o.start.day for o in before.occurrences if o.start >= NOW]
    assert starts[:4] == [24, 1, 8, 15]
    after = reread(before.entries, now=datetime(2026, 12, 2, tzinfo=UTC))
    assert (after.uid, after.continued) == ("w_R20261208T093000@google.com", True)
    assert calendar.read(after.entries).walk("VEVENT")[0]["UID"] == "w_R20261208T093000@google.com"


def test_an_event_with_no_continuation_that_is_gone_is_still_an_error() -> None:
    with pytest.raises(calendar.CalendarError):
        reread(feed(event("other@google.com", "20261124T090000Z")))


def test_a_meeting_moved_to_a_time_already_past_is_found_by_its_original_start() -> None:
    moved = event(
        "w@google.com", "20261123T083500Z", rule="", extra="RECURRENCE-ID:20261123T100000Z"
    )  # 10:00 moved to 08:35, before now
    reading = reread(feed(event("w@google.com", "20261116T100000Z"), moved))
    by_original = {o.original: o.start for o in reading.occurrences}
    assert by_original[datetime(2026, 11, 23, 10, tzinfo=UTC)] == datetime(2026, 11, 23, 8, 35, tzinfo=UTC)
