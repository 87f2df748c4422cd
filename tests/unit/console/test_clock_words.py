"""Reading the console's `--now` times and `wait` durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.console.clock import ClockError, ConsoleClock, parse_duration, parse_now, shown

ZONE = "Europe/Berlin"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-07 08:00 Europe/Berlin", datetime(2026, 12, 7, 7, 0, tzinfo=UTC)),
        ("2026-07-07 08:00 Europe/Berlin", datetime(2026, 7, 7, 6, 0, tzinfo=UTC)),  # summer time
        ("2026-12-07 08:00 America/New_York", datetime(2026, 12, 7, 13, 0, tzinfo=UTC)),
        ("2026-12-07 08:00", datetime(2026, 12, 7, 7, 0, tzinfo=UTC)),  # the team's zone
        ("2026-12-07T07:00Z", datetime(2026, 12, 7, 7, 0, tzinfo=UTC)),
        ("2026-12-07T08:00:00+01:00", datetime(2026, 12, 7, 7, 0, tzinfo=UTC)),
        ("  2026-12-07   08:00   UTC ", datetime(2026, 12, 7, 8, 0, tzinfo=UTC)),
    ],
)
def test_times_the_console_can_start_at(text: str, expected: datetime) -> None:
    assert parse_now(text, zone=ZONE) == expected


@pytest.mark.parametrize(
    "text", ["", "tomorrow", "2026-13-07 08:00", "2026-12-07 08:00 Mars/Olympus", "2026-12-07T08:00+01:00 UTC"]
)
def test_unreadable_times_are_refused_in_one_line(text: str) -> None:
    with pytest.raises(ClockError) as refused:
        parse_now(text, zone=ZONE)
    assert "\n" not in str(refused.value)
    assert str(refused.value).startswith("--now")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("1w", timedelta(weeks=1)),
        ("1d 2h", timedelta(days=1, hours=2)),
        ("1h45m", timedelta(hours=1, minutes=45)),
        (" 2 H ", timedelta(hours=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "0m", "2y", "1d and 2h", "h", "53w", "-1h"])
def test_unreadable_durations(text: str) -> None:
    with pytest.raises(ClockError):
        parse_duration(text)


@given(st.text(max_size=40))
def test_any_text_is_a_duration_or_a_clear_refusal(text: str) -> None:
    try:
        duration = parse_duration(text)
    except ClockError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert timedelta() < duration <= timedelta(days=366)


@given(st.text(max_size=40))
def test_any_text_is_a_time_or_a_clear_refusal(text: str) -> None:
    try:
        instant = parse_now(text, zone=ZONE)
    except ClockError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert instant.tzinfo is UTC


def test_the_simulated_clock_only_moves_forward() -> None:
    clock = ConsoleClock(datetime(2026, 12, 7, 7, 0, tzinfo=UTC))
    clock.move_to(datetime(2026, 12, 6, tzinfo=UTC))
    assert clock() == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    assert shown(clock(), ZONE) == "Mon 7 Dec 2026 08:00 Europe/Berlin"
    assert ConsoleClock().simulated is False
    with pytest.raises(RuntimeError):
        ConsoleClock().move_to(datetime(2026, 12, 6, tzinfo=UTC))


def test_the_edges_of_the_calendar_are_refused_not_crashed() -> None:
    with pytest.raises(ClockError):
        parse_now("0001-01-01 00:00 Asia/Tokyo", zone=ZONE)
