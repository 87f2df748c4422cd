"""Tests for bot.domain.recurrence: schedule parsing, descriptions and DST-correct occurrences."""

from __future__ import annotations

import itertools
import pickle
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.recurrence import (
    Recurrence,
    ScheduleError,
    ScheduleSpec,
    UnknownZone,
    format_local,
    parse_rrule,
    parse_schedule,
    post_time,
    zone,
)

TODAY = date(2026, 11, 23)  # a Monday
NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def weekly(rule: str, at: time, zone_name: str, anchor: date = date(2026, 1, 1)) -> Recurrence:
    return Recurrence(rule=rule, at=at, zone=zone_name, anchor=anchor)


def schedule(text: str, default_zone: str = "Europe/Berlin") -> ScheduleSpec:
    return parse_schedule(text, default_zone=default_zone, today=TODAY)


# --------------------------------------------------------------------------------------------
# Time zones
# --------------------------------------------------------------------------------------------


def test_zone_accepts_exact_names_case_insensitively() -> None:
    assert zone("Europe/Berlin").key == "Europe/Berlin"
    assert zone("europe/berlin").key == "Europe/Berlin"
    assert zone("  AMERICA/NEW_YORK ").key == "America/New_York"
    assert zone("america/new york").key == "America/New_York"
    assert zone("UTC").key == "UTC"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Europe/Berln", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        ("Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("America/NewYork", "America/New_York"),
        ("kolkata", "Asia/Kolkata"),
        ("Australia/Sidney", "Australia/Sydney"),
    ],
)
def test_unknown_zone_suggests_close_names(name: str, expected: str) -> None:
    with pytest.raises(UnknownZone) as caught:
        zone(name)
    error = caught.value
    assert error.name == name
    assert error.suggestions[0] == expected
    assert 1 <= len(error.suggestions) <= 3
    assert str(error).startswith(f"I don't know the time zone '{name}'. Did you mean {expected}")
    assert isinstance(error, ScheduleError)
    assert isinstance(error, ValueError)


def test_unknown_zone_message_exact_for_a_typo() -> None:
    with pytest.raises(
        UnknownZone, match=r"^I don't know the time zone 'Europe/Berln'\. Did you mean Europe/Berlin\?$"
    ):
        zone("Europe/Berln")


def test_unknown_zone_without_suggestions() -> None:
    with pytest.raises(UnknownZone) as caught:
        zone("Qwxyz")
    assert caught.value.suggestions == ()
    assert "Europe/Berlin" in str(caught.value)


@pytest.mark.parametrize("name", ["", "   ", "x" * 500, "../../etc/passwd", "localtime", "Europe/\x00Berlin"])
def test_zone_rejects_junk(name: str) -> None:
    with pytest.raises(UnknownZone):
        zone(name)


def test_unknown_zone_pickles() -> None:
    error = UnknownZone("berlin", ("Europe/Berlin",))
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.name, copy.suggestions, str(copy)) == (error.name, error.suggestions, str(error))


# --------------------------------------------------------------------------------------------
# parse_schedule: the grammar
# --------------------------------------------------------------------------------------------


def test_weekly_full_example() -> None:
    spec = schedule("weekly tue 10:00 Europe/Berlin lead 30m")
    assert spec.recurrence == Recurrence("FREQ=WEEKLY;BYDAY=TU", time(10, 0), "Europe/Berlin", TODAY)
    assert spec.lead == timedelta(minutes=30)
    assert spec.skip == frozenset()


def test_defaults_zone_and_lead() -> None:
    spec = schedule("Weekly  TUE   10:00", default_zone="america/new_york")
    assert spec.recurrence.zone == "America/New_York"
    assert spec.lead == timedelta(minutes=30)
    assert spec.recurrence.anchor == TODAY


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("weekly mon,thu 9:30", "FREQ=WEEKLY;BYDAY=MO,TH"),
        ("weekly thu, mon 9:30", "FREQ=WEEKLY;BYDAY=MO,TH"),
        ("weekly monday thursday 9:30", "FREQ=WEEKLY;BYDAY=MO,TH"),
        ("weekly Tuesday 9:30", "FREQ=WEEKLY;BYDAY=TU"),
        ("biweekly tue 10:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"),
        ("every 3 weeks mon,fri 10:00", "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,FR"),
        ("every 1 week wed 10:00", "FREQ=WEEKLY;BYDAY=WE"),
        ("every 12 weeks wed 10:00", "FREQ=WEEKLY;INTERVAL=12;BYDAY=WE"),
        ("every other week wed 10:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"),
        ("monthly 1st tue 10:00", "FREQ=MONTHLY;BYDAY=+1TU"),
        ("monthly first tue 10:00", "FREQ=MONTHLY;BYDAY=+1TU"),
        ("monthly 2nd wed 10:00", "FREQ=MONTHLY;BYDAY=+2WE"),
        ("monthly third thu 10:00", "FREQ=MONTHLY;BYDAY=+3TH"),
        ("monthly 4th mon 10:00", "FREQ=MONTHLY;BYDAY=+4MO"),
        ("monthly last fri 10:00", "FREQ=MONTHLY;BYDAY=-1FR"),
        ("daily 09:00", "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"),
        ("rrule FREQ=WEEKLY;INTERVAL=2;BYDAY=TU 10:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"),
        ("rrule RRULE:freq=monthly;byday=-1fr 10:00", "FREQ=MONTHLY;BYDAY=-1FR"),
        ("rrule FREQ=MONTHLY; BYMONTHDAY=15 10:00", "FREQ=MONTHLY;BYMONTHDAY=15"),
    ],
)
def test_grammar_rules(text: str, rule: str) -> None:
    assert schedule(text).recurrence.rule == rule


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("10:00", time(10, 0)),
        ("9:30", time(9, 30)),
        ("09:30", time(9, 30)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("10am", time(10, 0)),
        ("10 am", time(10, 0)),
        ("2:30pm", time(14, 30)),
        ("2:30 PM", time(14, 30)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("14h", time(14, 0)),
        ("14h30", time(14, 30)),
    ],
)
def test_times(token: str, expected: time) -> None:
    assert schedule(f"weekly tue {token}").recurrence.at == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("1h", timedelta(hours=1)),
        ("1h30m", timedelta(minutes=90)),
        ("1h 30m", timedelta(minutes=90)),
        ("90 min", timedelta(minutes=90)),
        ("45 minutes", timedelta(minutes=45)),
        ("2d", timedelta(days=2)),
        ("7d", timedelta(days=7)),
        ("0", timedelta(0)),
    ],
)
def test_lead_durations(text: str, expected: timedelta) -> None:
    assert schedule(f"weekly tue 10:00 lead {text}").lead == expected


