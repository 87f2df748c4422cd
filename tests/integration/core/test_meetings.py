"""Meeting series: scheduling by text or form, zones, pause/resume/unschedule, skipped dates, DST."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adapters.runtime import Runtime
from bot.storage.models import MeetingSeries, Team
from tests.integration.core import ask, count, one, rows, table_counts, text
from tests.support.clock import FakeClock
from tests.support.events import said, submitted

# The FakeClock starts on Monday 23 November 2026, 09:00 UTC.
BERLIN_WEEKLY = "schedule weekly tue 10:00 Europe/Berlin lead 30m"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def series(runtime: Runtime) -> MeetingSeries:
    return await one(runtime, MeetingSeries)


async def test_weekly_schedule_is_stored_with_its_next_meeting_and_post_time(runtime: Runtime) -> None:
    (reply,) = await ask(runtime, said(BERLIN_WEEKLY))
    assert reply.text == (
        "Scheduled: every Tuesday at 10:00 (Europe/Berlin). The first meeting is Tue 24 Nov 10:00 CET;"
        " I'll post the moment 30 min before."
    )
    assert reply.card is not None and reply.card.title.startswith("Meeting #")
    assert reply.card.sections[0].text.splitlines()[0] == "Tue 24 Nov 10:00 CET"
    row = await series(runtime)
    assert (row.rule, row.at, row.zone, row.lead_minutes, row.state) == (
        "FREQ=WEEKLY;BYDAY=TU",
        "10:00",
        "Europe/Berlin",
        30,
        "active",
    )
    assert (row.next_start_at, row.next_post_at) == (utc(2026, 11, 24, 9), utc(2026, 11, 24, 8, 30))
    assert (await one(runtime, Team)).zone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("command", "described", "next_start", "lead"),
    [
        (
            "schedule biweekly mon 09:30 America/New_York",
            "every 2 weeks on Monday at 09:30 (America/New_York)",
            utc(2026, 11, 23, 14, 30),
            30,
        ),
        (
            "schedule monthly last fri 16:00 Asia/Kolkata lead 1h",
            "on the last Friday of every month at 16:00 (Asia/Kolkata)",
            utc(2026, 11, 27, 10, 30),
            60,
        ),
        (
            "schedule daily 08:45 europe/london lead 0",
            "every weekday at 08:45 (Europe/London)",
            utc(2026, 11, 24, 8, 45),
            0,
        ),
        (
            "schedule rrule FREQ=WEEKLY;BYDAY=WE,FR 2pm Australia/Sydney lead 2h",
            "every Wednesday and Friday at 14:00 (Australia/Sydney)",
            utc(2026, 11, 25, 3),
            120,
        ),
    ],
)
async def test_schedule_text_forms(
    runtime: Runtime, command: str, described: str, next_start: datetime, lead: int
) -> None:
    (reply,) = await ask(runtime, said(command))
    assert reply.text.startswith(f"Scheduled: {described}.")
    row = await series(runtime)
    assert row.next_start_at == next_start
    assert row.next_post_at == next_start - timedelta(minutes=lead)


async def test_schedule_form_is_offered_and_read(runtime: Runtime) -> None:
    (reply,) = await ask(runtime, said("schedule"))
    assert reply.form is not None and reply.form.form_id == "schedule"
    values = {"repeat": "monthly", "week": "2nd", "day": "thu", "time": "14:00", "zone": "Europe/Paris", "lead": "1d"}
    (reply,) = await ask(runtime, submitted("schedule", values))
    assert reply.text.startswith("Scheduled: on the second Thursday of every month at 14:00 (Europe/Paris).")
    row = await series(runtime)
    assert (row.next_start_at, row.lead_minutes) == (utc(2026, 12, 10, 13), 24 * 60)


async def test_unknown_zone_suggests_the_likely_one_and_saves_nothing(runtime: Runtime) -> None:
    await ask(runtime, said("help"))
    before = await table_counts(runtime)
    replies = await ask(runtime, said("schedule weekly tue 10:00 Europe/Berln"))
    assert text(replies) == "I don't know the time zone 'Europe/Berln'. Did you mean Europe/Berlin?"
    values = {"repeat": "weekly", "day": "tue", "time": "10:00", "zone": "Amerika/New_York"}
    (reply,) = await ask(runtime, submitted("schedule", values))
    assert "Did you mean America/New_York?" in reply.errors["zone"]
    assert await table_counts(runtime) == before


@pytest.mark.parametrize(
    ("command", "apart"),
    [
        ("schedule daily 08:00 Europe/Berlin lead 1d", "24 h"),
        ("schedule daily 08:00 Europe/Berlin lead 2d", "24 h"),
        ("schedule weekly mon,wed 10:00 Europe/Berlin lead 2d", "48 h"),
        ("schedule weekly mon,thu 10:00 Europe/Berlin lead 3d 1h", "72 h"),
    ],
)
async def test_a_lead_as_long_as_the_time_between_meetings_is_refused_and_saves_nothing(
    runtime: Runtime, command: str, apart: str
) -> None:
    """Posted that early, a meeting's card would go out before the meeting ahead of it."""
    await ask(runtime, said("help"))
    before = await table_counts(runtime)
    reply = text(await ask(runtime, said(command)))
    assert reply.startswith(f"These meetings can be {apart} apart, so a moment posted ")
    assert reply.endswith(f"Choose a lead under {apart}, e.g. `lead 30m`.")
    assert await table_counts(runtime) == before


