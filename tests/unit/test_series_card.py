"""A series' card in `meetings` presents its meetings as coming only while the series gets moments."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.lifecycle import SeriesState
from bot.services.meetings import describe
from bot.storage.models import MeetingSeries

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


def series(state: SeriesState) -> MeetingSeries:
    return MeetingSeries(
        id=3,
        rule="FREQ=WEEKLY;BYDAY=FR",
        at="10:00",
        zone="Europe/Berlin",
        anchor="2026-11-23",
        lead_minutes=30,
        remind_minutes=0,
        skip_dates=[],
        feed_occurrences=None,
        state=state,
    )


def next_meetings(state: SeriesState) -> str:
    (section,) = [s for s in describe(series(state), NOW).sections if s.heading == "Next meetings"]
    return section.text


def test_an_active_series_lists_its_next_meetings() -> None:
    assert next_meetings(SeriesState.ACTIVE).splitlines() == [
        "Fri 27 Nov 10:00 CET",
        "Fri 4 Dec 10:00 CET",
        "Fri 11 Dec 10:00 CET",
    ]


def test_a_paused_series_lists_no_meeting_as_coming_and_says_how_to_resume() -> None:
    shown = next_meetings(SeriesState.PAUSED)
    assert shown == "None while paused: `resume 3` brings its moments back."
    assert "Fri" not in shown
