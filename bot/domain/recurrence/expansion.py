"""Expanding a validated RRULE in naive wall-clock time with ``dateutil.rrule``.

The expander makes explicit everything dateutil would derive from ``DTSTART``, so a search can
start at a later period instead of at the anchor; :func:`_first_within` answers "does this rule
ever produce a meeting?", which :func:`parse_rrule` (the public RRULE validator) also asks.
Attaching the time zone to the naive results is ``series``' job.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, weekday

from .rules import _parse_rule_body, _Rule, _rule_error

__all__ = ["parse_rrule"]

_EXISTENCE_YEARS: Final = 100  # a rule with no meeting within this many years "never happens"


def _local_until(rule: _Rule, tz: ZoneInfo) -> datetime | None:
    """UNTIL as a naive local wall time (a date-only UNTIL includes that whole day)."""
    if rule.until is None:
        return None
    if rule.until_date_only:
        return datetime.combine(rule.until.date(), time(23, 59, 59))
    if rule.until_utc:
        try:
            return rule.until.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
        except OverflowError:
            return rule.until
    return rule.until


def _expander(
    rule: _Rule,
    *,
    dtstart: datetime,
    anchor: date,
    until: datetime | None,
    count: int | None,
) -> rrule:
    """A naive dateutil rrule whose occurrences on or after ``dtstart`` equal the series' ones.

    Everything dateutil would otherwise derive from ``dtstart`` (the default day, WKST) is made
    explicit from the anchor, so ``dtstart`` may be moved forward by whole periods.
    """
    bymonth: tuple[int, ...] | None = rule.bymonth or None
    bymonthday: tuple[int, ...] | None = rule.bymonthday or None
    byweekday: list[weekday] | None = [weekday(d, n) for d, n in rule.byday] or None
    if not (rule.byweekno or rule.byyearday or rule.bymonthday or rule.byday):
        if rule.freq == YEARLY:
            bymonth = bymonth or (anchor.month,)
            bymonthday = (anchor.day,)
        elif rule.freq == MONTHLY:
            bymonthday = (anchor.day,)
        elif rule.freq == WEEKLY:
            byweekday = [weekday(anchor.weekday())]
    return rrule(
        rule.freq,
        dtstart=dtstart,
        interval=rule.interval,
        wkst=rule.wkst,
        count=count,
        until=until,
        bysetpos=rule.bysetpos or None,
        bymonth=bymonth,
        bymonthday=bymonthday,
        byyearday=rule.byyearday or None,
        byweekno=rule.byweekno or None,
        byweekday=byweekday,
    )


def _period_start(rule: _Rule, anchor: date, target: date) -> date:
    """The latest date <= ``target`` from which the rule runs exactly as it does from ``anchor``.

    That is the start of a period (day, week by WKST, month, year) that is a whole number of
    INTERVALs after the anchor's period, or the anchor itself. With COUNT the start cannot move.
    """
    if target <= anchor or rule.count is not None:
        return anchor
    n = rule.interval
    if rule.freq == DAILY:
        return anchor + timedelta(days=(target - anchor).days // n * n)
    if rule.freq == WEEKLY:
        week = anchor - timedelta(days=(anchor.weekday() - rule.wkst) % 7)
        start = week + timedelta(weeks=(target - week).days // 7 // n * n)
    elif rule.freq == MONTHLY:
        first = anchor.year * 12 + anchor.month - 1
        month = first + (target.year * 12 + target.month - 1 - first) // n * n
        start = date(month // 12, month % 12 + 1, 1)
    else:
        start = date(anchor.year + (target.year - anchor.year) // n * n, 1, 1)
    return start if start > anchor else anchor


def _first_within(rule: _Rule, anchor: date, at: time, tz: ZoneInfo) -> datetime | None:
    """The first naive occurrence from ``anchor`` within _EXISTENCE_YEARS, or None.

    dateutil only stops at UNTIL when it produces a later occurrence; a rule that never matches
    runs on to the year 9999 (seconds for FREQ=DAILY). The Gregorian calendar repeats exactly
    every 400 years, so the check runs on the same window moved by whole 400-year cycles as close
    to 9999 as it goes, where the end of the calendar comes quickly.
    """
    end_year = min(anchor.year + _EXISTENCE_YEARS, 9999)
    shift = (9999 - end_year) // 400 * 400
    horizon = datetime(end_year + shift, 12, 31, 23, 59, 59)
    until = _local_until(rule, tz)
    if until is not None:
        until = min(horizon, until.replace(year=until.year + shift)) if until.year + shift <= 9999 else horizon
    moved = anchor.replace(year=anchor.year + shift)
    expander = _expander(rule, dtstart=datetime.combine(moved, at), anchor=moved, until=until or horizon, count=None)
    try:
        first = next(iter(expander), None)
    except (ValueError, OverflowError):
        return None
    return None if first is None else first.replace(year=first.year - shift)


def parse_rrule(text: str, *, anchor: date | None = None) -> str:
    """Validate an RFC 5545 RRULE body and return it normalised ("FREQ=WEEKLY;BYDAY=TU").

    Accepts the body with or without a leading "RRULE:", in any case. Rejects DTSTART, rules finer
    than DAILY, BYHOUR/BYMINUTE/BYSECOND (the meeting time is given separately) and rules with no
    meeting within 100 years from ``anchor`` (without one: from 1970-01-01, ignoring INTERVAL).
    Raises :class:`ScheduleError`.
    """
    rule = _parse_rule_body(text)
    start = anchor if anchor is not None else date(1970, 1, 1)
    # Without an anchor the phase of INTERVAL is unknown: only ask whether the days can happen.
    probe = rule if anchor is not None else dataclasses.replace(rule, interval=1)
    if _first_within(probe, start, time(0, 0), ZoneInfo("UTC")) is None:
        since = f" from {start.isoformat()} on" if anchor is not None else ""
        raise _rule_error(f"That rule never produces a meeting{since}; check its BY… parts, UNTIL and COUNT.")
    return rule.body