async def test_a_lead_shorter_than_the_time_between_meetings_is_kept(runtime: Runtime) -> None:
    await ask(runtime, said("schedule weekly mon,thu 10:00 Europe/Berlin lead 2d"))
    assert (await series(runtime)).lead_minutes == 2 * 24 * 60


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("schedule sometimes", "I couldn't read 'sometimes'"),
        ("schedule weekly 10:00 Europe/Berlin", "weekly"),
        ("schedule weekly tue 25:00", "25:00"),
        ("schedule weekly tue 10:00 Europe/Berlin lead 9d", "lead time"),
    ],
)
async def test_unreadable_schedule_says_what_was_wrong_and_saves_nothing(
    runtime: Runtime, command: str, problem: str
) -> None:
    await ask(runtime, said("help"))
    before = await table_counts(runtime)
    reply = text(await ask(runtime, said(command)))
    assert problem in reply
    assert await table_counts(runtime) == before


async def test_meetings_lists_the_channels_series(runtime: Runtime) -> None:
    assert text(await ask(runtime, said("meetings"))).startswith("No meetings scheduled here yet.")
    await ask(runtime, said(BERLIN_WEEKLY))
    await ask(runtime, said("schedule weekly fri 15:00"))
    replies = await ask(runtime, said("meetings", actor="bob"))
    assert [r.card.title for r in replies if r.card] == [f"Meeting #{s.id}" for s in await rows(runtime, MeetingSeries)]
    assert "Friday at 15:00 (Europe/Berlin)" in text(replies)  # the channel took the first series' zone
    assert text(await ask(runtime, said("meetings", channel="sales"))).startswith("No meetings scheduled here yet.")


async def test_pause_resume_and_unschedule(runtime: Runtime, clock: FakeClock) -> None:
    await ask(runtime, said(BERLIN_WEEKLY))
    number = (await series(runtime)).id
    assert text(await ask(runtime, said(f"pause {number}"))).startswith(f"Paused meeting #{number}. ")
    assert (await series(runtime)).state == "paused"
    assert "Status: paused" in text(await ask(runtime, said("meetings")))
    clock.advance(timedelta(days=10))  # Thursday 3 December
    assert text(await ask(runtime, said(f"unpause #{number}"))).startswith(f"Resumed meeting #{number}. ")
    row = await series(runtime)
    assert (row.state, row.next_start_at) == ("active", utc(2026, 12, 8, 9))
    assert text(await ask(runtime, said(f"unschedule {number}"))) == f"Deleted meeting #{number}."
    assert (await series(runtime)).state == "deleted"
    assert text(await ask(runtime, said("meetings"))).startswith("No meetings scheduled here yet.")
    assert "There is no meeting" in text(await ask(runtime, said(f"resume {number}")))


async def test_unknown_meeting_number_is_refused(runtime: Runtime) -> None:
    reply = text(await ask(runtime, said("pause 42")))
    assert reply == "There is no meeting #42 in this channel. `meetings` lists them."


async def test_skipdate_moves_the_next_meeting(runtime: Runtime) -> None:
    await ask(runtime, said(BERLIN_WEEKLY))
    number = (await series(runtime)).id
    reply = text(await ask(runtime, said(f"skipdate {number} 2026-11-24")))
    assert reply == f"Meeting #{number} will have no moment on 2026-11-24."
    row = await series(runtime)
    assert (row.skip_dates, row.next_start_at) == (["2026-11-24"], utc(2026, 12, 1, 9))
    reply = text(await ask(runtime, said(f"skipdate {number} Christmas")))
    assert reply.startswith("I couldn't read the date 'Christmas'.")
    assert (await series(runtime)).skip_dates == ["2026-11-24"]


async def test_next_meeting_keeps_local_time_across_spring_forward(runtime: Runtime, clock: FakeClock) -> None:
    clock.now = utc(2026, 3, 23, 12)  # Monday; Berlin moves to CEST on Sunday 29 March
    (reply,) = await ask(runtime, said(BERLIN_WEEKLY))
    assert reply.card is not None
    assert reply.card.sections[0].text.splitlines()[:2] == ["Tue 24 Mar 10:00 CET", "Tue 31 Mar 10:00 CEST"]
    assert (await series(runtime)).next_start_at == utc(2026, 3, 24, 9)
    number = (await series(runtime)).id
    await ask(runtime, said(f"pause {number}"))
    clock.advance(timedelta(days=2))
    await ask(runtime, said(f"resume {number}"))
    row = await series(runtime)
    assert (row.next_start_at, row.next_post_at) == (utc(2026, 3, 31, 8), utc(2026, 3, 31, 7, 30))


