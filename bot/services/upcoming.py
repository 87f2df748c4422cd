"""A channel's next meeting: the earliest one that has not started and can still take a moment, prepared or not.

A meeting series' occurrence gets its agenda item when the scheduler prepares it (a little before its card
is posted). Before that, the next meeting is only the series' next start. People still want to see and steer
it, so this module finds the next meeting either way and, when someone acts on an occurrence not yet
prepared, creates its agenda item early — exactly once per occurrence, like the scheduler: agenda items are
unique per series and start time, and the scheduler leaves an item that exists alone (it still sends the
organizer's reminder when it prepares that occurrence).

An item created early can end before the scheduler reaches its occurrence (its moment skipped ahead of time):
the series still has that occurrence next for the scheduler, but the meeting that can still take a moment is
the first one after it with no item yet (:class:`Unprepared`), which is what `queue`, `swap`, `skip` and
`request` act on and talk about.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import recurrence
from bot.domain.lifecycle import AGENDA, OPEN, AgendaState, SeriesState
from bot.services import occurrences
from bot.storage import reads
from bot.storage.models import AgendaItem, MeetingOccurrence, MeetingSeries, Team
from bot.storage.parts import one_of
from bot.storage.upsert import dialect_of, insert_or_ignore

logger = logging.getLogger(__name__)

# A meeting this recently started is still under way: `swap` and `skip` in it are about it, and the queue
# shows it. An open item older than this is a past meeting nobody closed, never "the next meeting".
UNDER_WAY = timedelta(hours=1)
# How many meetings past a series' next one are looked at for one that can still take a moment (the ones
# before it had theirs skipped ahead of time).
LOOK_AHEAD = 20


@dataclass(frozen=True, slots=True)
class NextMeeting:
    """The next meeting: an agenda item, or a series' occurrence that has none yet (``item`` is None)."""

    starts_at: datetime
    item: AgendaItem | None
    series: MeetingSeries | None

    @property
    def prepared(self) -> bool:
        return self.item is not None


@dataclass(frozen=True, slots=True)
class Unprepared:
    """A series' meeting still ahead that can take a moment and has no agenda item yet: the series' next
    occurrence, or the first after it when the items of the ones before have ended (moment skipped early)."""

    series: MeetingSeries
    starts_at: datetime

    @property
    def prepare_at(self) -> datetime:
        """When its moment is picked (by the scheduler, unless someone acts on the meeting first)."""
        return occurrences.prepare_at(self.series, self.starts_at)


def occurrence_row(series: MeetingSeries, *, now: datetime, starts_at: datetime | None = None) -> dict[str, Any]:
    """The agenda item of ``series``' occurrence at ``starts_at`` (its next one unless told), as the values to
    insert (missed if it has started)."""
    starts_at = starts_at or series.next_start_at
    assert starts_at is not None
    post_at = series.next_post_at if starts_at == series.next_start_at else occurrences.post_at(series, starts_at)
    return {
        "workspace_id": series.workspace_id,
        "team_id": series.team_id,
        "series_id": series.id,
        "starts_at": starts_at,
        "post_at": post_at or starts_at,
        "state": AGENDA.start(AgendaState.MISSED if starts_at <= now else AgendaState.SCHEDULED),
        "organizer_id": series.organizer_id,
        "created_at": now,
        "updated_at": now,
    }


def insert_occurrences(session: AsyncSession) -> Any:
    """An insert of occurrence rows that leaves an occurrence already prepared alone."""
    return insert_or_ignore(dialect_of(session), AgendaItem, [AgendaItem.series_id, AgendaItem.starts_at])


