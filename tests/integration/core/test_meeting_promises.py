"""What the bot says about meeting series is what it does: no second ritual, only real meeting days, honest no-ops."""

from __future__ import annotations

import pytest

from adapters.runtime import Runtime
from bot.storage.models import MeetingSeries
from tests.integration.core import ask, count, one, table_counts, text
from tests.support.events import said, submitted

# The FakeClock starts on Monday 23 November 2026, 09:00 UTC.
WEEKLY = "schedule weekly tue 10:00 Europe/Berlin"


@pytest.mark.parametrize(
    "second",
    [
        WEEKLY,
        "schedule weekly TUE 10:00 Europe/Berlin lead 1h",
        "schedule biweekly tue 10:00 Europe/Berlin",
        "schedule weekly tue,thu 10:00 Europe/Berlin",
        "schedule weekly tue 09:00 UTC",  # the same instant, written in another zone
        "schedule monthly last tue 10:00 Europe/Berlin",
    ],
)
async def test_a_second_series_meeting_at_the_same_time_is_refused_and_names_the_first(
    runtime: Runtime, second: str
) -> None:
    await ask(runtime, said(WEEKLY))
    first = await one(runtime, MeetingSeries)
    before = await table_counts(runtime)
    answer = text(await ask(runtime, said(second)))
    assert answer.startswith(f"Meeting #{first.id} already gets a moment at that time"), answer
    assert await table_counts(runtime) == before


@pytest.mark.parametrize(
    "other",
    ["schedule weekly tue 15:00 Europe/Berlin", "schedule weekly wed 10:00 Europe/Berlin", "schedule daily 08:30"],
)
async def test_a_series_at_another_time_is_fine(runtime: Runtime, other: str) -> None:
    await ask(runtime, said(WEEKLY))
    assert text(await ask(runtime, said(other))).startswith("Scheduled:")
    assert await count(runtime, MeetingSeries) == 2


async def test_a_deleted_series_leaves_its_time_free(runtime: Runtime) -> None:
    await ask(runtime, said(WEEKLY))
    first = await one(runtime, MeetingSeries)
    await ask(runtime, said(f"unschedule {first.id}"))
    assert text(await ask(runtime, said(WEEKLY))).startswith("Scheduled:")


@pytest.mark.parametrize(
    ("day", "said_back"),
    [
        ("2026-12-09", "does not meet on 2026-12-09 (Wednesday). The nearest: Tue 8 Dec 10:00 CET or Tue 15 Dec"),
        ("2026-11-20", "2026-11-20 has passed"),
        ("2026-11-17", "2026-11-17 has passed"),
    ],
)
async def test_a_skip_date_must_be_a_meeting_still_ahead(runtime: Runtime, day: str, said_back: str) -> None:
    await ask(runtime, said(WEEKLY))
    series = await one(runtime, MeetingSeries)
    answer = text(await ask(runtime, said(f"skipdate {series.id} {day}")))
    assert said_back in answer, answer
    assert (await one(runtime, MeetingSeries)).skip_dates == []


async def test_skipping_a_meeting_day_twice_says_nothing_changed(runtime: Runtime) -> None:
    await ask(runtime, said(WEEKLY))
    series = await one(runtime, MeetingSeries)
    first = text(await ask(runtime, said(f"skipdate {series.id} 2026-12-08")))
    assert first == f"Meeting #{series.id} will have no moment on 2026-12-08."
    again = text(await ask(runtime, said(f"skipdate {series.id} 2026-12-08")))
    assert again.startswith("Nothing changed")
    assert (await one(runtime, MeetingSeries)).skip_dates == ["2026-12-08"]


async def test_pausing_or_resuming_twice_says_nothing_changed(runtime: Runtime) -> None:
    await ask(runtime, said(WEEKLY))
    series = await one(runtime, MeetingSeries)
    assert text(await ask(runtime, said(f"resume {series.id}"))).startswith("Nothing changed")
    assert text(await ask(runtime, said(f"pause {series.id}"))).startswith(f"Paused meeting #{series.id}.")
    assert text(await ask(runtime, said(f"pause {series.id}"))).startswith("Nothing changed")


async def test_remind_without_a_duration_asks_for_one(runtime: Runtime) -> None:
    await ask(runtime, said(WEEKLY))
    series = await one(runtime, MeetingSeries)
    answer = text(await ask(runtime, said(f"remind {series.id}")))
    assert "How long before" in answer and f"remind {series.id} 1d" in answer
    assert "''" not in answer


async def test_a_series_every_few_weeks_says_when_it_first_meets_and_can_start_later(runtime: Runtime) -> None:
    # Monday 23 November: the first biweekly Tuesday is tomorrow unless the organizer says otherwise.
    assert "The first meeting is Tue 24 Nov 10:00" in text(
        await ask(runtime, said("schedule biweekly tue 10:00 Europe/Berlin"))
    )
    assert "The first meeting is Thu 3 Dec 10:00" in text(
        await ask(runtime, said("schedule biweekly thu 10:00 Europe/Berlin from 2026-12-01"))
    )


async def test_the_schedule_form_says_from_when_a_series_starts(runtime: Runtime) -> None:
    values = {"repeat": "biweekly", "day": "tue", "time": "10:00", "zone": "Europe/Berlin", "starts": "2026-12-01"}
    answer = text(await ask(runtime, submitted("schedule", values)))
    assert "The first meeting is Tue 1 Dec 10:00" in answer, answer
    (reply,) = await ask(runtime, submitted("schedule", {**values, "day": "wed", "starts": "2026-11-01"}))
    assert "has passed" in reply.text
    assert await count(runtime, MeetingSeries) == 1


async def test_the_schedule_form_asks_for_the_day_of_a_typed_schedule(runtime: Runtime) -> None:
    (reply,) = await ask(runtime, submitted("schedule", {"repeat": "weekly", "time": "10:00", "zone": "Europe/Berlin"}))
    assert reply.errors == {"day": "Pick the day of the week the meeting is on."}
    assert await count(runtime, MeetingSeries) == 0