async def test_next_meeting_keeps_local_time_across_fall_back(runtime: Runtime, clock: FakeClock) -> None:
    clock.now = utc(2026, 10, 21, 12)  # Wednesday; Berlin returns to CET on Sunday 25 October
    await ask(runtime, said(BERLIN_WEEKLY))
    assert (await series(runtime)).next_start_at == utc(2026, 10, 27, 9)


async def test_timezone_command_sets_the_channels_zone(runtime: Runtime) -> None:
    assert text(await ask(runtime, said("tz asia/kolkata"))) == "This channel's time zone is now Asia/Kolkata."
    assert (await one(runtime, Team)).zone == "Asia/Kolkata"
    await ask(runtime, said("schedule weekly tue 10:00"))
    assert (await series(runtime)).zone == "Asia/Kolkata"
    assert "Did you mean" in text(await ask(runtime, said("timezone Asia/Kolkatta")))
    shown = text(await ask(runtime, said("timezone", actor="bob")))
    assert shown == "This channel's time zone is Asia/Kolkata. Managers change it with `timezone Area/City`."
    assert (await one(runtime, Team)).zone == "Asia/Kolkata"


async def test_reminder_before_the_post(runtime: Runtime) -> None:
    await ask(runtime, said(BERLIN_WEEKLY))
    number = (await series(runtime)).id
    reply = text(await ask(runtime, said(f"remind {number} 1d")))
    assert reply == f"I'll DM the organizer of meeting #{number} 24 h before the moment is posted."
    row = await series(runtime)
    assert (row.remind_minutes, row.next_prepare_at) == (24 * 60, utc(2026, 11, 23, 8, 30))
    assert text(await ask(runtime, said(f"remind {number} off"))) == f"No more reminders for meeting #{number}."
    assert (await series(runtime)).remind_minutes == 0


async def test_schedule_in_a_direct_message_is_refused(runtime: Runtime) -> None:
    reply = text(await ask(runtime, said(BERLIN_WEEKLY, channel=None)))
    assert reply == "Run this in your team's channel: each channel has its own stories, shout-outs, meetings and stats."
    assert await count(runtime, MeetingSeries) == 0


async def test_remind_and_timezone_say_nothing_changed_when_nothing_did(runtime: Runtime) -> None:
    await ask(runtime, said("schedule weekly tue 10:00 Europe/Berlin"))
    series = await one(runtime, MeetingSeries)
    assert text(await ask(runtime, said(f"remind {series.id} off"))).startswith(
        f"Nothing changed: meeting #{series.id} has no reminders."
    )
    assert text(await ask(runtime, said(f"remind {series.id} 1d"))).startswith("I'll DM the organizer")
    for same in ("1d", "24h", "1440m"):
        assert text(await ask(runtime, said(f"remind {series.id} {same}"))).startswith("Nothing changed: I already DM")
    assert text(await ask(runtime, said(f"remind {series.id} 2h"))).startswith("I'll DM the organizer")
    assert (await one(runtime, MeetingSeries)).remind_minutes == 120
    assert text(await ask(runtime, said(f"remind {series.id} off"))) == f"No more reminders for meeting #{series.id}."

    assert text(await ask(runtime, said("timezone europe/berlin"))) == (
        "Nothing changed: this channel's time zone is already Europe/Berlin."
    )
    assert text(await ask(runtime, said("timezone America/New_York"))) == (
        "This channel's time zone is now America/New_York."
    )


async def test_utc_chosen_on_purpose_is_kept_for_schedules_typed_without_a_zone(runtime: Runtime) -> None:
    berlin = said("help", actor="alice")
    assert text(await ask(runtime, said("timezone"))).startswith("This channel has no time zone set yet")
    assert text(await ask(runtime, said("timezone UTC"))) == "This channel's time zone is now UTC."
    assert (
        text(await ask(runtime, said("timezone Etc/UTC")))
        == "Nothing changed: this channel's time zone is already UTC."
    )
    assert text(await ask(runtime, said("timezone"))).startswith("This channel's time zone is UTC.")
    located = replace(berlin, text="schedule weekly tue 10:00", actor=replace(berlin.actor, zone="Europe/Berlin"))
    reply = text(await ask(runtime, located))
    assert "Europe/Berlin" not in reply  # the channel's chosen UTC, not the person's zone
    assert (await one(runtime, Team)).zone == "Etc/UTC"