_SERIES = reads.entity(MeetingSeries)
# A team's active series whose next occurrence is ahead, with the state of that occurrence's agenda item
# (NULL: it has none yet).
_SERIES_AHEAD = (
    select(*_SERIES.columns, AgendaItem.state)
    .outerjoin(
        AgendaItem,
        and_(AgendaItem.series_id == MeetingSeries.id, AgendaItem.starts_at == MeetingSeries.next_start_at),
    )
    .where(
        MeetingSeries.team_id == bindparam("team_id"),
        MeetingSeries.state == SeriesState.ACTIVE,
        MeetingSeries.next_start_at >= bindparam("now"),
    )
    .order_by(MeetingSeries.next_start_at, MeetingSeries.id)
)
# The agenda items of some series from a start on.
_ITEMS_FROM = select(AgendaItem.series_id, AgendaItem.starts_at, AgendaItem.state).where(
    AgendaItem.series_id.in_(bindparam("ids", expanding=True)), AgendaItem.starts_at >= bindparam("since")
)

# The team's earliest open agenda item that starts at or after ``since``.
_next_item = (
    select(AgendaItem)
    .where(
        AgendaItem.team_id == bindparam("team_id"),
        one_of(AgendaItem.state, OPEN),
        AgendaItem.starts_at >= bindparam("since"),
    )
    .order_by(AgendaItem.starts_at, AgendaItem.id)
    .limit(1)
)


async def unprepared(session: AsyncSession, team: Team, now: datetime) -> list[Unprepared]:
    """The team's series' meetings still ahead that can take a moment and are not prepared, soonest first: one
    per active series, unless its next meeting that can take a moment has its agenda item already."""
    waiting: list[Unprepared] = []
    ended: list[MeetingSeries] = []
    for *columns, state in await reads.rows(session, _SERIES_AHEAD, {"team_id": team.id, "now": now}):
        series = reads.loaded(session, _SERIES, columns)
        assert series is not None and series.next_start_at is not None
        if state is None:
            waiting.append(Unprepared(series, series.next_start_at))
        elif state not in OPEN:  # its moment was skipped before the scheduler prepared it
            ended.append(series)
    waiting += await _first_without_item(session, ended)
    return sorted(waiting, key=lambda found: (found.starts_at, found.series.id))


def _meetings_from_next(series: MeetingSeries) -> Iterator[datetime]:
    assert series.next_start_at is not None
    yield series.next_start_at
    yield from occurrences.next_starts(series, series.next_start_at, LOOK_AHEAD)


async def _first_without_item(session: AsyncSession, series: Sequence[MeetingSeries]) -> list[Unprepared]:
    """Each series' first meeting from its next one on that has no agenda item, when no open item (the
    meeting that takes the series' next moment) comes before it."""
    starts = [s.next_start_at for s in series if s.next_start_at is not None]
    if not starts:
        return []
    params = {"ids": [s.id for s in series], "since": min(starts)}
    held = {(series_id, at): state for series_id, at, state in await reads.rows(session, _ITEMS_FROM, params)}
    found = []
    for one in series:
        if one.next_start_at is None:
            continue
        for start in _meetings_from_next(one):
            state = held.get((one.id, start))
            if state is None:
                found.append(Unprepared(one, start))
                break
            if state in OPEN:
                break
    return found


def occurrence_first(occurrence_at: datetime | None, item_at: datetime | None) -> bool:
    """Whether a series' unprepared occurrence is the next meeting rather than the earliest open agenda
    item: only when it starts strictly before it (an item at the same time is the one prepared)."""
    return occurrence_at is not None and (item_at is None or occurrence_at < item_at)


async def next_meeting(
    session: AsyncSession, team: Team, now: datetime, *, under_way: bool = False
) -> NextMeeting | None:
    """The team's earliest meeting that has not started (``under_way``: or that started less than
    :data:`UNDER_WAY` ago and is still open): an open agenda item, or a series' next occurrence."""
    since = now - UNDER_WAY if under_way else now
    item = await session.scalar(_next_item, {"team_id": team.id, "since": since})
    waiting = await unprepared(session, team, now)
    first = waiting[0] if waiting else None
    if first is not None and occurrence_first(first.starts_at, item.starts_at if item is not None else None):
        return NextMeeting(first.starts_at, None, first.series)
    if item is None:
        return None
    return NextMeeting(item.starts_at, item, None)