def test_options_in_any_order_and_zone_after_options() -> None:
    spec = schedule("weekly tue 10:00 skip 2026-12-22, 2026-12-29 lead 1h Asia/Kolkata")
    assert spec.recurrence.zone == "Asia/Kolkata"
    assert spec.lead == timedelta(hours=1)
    assert spec.skip == frozenset({date(2026, 12, 22), date(2026, 12, 29)})


def test_skip_dates_in_the_past_are_fine() -> None:
    spec = schedule("weekly tue 10:00 skip 2020-01-07,2026-12-22")
    assert date(2026, 12, 22) in spec.skip
    assert date(2020, 1, 7) not in spec.skip


def test_unknown_zone_in_schedule() -> None:
    with pytest.raises(UnknownZone) as caught:
        schedule("weekly tue 10:00 Europe/Berln")
    assert caught.value.suggestions[0] == "Europe/Berlin"
    with pytest.raises(UnknownZone) as caught:
        schedule("weekly tue 10:00 new york")
    assert caught.value.suggestions[0] == "America/New_York"
    with pytest.raises(UnknownZone):
        schedule("weekly tue 10:00", default_zone="Mars/Olympus")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "Tell me when"),
        ("   ", "Tell me when"),
        ("weekly tue 25:00", "I couldn't read the time '25:00'. Use 24-hour HH:MM, e.g. schedule weekly tue"),
        ("weekly tue 10:60", "the time '10:60'"),
        ("weekly tue 13pm", "the time '13pm'"),
        ("weekly tue 10", "the time '10'"),
        ("weekly tue", "Add the meeting time"),
        ("weekly 10:00", "Which day of the week?"),
        ("weekly funday 10:00", "Which day of the week? I read 'funday'"),
        ("every 13 weeks tue 10:00", "number of weeks"),
        ("every 0 weeks tue 10:00", "number of weeks"),
        ("every 2 months tue 10:00", "Only weeks"),
        ("monthly 5th tue 10:00", "Which week of the month?"),
        ("monthly first 10:00", "Which day of the week?"),
        ("monthly first mon,tue 10:00", "one day of the week"),
        ("yearly 10:00", "Start with weekly"),
        ("weekly tue 10:00 lead", "how long before"),
        ("weekly tue 10:00 lead soon", "lead time 'soon'"),
        ("weekly tue 10:00 lead 30", "lead time '30'"),
        ("weekly tue 10:00 lead 8d", "at most 7 days"),
        ("weekly tue 10:00 lead 99999999999999999999d", "lead time"),
        ("weekly tue 10:00 lead 1h lead 2h", "only once"),
        ("weekly tue 10:00 skip", "which dates to skip"),
        ("weekly tue 10:00 skip 24.12.2026", "the date '24.12.2026'"),
        ("weekly tue 10:00 skip 2026-02-30", "the date '2026-02-30'"),
        ("weekly tue 10:00 Europe/Berlin Asia/Kolkata", "I didn't understand 'Asia/Kolkata'"),
        ("weekly tue 10:00 Europe/Berlin 30m", "Put 'lead' before"),
        ("weekly tue 10:00 UTC lead 1h Europe/Berlin", "two time zones"),
        ("rrule", "Add the rule"),
        ("rrule FREQ=HOURLY 10:00", "too frequent"),
        ("rrule FREQ=WEEKLY;BYDAY=TU", "Add the meeting time"),
        ("rrule FREQ=WEEKLY;UNTIL=20250101 10:00", "never produces a meeting from 2026-11-23"),
        ("x" * 1000, "too long"),
    ],
)
def test_errors_say_what_was_wrong(text: str, fragment: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        schedule(text)
    assert fragment in str(caught.value)


def test_time_error_message_matches_the_brief() -> None:
    with pytest.raises(ScheduleError) as caught:
        schedule("weekly tue 25:00")
    assert str(caught.value) == (
        "I couldn't read the time '25:00'. Use 24-hour HH:MM, e.g. schedule weekly tue 10:00 Europe/Berlin lead 30m"
    )


def test_error_messages_echo_input_safely() -> None:
    with pytest.raises(ScheduleError) as caught:
        schedule("weekly tue \x07" + "9" * 200)
    message = str(caught.value)
    assert "\x07" not in message
    assert len(message) < 300


def test_schedule_spec_validates_lead() -> None:
    rec = Recurrence("FREQ=WEEKLY;BYDAY=TU", time(10), "UTC", TODAY)
    assert ScheduleSpec(rec).lead == timedelta(minutes=30)
    with pytest.raises(ScheduleError):
        ScheduleSpec(rec, lead=timedelta(days=8))
    with pytest.raises(ScheduleError):
        ScheduleSpec(rec, lead=timedelta(minutes=-1))


# --------------------------------------------------------------------------------------------
# parse_rrule
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"),
        ("RRULE:FREQ=WEEKLY;BYDAY=TU", "FREQ=WEEKLY;BYDAY=TU"),
        ("rrule:freq=monthly;byday=1mo", "FREQ=MONTHLY;BYDAY=+1MO"),
        (" BYDAY=MO,WE ; FREQ=WEEKLY ", "FREQ=WEEKLY;BYDAY=MO,WE"),
        ("FREQ=MONTHLY;BYMONTHDAY=+05", "FREQ=MONTHLY;BYMONTHDAY=5"),
        ("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"),
        ("FREQ=WEEKLY;BYDAY=TU;UNTIL=20271231T235959Z", "FREQ=WEEKLY;BYDAY=TU;UNTIL=20271231T235959Z"),
        ("FREQ=DAILY;COUNT=10", "FREQ=DAILY;COUNT=10"),
        ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"),
    ],
)
def test_parse_rrule_normalises(text: str, expected: str) -> None:
    assert parse_rrule(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("BYDAY=TU", "needs a FREQ"),
        ("FREQ=HOURLY", "too frequent"),
        ("FREQ=MINUTELY;INTERVAL=30", "too frequent"),
        ("FREQ=SECONDLY", "too frequent"),
        ("FREQ=FORTNIGHTLY", "I don't know FREQ"),
        ("DTSTART:20260101T100000\nRRULE:FREQ=WEEKLY", "single RRULE line"),
        ("DTSTART=20260101T100000;FREQ=WEEKLY", "DTSTART"),
        ("DTSTART:20260101T100000 RRULE:FREQ=WEEKLY", "DTSTART"),
        ("FREQ=WEEKLY;BYHOUR=9", "BYHOUR"),
        ("FREQ=WEEKLY;FOO=1", "rule part 'FOO'"),
        ("FREQ=WEEKLY;FREQ=DAILY", "twice"),
        ("FREQ=WEEKLY;INTERVAL=0", "out of range"),
        ("FREQ=WEEKLY;INTERVAL=x", "whole numbers"),
        ("FREQ=WEEKLY;COUNT=0", "out of range"),
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20300101", "either COUNT or UNTIL"),
        ("FREQ=WEEKLY;UNTIL=tomorrow", "UNTIL"),
        ("FREQ=WEEKLY;UNTIL=20260230", "not a real date"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY"),
        ("FREQ=WEEKLY;BYDAY=+1MO", "FREQ=MONTHLY"),
        ("FREQ=MONTHLY;BYDAY=+6MO", "out of range"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "out of range"),
        ("FREQ=YEARLY;BYMONTH=13", "out of range"),
        ("FREQ=WEEKLY;BYMONTHDAY=1", "FREQ=MONTHLY"),
        ("FREQ=MONTHLY;BYWEEKNO=1", "FREQ=YEARLY"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never produces a meeting"),
        ("FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31", "never produces a meeting"),
        ("FREQ=WEEKLY;UNTIL=19600101", "never produces a meeting"),
        ("FREQ", "NAME=VALUE"),
        ("FREQ=", "NAME=VALUE"),
        (";;;", "needs a FREQ"),
    ],
)
def test_parse_rrule_rejects(text: str, fragment: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_rrule(text)
    assert fragment in str(caught.value)


def test_parse_rrule_with_anchor_rejects_finished_rules() -> None:
    assert parse_rrule("FREQ=WEEKLY;UNTIL=20250101") == "FREQ=WEEKLY;UNTIL=20250101"
    with pytest.raises(ScheduleError, match="from 2026-11-23"):
        parse_rrule("FREQ=WEEKLY;UNTIL=20250101", anchor=TODAY)


@pytest.fixture
def expanders(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The windows every dateutil expansion is given (its ``dtstart`` and ``until``), recorded."""
    from bot.domain.recurrence import expansion, series

    seen: list[dict[str, Any]] = []
    real = expansion._expander

    def recording(rule: Any, **window: Any) -> Any:
        seen.append(window)
        return real(rule, **window)

    monkeypatch.setattr(expansion, "_expander", recording)
    monkeypatch.setattr(series, "_expander", recording)
    return seen


def test_impossible_daily_rule_is_rejected_within_a_bounded_window(expanders: list[dict[str, Any]]) -> None:
    """A rule that never matches is searched over 100 years near the end of the calendar (the calendar
    repeats every 400 years), not from 1970 to 9999 day by day."""
    with pytest.raises(ScheduleError):
        parse_rrule("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")
    (window,) = expanders
    assert (window["until"] is not None and window["until"].year == 9999) or window["until"].year > 9599
    assert window["until"] - window["dtstart"] <= timedelta(days=101 * 366)


# --------------------------------------------------------------------------------------------
# Recurrence: construction and describe()
# --------------------------------------------------------------------------------------------


def test_recurrence_normalises_rule_and_zone() -> None:
    rec = Recurrence("rrule:freq=weekly;byday=tu", time(10, 0, 0, 5), "europe/berlin", TODAY)
    assert rec.rule == "FREQ=WEEKLY;BYDAY=TU"
    assert rec.zone == "Europe/Berlin"
    assert rec.at == time(10, 0)


def test_recurrence_rejects_bad_values() -> None:
    with pytest.raises(UnknownZone):
        Recurrence("FREQ=WEEKLY", time(10), "Nowhere/Land", TODAY)
    with pytest.raises(ScheduleError):
        Recurrence("FREQ=HOURLY", time(10), "UTC", TODAY)
    with pytest.raises(ScheduleError):
        Recurrence("FREQ=WEEKLY", time(10, tzinfo=UTC), "UTC", TODAY)


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("weekly tue 10:00 Europe/Berlin", "every Tuesday at 10:00 (Europe/Berlin)"),
        ("weekly thu,mon 09:30", "every Monday and Thursday at 09:30 (Europe/Berlin)"),
        ("weekly mon,wed,fri 09:30", "every Monday, Wednesday and Friday at 09:30 (Europe/Berlin)"),
        ("weekly mon,tue,wed,thu,fri 09:30", "every weekday at 09:30 (Europe/Berlin)"),
        ("biweekly mon,thu 09:30", "every 2 weeks on Monday and Thursday at 09:30 (Europe/Berlin)"),
        ("every 3 weeks fri 16:00 UTC", "every 3 weeks on Friday at 16:00 (UTC)"),
        ("monthly first mon 10:00", "on the first Monday of every month at 10:00 (Europe/Berlin)"),
        ("monthly 2nd tue 10:00", "on the second Tuesday of every month at 10:00 (Europe/Berlin)"),
        ("monthly last fri 15:00 America/New_York", "on the last Friday of every month at 15:00 (America/New_York)"),
        ("daily 9am", "every weekday at 09:00 (Europe/Berlin)"),
        ("rrule FREQ=DAILY 08:00", "every day at 08:00 (Europe/Berlin)"),
        ("rrule FREQ=DAILY;INTERVAL=3 08:00", "every 3 days at 08:00 (Europe/Berlin)"),
        ("rrule FREQ=WEEKLY 08:00", "every Monday at 08:00 (Europe/Berlin)"),  # anchor is a Monday
        (
            "rrule FREQ=MONTHLY;INTERVAL=2;BYDAY=+2WE 08:00",
            "on the second Wednesday of every 2 months at 08:00 (Europe/Berlin)",
        ),
        ("rrule FREQ=MONTHLY;BYMONTHDAY=15 10:00", "RRULE FREQ=MONTHLY;BYMONTHDAY=15 at 10:00 (Europe/Berlin)"),
        ("rrule FREQ=WEEKLY;BYDAY=TU;COUNT=5 10:00", "RRULE FREQ=WEEKLY;BYDAY=TU;COUNT=5 at 10:00 (Europe/Berlin)"),
    ],
)
def test_describe(text: str, description: str) -> None:
    assert schedule(text).recurrence.describe() == description


def test_describe_shows_seconds_only_when_set() -> None:
    rec = Recurrence("FREQ=WEEKLY;BYDAY=TU", time(10, 0, 30), "UTC", TODAY)
    assert rec.describe() == "every Tuesday at 10:00:30 (UTC)"


# --------------------------------------------------------------------------------------------
# occurrences(): concrete examples
# --------------------------------------------------------------------------------------------


def test_weekly_occurrences() -> None:
    rec = schedule("weekly tue 10:00").recurrence
    assert rec.occurrences(NOW, count=3) == [utc(2026, 11, 24, 9), utc(2026, 12, 1, 9), utc(2026, 12, 8, 9)]
    assert rec.occurrences(NOW) == [utc(2026, 11, 24, 9)]
    assert rec.occurrences(NOW, count=0) == []


def test_after_is_strict() -> None:
    rec = schedule("weekly tue 10:00").recurrence
    assert rec.occurrences(utc(2026, 11, 24, 9)) == [utc(2026, 12, 1, 9)]
    assert rec.occurrences(utc(2026, 11, 24, 8, 59, 59)) == [utc(2026, 11, 24, 9)]


def test_after_may_be_in_any_zone() -> None:
    rec = schedule("weekly tue 10:00").recurrence
    tokyo = datetime(2026, 11, 24, 17, 59, tzinfo=ZoneInfo("Asia/Tokyo"))  # 08:59 UTC
    assert rec.occurrences(tokyo) == [utc(2026, 11, 24, 9)]
    assert rec.occurrences(tokyo)[0].utcoffset() == timedelta(0)


def test_naive_after_is_a_programming_error() -> None:
    rec = schedule("weekly tue 10:00").recurrence
    with pytest.raises(ValueError, match="aware"):
        rec.occurrences(datetime(2026, 11, 24))


def test_multiple_days() -> None:
    rec = schedule("weekly mon,thu 9:30").recurrence
    assert rec.occurrences(NOW, count=3) == [
        utc(2026, 11, 23, 8, 30),
        utc(2026, 11, 26, 8, 30),
        utc(2026, 11, 30, 8, 30),
    ]


def test_biweekly_counts_from_the_anchor_week() -> None:
    monday = parse_schedule("biweekly tue 10:00", default_zone="Europe/Berlin", today=date(2026, 11, 23))
    assert monday.recurrence.occurrences(NOW, count=3) == [
        utc(2026, 11, 24, 9),
        utc(2026, 12, 8, 9),
        utc(2026, 12, 22, 9),
    ]
    # Typed on a Wednesday: this week's Tuesday has passed, so the series starts on the next Tuesday.
    wednesday = parse_schedule("biweekly tue 10:00", default_zone="Europe/Berlin", today=date(2026, 11, 25))
    assert wednesday.recurrence.occurrences(NOW, count=2) == [utc(2026, 12, 1, 9), utc(2026, 12, 15, 9)]
    # Far from the anchor, the phase is kept.
    later = monday.recurrence.occurrences(utc(2030, 1, 1), count=2)
    assert [(d - utc(2026, 11, 24, 9)).days % 14 for d in later] == [0, 0]


def test_anchor_in_the_future_starts_there() -> None:
    rec = Recurrence("FREQ=WEEKLY;BYDAY=TU", time(10), "Europe/Berlin", date(2027, 1, 1))
    assert rec.occurrences(NOW) == [utc(2027, 1, 5, 9)]


def test_monthly_nth_and_last() -> None:
    first = schedule("monthly 1st tue 10:00").recurrence
    assert first.occurrences(NOW, count=3) == [utc(2026, 12, 1, 9), utc(2027, 1, 5, 9), utc(2027, 2, 2, 9)]
    last = schedule("monthly last fri 16:00").recurrence
    assert last.occurrences(NOW, count=3) == [utc(2026, 11, 27, 15), utc(2026, 12, 25, 15), utc(2027, 1, 29, 15)]


def test_daily_is_weekdays_only() -> None:
    rec = schedule("daily 09:00 UTC").recurrence
    got = rec.occurrences(utc(2026, 11, 27, 10), count=3)  # after Friday's meeting
    assert got == [utc(2026, 11, 30, 9), utc(2026, 12, 1, 9), utc(2026, 12, 2, 9)]


def test_skip_dates() -> None:
    spec = schedule("weekly tue 10:00 skip 2026-11-24,2026-12-08")
    got = spec.recurrence.occurrences(NOW, count=3, skip=spec.skip)
    assert got == [utc(2026, 12, 1, 9), utc(2026, 12, 15, 9), utc(2026, 12, 22, 9)]


def test_rrule_monthly_by_month_day() -> None:
    rec = schedule("rrule FREQ=MONTHLY;BYMONTHDAY=15 10:00 Asia/Kolkata").recurrence
    assert rec.occurrences(NOW, count=2) == [utc(2026, 12, 15, 4, 30), utc(2027, 1, 15, 4, 30)]


def test_rule_with_count_ends() -> None:
    rec = schedule("rrule FREQ=WEEKLY;BYDAY=TU;COUNT=3 10:00").recurrence
    assert rec.occurrences(NOW, count=10) == [utc(2026, 11, 24, 9), utc(2026, 12, 1, 9), utc(2026, 12, 8, 9)]
    assert rec.occurrences(utc(2026, 12, 2), count=10) == [utc(2026, 12, 8, 9)]
    assert rec.occurrences(utc(2030, 1, 1), count=10) == []


def test_rule_with_until_ends() -> None:
    date_only = schedule("rrule FREQ=WEEKLY;BYDAY=TU;UNTIL=20261208 10:00").recurrence
    assert len(date_only.occurrences(NOW, count=10)) == 3  # a date-only UNTIL includes that day
    in_utc = schedule("rrule FREQ=WEEKLY;BYDAY=TU;UNTIL=20261208T090000Z 10:00").recurrence
    assert in_utc.occurrences(NOW, count=10)[-1] == utc(2026, 12, 8, 9)
    just_before = schedule("rrule FREQ=WEEKLY;BYDAY=TU;UNTIL=20261208T085959Z 10:00").recurrence
    assert just_before.occurrences(NOW, count=10)[-1] == utc(2026, 12, 1, 9)
    assert just_before.occurrences(utc(2027, 6, 1), count=10) == []


def test_skipping_every_remaining_date_terminates() -> None:
    rec = schedule("rrule FREQ=WEEKLY;BYDAY=TU;COUNT=2 10:00").recurrence
    assert rec.occurrences(NOW, count=5, skip=frozenset({date(2026, 11, 24), date(2026, 12, 1)})) == []


def test_a_far_future_search_starts_near_the_time_asked_not_at_the_anchor(expanders: list[dict[str, Any]]) -> None:
    daily = Recurrence("FREQ=DAILY", time(10), "Europe/Berlin", date(2000, 1, 1))
    biweekly = Recurrence("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", time(10), "Europe/Berlin", date(2000, 1, 4))
    monthly = Recurrence("FREQ=MONTHLY;INTERVAL=5;BYDAY=-1FR", time(10), "Europe/Berlin", date(2000, 1, 1))
    assert daily.occurrences(utc(9000, 6, 1), count=3)[0] == utc(9000, 6, 1, 8)
    assert biweekly.occurrences(utc(9000, 6, 1), count=1)
    assert monthly.occurrences(utc(9000, 6, 1), count=1)
    searches = [w for w in expanders if w["anchor"].year == 2000]  # not the checks that the rules can happen
    assert len(searches) == 3
    for window in searches:  # whole periods on from the anchor: the search starts within a year of the time
        assert datetime(8999, 6, 1) <= window["dtstart"] <= datetime(9000, 6, 1)


def test_ends_of_the_calendar_do_not_crash() -> None:
    rec = schedule("weekly tue 10:00 Pacific/Kiritimati").recurrence
    assert rec.occurrences(datetime.max.replace(tzinfo=UTC), count=3) == []
    assert rec.occurrences(datetime.min.replace(tzinfo=UTC)) == [utc(2026, 11, 23, 20)]
    assert len(rec.occurrences(utc(9999, 12, 1), count=10)) <= 10


# --------------------------------------------------------------------------------------------
# occurrences(): daylight saving time
# --------------------------------------------------------------------------------------------


def test_berlin_spring_gap_moves_forward_by_the_gap() -> None:
    rec = weekly("FREQ=WEEKLY;BYDAY=SU", time(2, 30), "Europe/Berlin")
    got = rec.occurrences(utc(2026, 3, 28, 12))
    assert got == [utc(2026, 3, 29, 1, 30)]
    assert format_local(got[0], "Europe/Berlin") == "Sun 29 Mar 03:30 CEST"
    assert rec.occurrences(got[0], count=1) == [utc(2026, 4, 5, 0, 30)]  # 02:30 CEST again


def test_berlin_autumn_fold_takes_the_first() -> None:
    rec = weekly("FREQ=WEEKLY;BYDAY=SU", time(2, 30), "Europe/Berlin")
    got = rec.occurrences(utc(2026, 10, 24, 12), count=2)
    assert got == [utc(2026, 10, 25, 0, 30), utc(2026, 11, 1, 1, 30)]
    assert format_local(got[0], "Europe/Berlin") == "Sun 25 Oct 02:30 CEST"
    # Asking just after the first 02:30 does not return the second 02:30 (01:30 UTC).
    assert rec.occurrences(utc(2026, 10, 25, 0, 45)) == [utc(2026, 11, 1, 1, 30)]


def test_berlin_ten_oclock_stays_ten_oclock_across_both_transitions() -> None:
    rec = weekly("FREQ=WEEKLY;BYDAY=MO", time(10), "Europe/Berlin")
    spring = rec.occurrences(utc(2026, 3, 20), count=2)
    assert [d.hour for d in spring] == [9, 8]
    autumn = rec.occurrences(utc(2026, 10, 15), count=2)
    assert [d.hour for d in autumn] == [8, 9]
    for instant in spring + autumn:
        assert instant.astimezone(ZoneInfo("Europe/Berlin")).time() == time(10)


def test_new_york() -> None:
    gap = weekly("FREQ=WEEKLY;BYDAY=SU", time(2, 30), "America/New_York")
    assert gap.occurrences(utc(2026, 3, 7)) == [utc(2026, 3, 8, 7, 30)]  # 03:30 EDT
    fold = weekly("FREQ=WEEKLY;BYDAY=SU", time(1, 30), "America/New_York")
    assert fold.occurrences(utc(2026, 10, 31)) == [utc(2026, 11, 1, 5, 30)]  # first 01:30, EDT
    nine = weekly("FREQ=WEEKLY;BYDAY=MO", time(9), "America/New_York")
    assert [d.hour for d in nine.occurrences(utc(2026, 3, 1), count=2)] == [14, 13]
    assert [d.hour for d in nine.occurrences(utc(2026, 10, 25), count=2)] == [13, 14]


def test_sydney_southern_hemisphere() -> None:
    ten = weekly("FREQ=WEEKLY;BYDAY=MO", time(10), "Australia/Sydney")
    # DST ends on 5 April 2026 (AEDT +11 -> AEST +10) and starts on 4 October 2026.
    assert ten.occurrences(utc(2026, 3, 29), count=2) == [utc(2026, 3, 29, 23), utc(2026, 4, 6, 0)]
    assert ten.occurrences(utc(2026, 9, 27), count=2) == [utc(2026, 9, 28, 0), utc(2026, 10, 4, 23)]
    fold = weekly("FREQ=WEEKLY;BYDAY=SU", time(2, 30), "Australia/Sydney")
    assert fold.occurrences(utc(2026, 4, 3)) == [utc(2026, 4, 4, 15, 30)]  # first 02:30, AEDT
    gap = weekly("FREQ=WEEKLY;BYDAY=SU", time(2, 30), "Australia/Sydney")
    got = gap.occurrences(utc(2026, 10, 2))
    assert got == [utc(2026, 10, 3, 16, 30)]
    assert format_local(got[0], "Australia/Sydney") == "Sun 4 Oct 03:30 AEDT"


def test_kolkata_has_no_dst() -> None:
    rec = weekly("FREQ=WEEKLY;BYDAY=MO", time(10), "Asia/Kolkata")
    got = rec.occurrences(utc(2026, 1, 1), count=53)
    assert {(d.hour, d.minute) for d in got} == {(4, 30)}


def test_lord_howe_half_hour_gap() -> None:
    # Lord Howe moves from +10:30 to +11 at 02:00 on the first Sunday of October.
    rec = weekly("FREQ=WEEKLY;BYDAY=SU", time(2, 15), "Australia/Lord_Howe")
    got = rec.occurrences(utc(2026, 10, 2))
    assert got[0].astimezone(ZoneInfo("Australia/Lord_Howe")).time() == time(2, 45)


# --------------------------------------------------------------------------------------------
# post_time and format_local
# --------------------------------------------------------------------------------------------


def test_post_time_is_absolute() -> None:
    start = utc(2026, 3, 29, 1, 30)  # 03:30 CEST, right after the spring gap
    posted = post_time(start, timedelta(hours=1))
    assert posted == utc(2026, 3, 29, 0, 30)
    assert posted.utcoffset() == timedelta(0)
    assert format_local(posted, "Europe/Berlin") == "Sun 29 Mar 01:30 CET"
    local = start.astimezone(ZoneInfo("Europe/Berlin"))
    assert post_time(local, timedelta(minutes=30)) == utc(2026, 3, 29, 1)
    with pytest.raises(ValueError):
        post_time(datetime(2026, 1, 1), timedelta(0))


def test_format_local() -> None:
    assert format_local(utc(2026, 11, 24, 9), "Europe/Berlin") == "Tue 24 Nov 10:00 CET"
    assert format_local(utc(2026, 7, 4, 9), "europe/berlin") == "Sat 4 Jul 11:00 CEST"
    assert format_local(utc(2026, 11, 24, 9), "Asia/Kolkata") == "Tue 24 Nov 14:30 IST"
    with pytest.raises(UnknownZone):
        format_local(utc(2026, 11, 24, 9), "Berlin")


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

PROPERTY_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "America/Sao_Paulo",  # DST used to start at midnight (gap 00:00-01:00)
    "Australia/Lord_Howe",  # 30-minute DST
    "Pacific/Chatham",  # +12:45 / +13:45
    "Asia/Kolkata",  # no DST, +05:30
    "Europe/London",
    "America/St_Johns",  # -03:30 / -02:30
    "Australia/Sydney",
    "Pacific/Apia",  # skipped 30 December 2011 entirely
]
DAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]

instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC))
wall_times = st.times().map(lambda t: t.replace(microsecond=0, fold=0))
# Lean towards the hours where transitions happen.
meeting_times = st.one_of(
    wall_times,
    st.builds(time, st.sampled_from([0, 1, 2, 3, 23]), st.sampled_from([0, 15, 30, 45])),
)


def _instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone_name=st.sampled_from(PROPERTY_ZONES),
    at=meeting_times,
    days=st.sets(st.integers(0, 6), min_size=1),
    after=instants,
    anchor=st.dates(min_value=date(1999, 1, 1), max_value=date(2041, 1, 1)),
    count=st.integers(1, 12),
    skip_offsets=st.sets(st.integers(-2, 40), max_size=6),
)
def test_weekly_occurrences_property(
    zone_name: str,
    at: time,
    days: set[int],
    after: datetime,
    anchor: date,
    count: int,
    skip_offsets: set[int],
) -> None:
    tz = ZoneInfo(zone_name)
    rule = "FREQ=WEEKLY;BYDAY=" + ",".join(DAY_CODES[d] for d in sorted(days))
    rec = Recurrence(rule=rule, at=at, zone=zone_name, anchor=anchor)
    after_local_day = after.astimezone(tz).date()
    skip = frozenset(after_local_day + timedelta(days=o) for o in skip_offsets)

    got = rec.occurrences(after, count=count, skip=skip)

    assert len(got) == count  # the rule never ends
    assert all(d.utcoffset() == timedelta(0) for d in got)
    assert got[0] > after
    assert all(a < b for a, b in itertools.pairwise(got))

    for instant in got:
        local = instant.astimezone(tz).replace(tzinfo=None)
        nominal = [
            day
            for day in (local.date(), local.date() - timedelta(days=1))
            if _instant(day, at, tz) == instant and day.weekday() in days and day not in skip and day >= anchor
        ]
        assert nominal, f"{instant} is not a meeting of {rule} at {at} in {zone_name}"
        wall = datetime.combine(nominal[0], at)
        exists = wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall
        if exists:
            assert local == wall
        else:
            gap = wall.replace(tzinfo=tz, fold=1).utcoffset() - wall.replace(tzinfo=tz, fold=0).utcoffset()  # type: ignore[operator]
            assert timedelta(0) < local - wall <= gap

    # No meeting between `after` and the last result was missed.
    day = max(after_local_day - timedelta(days=2), anchor)
    end = got[-1].astimezone(tz).date() + timedelta(days=1)
    while day <= end:
        if day.weekday() in days and day not in skip:
            instant = _instant(day, at, tz)
            if after < instant <= got[-1]:
                assert instant in got, f"missed {day} ({instant})"
        day += timedelta(days=1)


BRUTE_FORCE_RULES = [
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
    "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,FR;WKST=SU",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU,MO;WKST=TU",
    "FREQ=WEEKLY;INTERVAL=2",
    "FREQ=DAILY;INTERVAL=5",
    "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
    "FREQ=MONTHLY;BYDAY=+1MO",
    "FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR",
    "FREQ=MONTHLY;BYMONTHDAY=31",
    "FREQ=MONTHLY;INTERVAL=2",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYDAY=+2TU",
    "FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO",
    "FREQ=YEARLY;INTERVAL=3;BYWEEKNO=1,52;BYDAY=MO,SU",
    "FREQ=YEARLY",
    "FREQ=YEARLY;BYYEARDAY=-1",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
    "FREQ=WEEKLY;BYDAY=TH;COUNT=20",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;UNTIL=20300101T120000",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rule=st.sampled_from(BRUTE_FORCE_RULES),
    zone_name=st.sampled_from(PROPERTY_ZONES),
    at=meeting_times,
    anchor=st.dates(min_value=date(1995, 1, 1), max_value=date(2035, 12, 31)),
    offset=st.timedeltas(min_value=timedelta(days=-400), max_value=timedelta(days=15 * 366)),
    count=st.integers(1, 4),
)
def test_occurrences_match_brute_force_expansion_from_the_anchor(
    rule: str, zone_name: str, at: time, anchor: date, offset: timedelta, count: int
) -> None:
    """Starting the search near `after` gives exactly what iterating from the anchor gives."""
    tz = ZoneInfo(zone_name)
    after = datetime.combine(anchor, time(12), tzinfo=UTC) + offset
    reference_rule = rule if "WKST" in rule else rule + ";WKST=MO"
    try:
        rec = Recurrence(rule=rule, at=at, zone=zone_name, anchor=anchor)
    except ScheduleError:  # only a rule that has ended before the anchor
        assert rrulestr(reference_rule, dtstart=datetime.combine(anchor, at)).after(datetime.min) is None
        return
    expected: list[datetime] = []
    last = after
    for naive in rrulestr(reference_rule, dtstart=datetime.combine(anchor, at)):
        instant = naive.replace(tzinfo=tz).astimezone(UTC)
        if instant > last:
            expected.append(instant)
            last = instant
        if len(expected) == count or naive.year > after.year + 30:
            break
    assert rec.occurrences(after, count=count) == expected


GRAMMAR_WORDS = [
    "schedule", "weekly", "biweekly", "fortnightly", "every", "2", "13", "0", "weeks", "week", "other",
    "monthly", "daily", "rrule", "1st", "2nd", "last", "first", "fifth", "on", "at", "the", "and", "in",
    "mon", "tue,thu", "Sunday", "fri,", ",", ",,", "10:00", "9:30", "25:00", "10am", "2:30pm", "12 pm",
    "14h", "14h99", "-1:00", "lead", "30m", "1h30m", "90", "min", "8d", "1.5h", "99999999999999999999d",
    "skip", "2026-12-24", "2026-02-30", "2026-12-24,2027-01-01", "0000-00-00", "9999-12-31",
    "Europe/Berlin", "berlin", "new", "york", "UTC", "localtime", "Factory", "../etc",
    "FREQ=WEEKLY;BYDAY=TU", "FREQ=HOURLY", "RRULE:FREQ=MONTHLY;BYDAY=-1FR", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=DAILY;COUNT=0", "FREQ=WEEKLY;UNTIL=20250101", "FREQ=WEEKLY;UNTIL=99991231T235959Z",
    "FREQ=DAILY;INTERVAL=99999", "FREQ=MONTHLY;BYDAY=+9MO", "FREQ=WEEKLY;BYDAY=+1MO", "FREQ=YEARLY;BYWEEKNO=-53",
    "BYSETPOS=0", ";", "=", "DTSTART:20260101T100000", "\n", "\x00", "é", "١٠:٠٠",
]  # fmt: skip

token_soups = st.lists(st.one_of(st.sampled_from(GRAMMAR_WORDS), st.text(max_size=8)), max_size=12).map(" ".join)


def _never_anything_but_schedule_error(text: str, today: date) -> None:
    try:
        spec = parse_schedule(text, default_zone="Europe/Berlin", today=today)
    except ScheduleError as error:
        assert str(error).strip()
    else:
        assert isinstance(spec, ScheduleSpec)
        assert spec.recurrence.describe()
        spec.recurrence.occurrences(datetime.combine(today, time(0), tzinfo=UTC), count=2, skip=spec.skip)


@settings(max_examples=500, deadline=None)
@given(text=st.text(max_size=200))
def test_parse_schedule_only_raises_schedule_error_on_any_text(text: str) -> None:
    _never_anything_but_schedule_error(text, TODAY)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=token_soups, today=st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_parse_schedule_only_raises_schedule_error_on_token_soups(text: str, today: date) -> None:
    _never_anything_but_schedule_error(text, today)


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(st.text(max_size=60), token_soups, st.lists(st.sampled_from(GRAMMAR_WORDS)).map(";".join)))
def test_parse_rrule_only_raises_schedule_error(text: str) -> None:
    try:
        body = parse_rrule(text)
    except ScheduleError as error:
        assert str(error).strip()
    else:
        assert body == body.upper()
        assert parse_rrule(body) == body


def test_valid_schedules_survive_a_round_trip_through_their_rule() -> None:
    spec = schedule("every 3 weeks mon,fri 2:30pm America/St_Johns lead 1h30m")
    again = Recurrence(spec.recurrence.rule, spec.recurrence.at, spec.recurrence.zone, spec.recurrence.anchor)
    assert again == spec.recurrence


@pytest.mark.parametrize("kind", ["biweekly tue", "every 3 weeks tue", "every other week tue"])
def test_a_series_every_few_weeks_starts_on_its_first_meeting_day_unless_told_otherwise(kind: str) -> None:
    friday = date(2026, 12, 4)
    first = parse_schedule(f"{kind} 10:00", default_zone="Europe/Berlin", today=friday)
    assert first.recurrence.occurrences(utc(2026, 12, 4), count=1) == [utc(2026, 12, 8, 9)]
    later = parse_schedule(f"{kind} 10:00 from 2026-12-15 lead 1h", default_zone="Europe/Berlin", today=friday)
    assert later.recurrence.occurrences(utc(2026, 12, 4), count=1) == [utc(2026, 12, 15, 9)]
    assert later.lead == timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("weekly tue 10:00 from 2026-12-01", "has passed"),
        ("weekly tue 10:00 from tomorrow", "couldn't read the date"),
        ("weekly tue 10:00 from", "from which date"),
        ("weekly tue 10:00 from 2026-12-08 from 2026-12-15", "only once"),
    ],
)
def test_a_start_date_must_be_a_readable_date_from_today_on(text: str, problem: str) -> None:
    with pytest.raises(ScheduleError, match=problem):
        parse_schedule(text, default_zone="Europe/Berlin", today=date(2026, 12, 4))
