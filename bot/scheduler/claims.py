"""Database side of the scheduler: preparing occurrences and leasing them to one worker at a time.

Two kinds of work come due:
- a meeting series whose next occurrence must be *prepared* (agenda item created, moment picked,
  reminder sent, series moved on to the following occurrence);
- an agenda item whose card must be *posted*.

Both are claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of workers
can share one database; a claimed agenda item also carries a lease (``locked_by``/``locked_until``)
that another worker may take over once it expires, which is how a killed worker's work is resumed.
SQLite ignores the row locks; it is meant for a single process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.meetings import advance
from bot.storage.models import AgendaItem, MeetingSeries, Team, Workspace

logger = logging.getLogger(__name__)

MAX_CATCH_UP = 20  # occurrences recorded as missed for one series in one pass after a long outage


@dataclass(frozen=True, slots=True)
class Prepared:
    item_id: int
    series_id: int
    missed: bool


def _platforms(platforms: frozenset[str]):  # type: ignore[no-untyped-def]
    return select(Workspace.id).where(Workspace.platform.in_(platforms))


async def prepare_due_series(
    session: AsyncSession, *, now: datetime, platforms: frozenset[str], batch: int
) -> list[Prepared]:
    """Create the agenda items of series whose next occurrence is due for preparation.

    An occurrence whose meeting has already started is recorded as missed (no stale card).
    """
    rows = (
        await session.scalars(
            select(MeetingSeries)
            .where(
                MeetingSeries.state == "active",
                MeetingSeries.next_prepare_at <= now,
                MeetingSeries.workspace_id.in_(_platforms(platforms)),
            )
            .order_by(MeetingSeries.next_prepare_at)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    ).all()
    prepared: list[Prepared] = []
    for series in rows:
        for _ in range(MAX_CATCH_UP):
            if series.next_start_at is None or series.next_prepare_at is None or series.next_prepare_at > now:
                break
            starts_at, post_at = series.next_start_at, series.next_post_at or series.next_start_at
            missed = starts_at <= now
            item = AgendaItem(
                workspace_id=series.workspace_id,
                team_id=series.team_id,
                series_id=series.id,
                starts_at=starts_at,
                post_at=post_at,
                state="missed" if missed else "scheduled",
                organizer_id=series.organizer_id,
                created_at=now,
                updated_at=now,
            )
            try:
                async with session.begin_nested():
                    session.add(item)
            except IntegrityError:
                logger.info("series %s occurrence %s already prepared elsewhere", series.id, starts_at)
            else:
                prepared.append(Prepared(item.id, series.id, missed))
                if missed:
                    logger.warning("series %s: meeting at %s already started; recorded as missed", series.id, starts_at)
            advance(series, starts_at)
        else:
            # A very long outage: jump to the first occurrence that is still ahead.
            advance(series, now)
    return prepared


async def claim_due_items(
    session: AsyncSession, *, now: datetime, worker: str, lease: timedelta, platforms: frozenset[str], batch: int
) -> list[int]:
    """Lease agenda items whose card is due; each claim counts as an attempt."""
    ids = list(
        await session.scalars(
            select(AgendaItem.id)
            .where(
                AgendaItem.state == "scheduled",
                AgendaItem.post_at <= now,
                or_(AgendaItem.locked_until.is_(None), AgendaItem.locked_until < now),
                AgendaItem.workspace_id.in_(_platforms(platforms)),
            )
            .order_by(AgendaItem.post_at, AgendaItem.starts_at, AgendaItem.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        await session.execute(
            update(AgendaItem)
            .where(AgendaItem.id.in_(ids))
            .values(locked_by=worker, locked_until=now + lease, attempts=AgendaItem.attempts + 1)
            .execution_options(synchronize_session=False)
        )
    return ids


async def renew(session: AsyncSession, item_id: int, *, worker: str, now: datetime, lease: timedelta) -> bool:
    """Extend this worker's lease just before it sends; False when the item is no longer its to post.

    The check and the extension are one statement, so no other worker can take the item between them;
    an expired lease nobody else has claimed yet is still this worker's to renew.
    """
    result = await session.execute(
        update(AgendaItem)
        .where(
            AgendaItem.id == item_id,
            AgendaItem.locked_by == worker,
            AgendaItem.state == "scheduled",
        )
        .values(locked_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def still_mine(
    session: AsyncSession, item_id: int, worker: str, *, now: datetime, lease: timedelta
) -> AgendaItem | None:
    """The item, locked for update and its lease renewed, if this worker still holds it and it is still
    to be posted."""
    item = await session.scalar(
        select(AgendaItem).where(AgendaItem.id == item_id).with_for_update().execution_options(populate_existing=True)
    )
    if item is None or item.locked_by != worker or item.state != "scheduled":
        return None
    item.locked_until = now + lease
    return item


async def release(session: AsyncSession, *, worker: str, retry_at: datetime | None = None) -> int:
    """Give back every lease this worker holds (shutdown), so another worker can take them at once."""
    result = await session.execute(
        update(AgendaItem)
        .where(AgendaItem.locked_by == worker, AgendaItem.state == "scheduled")
        .values(locked_by=None, locked_until=retry_at)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def team_is_live(session: AsyncSession, item: AgendaItem) -> Team | None:
    """The item's team, unless the team is gone or its series paused/deleted (never posted to)."""
    team = await session.get(Team, item.team_id)
    if team is None or not team.active:
        return None
    if item.series_id is not None:
        series = await session.get(MeetingSeries, item.series_id)
        if series is None or series.state != "active":
            return None
    return team