async def prepare_early(
    session: AsyncSession, series: MeetingSeries, starts_at: datetime, now: datetime
) -> tuple[AgendaItem | None, bool]:
    """The agenda item of ``series``' occurrence at ``starts_at``, created now if it has none; True when it
    was created. None when that occurrence went meanwhile (the series was paused, moved or deleted), or is no
    longer the series' next meeting that can take a moment.

    The series row is locked first, as the scheduler locks it to prepare, so that the two never both create
    the item; the insert leaves an item that exists alone all the same.
    """
    locked = await session.scalar(
        select(MeetingSeries)
        .where(MeetingSeries.id == series.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    created = None
    waiting = await _first_without_item(session, [locked]) if locked is not None else []
    if locked is not None and locked.state == SeriesState.ACTIVE and [w.starts_at for w in waiting] == [starts_at]:
        row = occurrence_row(locked, now=now, starts_at=starts_at)
        created = await session.scalar(insert_occurrences(session).values(row).returning(AgendaItem.id))
    item = await session.scalar(
        select(AgendaItem)
        .where(AgendaItem.series_id == series.id, AgendaItem.starts_at == starts_at)
        .execution_options(populate_existing=True)
    )
    if item is not None and created is not None:
        logger.info("series %s: occurrence %s prepared early as agenda item %s", series.id, starts_at, item.id)
    return item, created is not None


# The skipped items among some, with their series' skip dates and zone (NULLs: an item of no series).
_SKIPPED_ON = (
    select(AgendaItem.id, AgendaItem.starts_at, MeetingSeries.skip_dates, MeetingSeries.zone)
    .outerjoin(MeetingSeries, MeetingSeries.id == AgendaItem.series_id)
    .where(AgendaItem.id.in_(bindparam("ids", expanding=True)))
)


async def days_off(session: AsyncSession, skipped: Sequence[int]) -> set[int]:
    """The skipped items that fall on a date their series skips (`skipdate`: a holiday, a day off): no meeting
    then, as `meetings` says, so not one coming up either. Any other skipped meeting still takes place."""
    if not skipped:
        return set()
    found = await reads.rows(session, _SKIPPED_ON, {"ids": list(skipped)})
    return {
        item_id
        for item_id, starts_at, skip_dates, zone in found
        if zone is not None and starts_at.astimezone(recurrence.zone(zone)).date().isoformat() in (skip_dates or ())
    }


# The skipped items of a channel's meetings from a time on: its own agenda's, and those of its meetings that
# live in a linked team's agenda (as the queue lists them).
_SKIPPED_FROM = (
    select(AgendaItem)
    .where(
        or_(
            AgendaItem.team_id == bindparam("team_id"),
            AgendaItem.id.in_(
                select(MeetingOccurrence.agenda_item_id).where(MeetingOccurrence.chat_team_id == bindparam("team_id"))
            ),
        ),
        AgendaItem.state == AgendaState.SKIPPED,
        AgendaItem.starts_at >= bindparam("since"),
        AgendaItem.starts_at < bindparam("before"),
    )
    .order_by(AgendaItem.starts_at, AgendaItem.id)
    .limit(5)
)
FAR_AHEAD = timedelta(days=3660)  # further than any meeting the bot knows of


async def skipped_ahead(
    session: AsyncSession, team: Team, now: datetime, *, before: datetime | None = None
) -> list[AgendaItem]:
    """The channel's first few meetings under way or ahead (starting before ``before``, when given) whose moment
    was skipped: they still take place, without a moment. A meeting on a date its series skips is not one."""
    params = {"team_id": team.id, "since": now - UNDER_WAY, "before": before or now + FAR_AHEAD}
    items = list(await session.scalars(_SKIPPED_FROM, params))
    off = await days_off(session, [item.id for item in items])
    return [item for item in items if item.id not in off]
