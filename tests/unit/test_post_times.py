"""Post times of meeting series: the start is the local wall time in the series' zone, the card goes out
exactly the lead time earlier (in real elapsed time), across daylight-saving changes in many zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.occurrences import advance
from bot.storage.models import MeetingSeries

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Europe/London",
    "Pacific/Chatham",
    "America/St_Johns",
    "UTC",
]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def series(*, zone: str, at: time, day: str, lead: int, remind: int = 0) -> MeetingSeries:
    return MeetingSeries(
        rule=f"FREQ=WEEKLY;BYDAY={day}",
        at=at.strftime("%H:%M"),
        zone=zone,
        anchor="2000-01-03",
        lead_minutes=lead,
        remind_minutes=remind,
        skip_dates=[],
        state="active",
    )


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    day=st.sampled_from(DAYS),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
    lead=st.integers(0, 7 * 24 * 60),
    remind=st.integers(0, 24 * 60),
    after=st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2039, 12, 1)),
)
def test_post_time_is_the_lead_before_a_local_wall_clock_start(
    zone: str, day: str, hour: int, minute: int, lead: int, remind: int, after: datetime
) -> None:
    at = time(hour, minute)
    row = series(zone=zone, at=at, day=day, lead=lead, remind=remind)
    now = after.replace(tzinfo=UTC)
    advance(row, now)
    assert row.next_start_at is not None and row.next_post_at is not None and row.next_prepare_at is not None
    start = row.next_start_at
    assert start > now and start - now <= timedelta(days=7, hours=3)
    local = start.astimezone(ZoneInfo(zone))
    assert local.strftime("%a")[:2].upper() == day
    # The wall time is the meeting time, unless that time did not exist that day (spring gap): then later.
    if (local.hour, local.minute) != (hour, minute):
        wall = datetime.combine(local.date(), at)
        assert (
            wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None) != wall
        ), "only a non-existent local time may move"
        assert timedelta(0) < local.replace(tzinfo=None) - wall <= timedelta(hours=1)
    assert start - row.next_post_at == timedelta(minutes=lead)
    assert row.next_post_at - row.next_prepare_at == timedelta(minutes=remind)


def test_a_berlin_meeting_keeps_its_local_time_and_moves_in_utc_across_the_spring_change() -> None:
    row = series(zone="Europe/Berlin", at=time(10, 0), day="TU", lead=30)
    advance(row, datetime(2026, 3, 20, tzinfo=UTC))
    assert row.next_start_at == datetime(2026, 3, 24, 9, 0, tzinfo=UTC)  # CET, before the change
    advance(row, row.next_start_at)
    assert row.next_start_at == datetime(2026, 3, 31, 8, 0, tzinfo=UTC)  # CEST, after the change
    assert row.next_post_at == datetime(2026, 3, 31, 7, 30, tzinfo=UTC)


def test_skipped_dates_are_jumped_over() -> None:
    row = series(zone="Europe/Berlin", at=time(10, 0), day="TU", lead=0)
    row.skip_dates = [date(2026, 12, 22).isoformat(), date(2026, 12, 29).isoformat()]
    advance(row, datetime(2026, 12, 16, tzinfo=UTC))
    assert row.next_start_at == datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
