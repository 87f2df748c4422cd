"""A channel's next meeting: the earliest one that has not started, prepared or not.

A meeting series' occurrence gets its agenda item when the scheduler prepares it (a little before its card
is posted). Before that, the next meeting is only the series' next start. People still want to see and steer
it, so this module finds the next meeting either way and, when someone acts on an occurrence not yet
prepared, creates its agenda item early — exactly once per occurrence, like the scheduler: agenda items are
unique per series and start time, and the scheduler leaves an item that exists alone (it still sends the
organizer's reminder when it prepares that occurrence).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.lifecycle import AGENDA, OPEN, AgendaState, SeriesState
from bot.storage.models import AgendaItem, MeetingSeries, Team
from bot.storage.parts import one_of
from bot.storage.upsert import dialect_of, insert_or_ignore

logger = logging.getLogger(__name__)

# A meeting this recently started is still under way: `swap` and `skip` in it are about it, and the queue
# shows it. An open item older than this is a past meeting nobody closed, never "the next meeting".
UNDER_WAY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class NextMeeting:
    """The next meeting: an agenda item, or a series' occurrence that has none yet (``item`` is None)."""

    starts_at: datetime
    item: AgendaItem | None
    series: MeetingSeries | None

    @property
    def prepared(self) -> bool:
        return self.item is not None


def occurrence_row(series: MeetingSeries, *, now: datetime) -> dict[str, Any]:
    """The agenda item of ``series``' next occurrence, as the values to insert (missed if it has started)."""
    starts_at = series.next_start_at
    assert starts_at is not None
    return {
        "workspace_id": series.workspace_id,
        "team_id": series.team_id,
        "series_id": series.id,
        "starts_at": starts_at,
        "post_at": series.next_post_at or starts_at,
        "state": AGENDA.start(AgendaState.MISSED if starts_at <= now else AgendaState.SCHEDULED),
        "organizer_id": series.organizer_id,
        "created_at": now,
        "updated_at": now,
    }


def insert_occurrences(session: AsyncSession) -> Any:
    """An insert of occurrence rows that leaves an occurrence already prepared alone."""
    return insert_or_ignore(dialect_of(session), AgendaItem, [AgendaItem.series_id, AgendaItem.starts_at])


# An active series' next occurrence that has no agenda item yet.
_unprepared = (
    select(MeetingSeries)
    .where(
        MeetingSeries.state == SeriesState.ACTIVE,
        MeetingSeries.next_start_at.is_not(None),
        ~exists().where(
            and_(AgendaItem.series_id == MeetingSeries.id, AgendaItem.starts_at == MeetingSeries.next_start_at)
        ),
    )
    .order_by(MeetingSeries.next_start_at, MeetingSeries.id)
)


_unprepared_ahead = _unprepared.where(
    MeetingSeries.team_id == bindparam("team_id"), MeetingSeries.next_start_at >= bindparam("now")
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


async def unprepared(session: AsyncSession, team: Team, now: datetime) -> list[MeetingSeries]:
    """The team's active series whose next occurrence is still ahead and not prepared, soonest first."""
    return list(await session.scalars(_unprepared_ahead, {"team_id": team.id, "now": now}))


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
    series = waiting[0] if waiting else None
    ahead = series.next_start_at if series is not None else None
    if occurrence_first(ahead, item.starts_at if item is not None else None):
        assert ahead is not None
        return NextMeeting(ahead, None, series)
    if item is None:
        return None
    return NextMeeting(item.starts_at, item, None)


async def prepare_early(
    session: AsyncSession, series: MeetingSeries, starts_at: datetime, now: datetime
) -> tuple[AgendaItem | None, bool]:
    """The agenda item of ``series``' occurrence at ``starts_at``, created now if it has none; True when it
    was created. None when that occurrence went meanwhile (the series was paused, moved or deleted).

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
    if locked is not None and locked.state == SeriesState.ACTIVE and locked.next_start_at == starts_at:
        created = await session.scalar(
            insert_occurrences(session).values(occurrence_row(locked, now=now)).returning(AgendaItem.id)
        )
    item = await session.scalar(
        select(AgendaItem)
        .where(AgendaItem.series_id == series.id, AgendaItem.starts_at == starts_at)
        .execution_options(populate_existing=True)
    )
    if item is not None and created is not None:
        logger.info("series %s: occurrence %s prepared early as agenda item %s", series.id, starts_at, item.id)
    return item, created is not None
