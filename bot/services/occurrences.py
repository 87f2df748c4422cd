"""When a meeting series meets: its next meetings, from its rule or from its followed calendar, its skipped
dates left out; and moving the series on to its next meeting."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.domain import calendar, recurrence
from bot.storage.models import MeetingSeries


def recurrence_of(series: MeetingSeries) -> recurrence.Recurrence:
    return recurrence.Recurrence(
        rule=series.rule, at=time.fromisoformat(series.at), zone=series.zone, anchor=date.fromisoformat(series.anchor)
    )


def skip_dates(series: MeetingSeries) -> frozenset[date]:
    return frozenset(date.fromisoformat(d) for d in series.skip_dates)


def next_starts(series: MeetingSeries, after: datetime, count: int, *, skipping: bool = True) -> list[datetime]:
    """The series' next ``count`` meeting starts after ``after``: from its rule, or from its calendar.

    A calendar series knows its meetings only as far ahead as it last read them. With ``skipping`` off,
    the meetings on its skip dates are counted too.
    """
    skip = skip_dates(series) if skipping else frozenset()
    if series.feed_occurrences is not None:
        days = {d.isoformat() for d in skip}
        found = calendar.decode(series.feed_occurrences)
        starts = [o.start for o in found if o.start > after and _local_day(o.start, o.zone) not in days]
        return starts[:count]
    return recurrence_of(series).occurrences(after, count=count, skip=skip)


def _local_day(instant: datetime, zone: str) -> str:
    return instant.astimezone(recurrence.zone(zone)).date().isoformat()


def post_at(series: MeetingSeries, starts_at: datetime) -> datetime:
    """When the card of the series' meeting at ``starts_at`` goes to the channel."""
    return starts_at - timedelta(minutes=series.lead_minutes)


def prepare_at(series: MeetingSeries, starts_at: datetime) -> datetime:
    """When the scheduler prepares the series' meeting at ``starts_at``: picks its moment and reminds the
    organizer (the reminder's lead before its card goes out)."""
    return post_at(series, starts_at) - timedelta(minutes=series.remind_minutes or 0)


def advance(series: MeetingSeries, after: datetime) -> None:
    """Set the series' next meeting start (and post time) to the first occurrence after ``after``."""
    upcoming = next_starts(series, after, 1)
    if not upcoming:
        series.next_start_at = series.next_post_at = series.next_prepare_at = None
        return
    series.next_start_at = upcoming[0]
    series.next_post_at = post_at(series, upcoming[0])
    series.next_prepare_at = prepare_at(series, upcoming[0])
