"""`schedule from …` is read apart from typed rules; feed addresses are shown by host only."""

from __future__ import annotations

import pytest

from bot import commands, grammar
from bot.domain.calendar import mask_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://calendar.google.com/calendar/ical/a%40b/private-123/basic.ics", "https://calendar.google.com/…"),
        ("https://user:pw@outlook.office365.com/owa/calendar/x/y/calendar.ics", "https://outlook.office365.com/…"),
        ("nonsense", "…"),
        ("https://[::1", "…"),
    ],
)
def test_addresses_are_shown_by_host_only(url: str, shown: str) -> None:
    assert mask_url(url) == shown


@pytest.mark.parametrize(
    ("line", "url", "match", "lead"),
    [
        ("schedule from https://c.example.com/a.ics", "https://c.example.com/a.ics", None, None),
        (
            "schedule from <https://c.example.com/a.ics> match Weekly sync",
            "https://c.example.com/a.ics",
            "Weekly sync",
            None,
        ),
        (
            "schedule FROM webcal://c.example.com/a.ics match stand-up lead 1h",
            "webcal://c.example.com/a.ics",
            "stand-up",
            "1h",
        ),
        (
            "schedule from <https://c.example.com/a.ics|c.example.com/a.ics> lead 0",
            "https://c.example.com/a.ics",
            None,
            "0",
        ),
    ],
)
def test_follow_arguments_are_read(line: str, url: str, match: str | None, lead: str | None) -> None:
    command = commands.parse(line)
    assert grammar.is_follow(command.rest)
    assert grammar.follow(command) == grammar.FollowArgs(url, match, lead)


def test_typed_schedules_are_not_mistaken_for_calendars() -> None:
    assert not grammar.is_follow(commands.parse("schedule weekly fri 10:00").rest)
    assert not grammar.is_follow(commands.parse("schedule fromage").rest)
    assert not grammar.is_follow(commands.parse("schedule from 2026-12-10").rest)  # a typed rule's first meeting


def test_help_schedule_shows_how_to_follow_a_calendar_and_keeps_the_typed_usage() -> None:
    shown = commands.help_text("schedule")
    assert shown.splitlines()[0] == "schedule weekly tue 10:00 Europe/Berlin lead 30m"
    assert "schedule from https://" in shown and "match" in shown
