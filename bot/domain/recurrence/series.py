"""The :class:`Recurrence` value: describing a meeting series and computing its next starts.

The rule is expanded **naive**, in wall-clock time, with ``dateutil.rrule``; the zone is attached
afterwards. Two explicit decisions about local times that are not one-to-one:

* spring-forward gap (the wall time does not exist): the meeting moves forward by the length of
  the gap, e.g. 02:30 becomes 03:30 on the night Europe/Berlin switches to CEST;
* autumn fold (the wall time happens twice): the first one (``fold=0``), e.g. 02:30 CEST.

Both are exactly what :class:`zoneinfo.ZoneInfo` does for ``fold=0``, so an occurrence is
``naive.replace(tzinfo=zone)`` converted to UTC. Also the small time helpers callers need
(:func:`post_time`, :func:`format_local`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule

from .errors import ScheduleError, _join
from .expansion import _expander, _first_within, _local_until, _period_start
from .rules import _parse_rule_body, _rule_error
from .zones import _canonical_zone

__all__ = ["Recurrence", "format_local", "post_time"]

_SEARCH_MARGIN: Final = timedelta(days=2)  # > any UTC-offset change, so no start is missed

_DAY_NAMES: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_ABBR: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ORDINALS: Final = {
    1: "first",
    2: "second",
    3: "third",
    4: "fourth",
    5: "fifth",
    -1: "last",
    -2: "second-to-last",
}


def _clock(at: time) -> str:
    return f"{at:%H:%M:%S}" if at.second else f"{at:%H:%M}"


def _days_phrase(days: Iterable[int]) -> str:
    ordered = sorted(set(days))
    if ordered == [0, 1, 2, 3, 4]:
        return "weekday"
    return _join((_DAY_NAMES[d] for d in ordered), "and")


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A recurring meeting: RRULE body, local wall-clock time, IANA zone and anchor date.

    Construction validates and normalises: ``rule`` becomes the upper-case normalised body,
    ``zone`` the canonical IANA spelling; a bad value raises :class:`ScheduleError`.
    """

    rule: str  # RFC 5545 RRULE body without "RRULE:" and without DTSTART
    at: time  # local wall-clock time of the meeting
    zone: str  # IANA name, canonical spelling
    anchor: date  # local first day the rule counts from (matters for INTERVAL > 1)

    def __post_init__(self) -> None:
        if not isinstance(self.at, time):
            raise ScheduleError("The meeting time must be a time of day, e.g. 10:00.")
        if self.at.tzinfo is not None:
            raise ScheduleError("The meeting time must be a local wall-clock time, without a time zone.")
        if not isinstance(self.anchor, date):
            raise ScheduleError("The first day of the series must be a date.")
        if isinstance(self.anchor, datetime):
            object.__setattr__(self, "anchor", self.anchor.date())
        object.__setattr__(self, "at", self.at.replace(microsecond=0, fold=0))
        object.__setattr__(self, "zone", _canonical_zone(self.zone))
        parsed = _parse_rule_body(self.rule)
        object.__setattr__(self, "rule", parsed.body)
        if _first_within(parsed, self.anchor, self.at, ZoneInfo(self.zone)) is None:
            raise _rule_error(
                f"That rule never produces a meeting from {self.anchor.isoformat()} on;"
                " check its BY… parts, UNTIL and COUNT."
            )

    def describe(self) -> str:
        """A short English description, e.g. "every Tuesday at 10:00 (Europe/Berlin)"."""
        rule = _parse_rule_body(self.rule)
        when = f"at {_clock(self.at)} ({self.zone})"
        shape = rule.names - {"FREQ", "INTERVAL", "WKST"}
        n = rule.interval
        plain = [d for d, nth in rule.byday if nth is None]
        if shape <= {"BYDAY"} and len(plain) == len(rule.byday):
            if rule.freq == WEEKLY:
                days = _days_phrase(plain or [self.anchor.weekday()])
                return f"every {days} {when}" if n == 1 else f"every {n} weeks on {days} {when}"
            if rule.freq == DAILY and not plain:
                return f"every day {when}" if n == 1 else f"every {n} days {when}"
            if rule.freq == DAILY and n == 1:
                return f"every {_days_phrase(plain)} {when}"
        if rule.freq == MONTHLY and shape == {"BYDAY"} and len(rule.byday) == 1:
            day, nth = rule.byday[0]
            if nth in _ORDINALS:
                months = "every month" if n == 1 else f"every {n} months"
                return f"on the {_ORDINALS[nth]} {_DAY_NAMES[day]} of {months} {when}"
        return f"RRULE {self.rule} {when}"

    def occurrences(self, after: datetime, *, count: int = 1, skip: frozenset[date] = frozenset()) -> list[datetime]:
        """The next ``count`` meeting starts strictly after the aware instant ``after``, in UTC.

        Local dates in ``skip`` are left out (the rule's own date, before any gap shift). Fewer
        than ``count`` results when the rule ends (UNTIL / COUNT). Starts in a spring-forward gap
        move forward by the gap; starts in an autumn fold are the first of the two.
        """
        if after.tzinfo is None or after.utcoffset() is None:
            raise ValueError("after must be a timezone-aware datetime")
        if count < 0:
            raise ValueError("count must not be negative")
        if count == 0:
            return []
        tz = ZoneInfo(self.zone)
        rule = _parse_rule_body(self.rule)
        late = after.year > 5000  # only the ends of the calendar can overflow below
        try:
            last = after.astimezone(UTC)
        except OverflowError:
            if late:
                return []
            last = datetime.min.replace(tzinfo=UTC)
        try:
            search_from = last.astimezone(tz).replace(tzinfo=None) - _SEARCH_MARGIN
        except OverflowError:
            if late:
                return []
            search_from = datetime.min
        try:
            start = _period_start(rule, self.anchor, search_from.date())
        except (OverflowError, ValueError):
            start = self.anchor
        expander = _expander(
            rule,
            dtstart=datetime.combine(start, self.at),
            anchor=self.anchor,
            until=_local_until(rule, tz),
            count=rule.count,
        )
        found: list[datetime] = []
        for naive in _naive_after(expander, search_from):
            if naive.date() in skip:
                continue
            try:
                instant = naive.replace(tzinfo=tz).astimezone(UTC)
            except OverflowError:
                break
            if instant <= last:  # before `after`, or two rule dates landing on one instant
                continue
            found.append(instant)
            last = instant
            if len(found) == count:
                break
        return found


def _naive_after(expander: rrule, start: datetime) -> Iterator[datetime]:
    try:
        yield from expander.xafter(start, inc=True)
    except (ValueError, OverflowError):  # ran off the end of the calendar
        return


# --------------------------------------------------------------------------------------------
# Small helpers for callers
# --------------------------------------------------------------------------------------------


def post_time(start: datetime, lead: timedelta) -> datetime:
    """When to post the moment: the absolute instant ``lead`` before ``start``, in UTC."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be a timezone-aware datetime")
    return start.astimezone(UTC) - lead


def format_local(instant: datetime, zone: str) -> str:
    """``instant`` as local time in ``zone`` for people, e.g. "Tue 24 Nov 10:00 CET"."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must be a timezone-aware datetime")
    local = instant.astimezone(ZoneInfo(_canonical_zone(zone)))
    weekday_name = _DAY_NAMES[local.weekday()][:3]
    month = _MONTH_ABBR[local.month - 1]
    return f"{weekday_name} {local.day} {month} {local:%H:%M} {local.tzname() or ''}".rstrip()
