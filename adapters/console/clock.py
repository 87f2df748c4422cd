"""The console's clock: the real time, or a simulated one that a demo or a script moves forward by hand.

``--now "2026-12-07 08:00 Europe/Berlin"`` (or an ISO instant) starts a simulated clock; ``wait 1d 2h`` moves
it. The core and the scheduler both read the time from the one :class:`ConsoleClock`, so that what a
command sees and what the scheduler does agree.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

NOW_EXAMPLE = '"2026-12-07 08:00 Europe/Berlin" or an ISO instant such as 2026-12-07T07:00Z'
DURATION_EXAMPLE = "`wait 30m`, `wait 2h`, `wait 1w` or `wait 1d 2h`"
LONGEST_WAIT = timedelta(days=366)

_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_PART = re.compile(r"(\d{1,6})\s*([mhdw])")


class ClockError(ValueError):
    """A time or a duration that could not be read; the message says what would be."""


class ConsoleClock:
    """Callable like the core's clock (aware UTC). Real unless started at a given instant."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start.astimezone(UTC) if start is not None else None

    @property
    def simulated(self) -> bool:
        return self._now is not None

    def __call__(self) -> datetime:
        return self._now if self._now is not None else datetime.now(UTC)

    def move_to(self, instant: datetime) -> None:
        """Set the simulated time; it never goes back."""
        if self._now is None:
            raise RuntimeError("the real clock cannot be moved")
        self._now = max(self._now, instant.astimezone(UTC))


def parse_now(text: str, *, zone: str) -> datetime:
    """An instant from ``--now``: a date and time with an optional IANA zone (``zone`` when none is named,
    as for an ISO time without an offset), or an ISO 8601 instant."""
    raw = " ".join(text.split())
    if not raw:
        raise ClockError(f"--now needs a time, e.g. {NOW_EXAMPLE}")
    named = zone
    head, _, last = raw.rpartition(" ")
    if head and not last[:1].isdigit():  # "2026-12-07 08:00 Europe/Berlin": the last word is the zone
        raw, named = head, last
    try:
        local = ZoneInfo(named)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ClockError(f"--now: unknown time zone {named!r}; use an IANA name like Europe/Berlin") from exc
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ClockError(f"--now: could not read {text.strip()!r} as a time; use e.g. {NOW_EXAMPLE}") from exc
    if parsed.tzinfo is not None and named is not zone:
        raise ClockError("--now: give either a UTC offset or a time zone name, not both")
    try:
        return (parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=local)).astimezone(UTC)
    except OverflowError as exc:  # the first or last moments a datetime can hold
        raise ClockError(f"--now: {text.strip()!r} is too far from today; use e.g. {NOW_EXAMPLE}") from exc


def parse_duration(text: str) -> timedelta:
    """``30m``, ``2h``, ``1w``, ``1d 2h``: minutes, hours, days and weeks, added up."""
    raw = text.strip().lower()
    total = timedelta()
    position = 0
    for match in _PART.finditer(raw):
        if raw[position : match.start()].strip():
            break
        total += timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        position = match.end()
    if not raw or raw[position:].strip() or position == 0:
        raise ClockError(f"How long should I wait? Try {DURATION_EXAMPLE}.")
    if total <= timedelta():
        raise ClockError("Waiting takes some time: give a duration longer than zero.")
    if total > LONGEST_WAIT:
        raise ClockError("That is a long wait: one go is at most a year; wait again for more.")
    return total


def shown(instant: datetime, zone: str) -> str:
    """How the console writes a time: ``Mon 7 Dec 2026 08:00 Europe/Berlin``."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y %H:%M} {zone}"
