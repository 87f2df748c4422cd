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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.lifecycle import AGENDA, AgendaState, SeriesState
from bot.services import meeting_chats
from bot.services.occurrences import advance
from bot.services.upcoming import insert_occurrences, occurrence_row
from bot.storage.models import AgendaItem, MeetingSeries, Team, Workspace

logger = logging.getLogger(__name__)

MAX_CATCH_UP = 20  # occurrences recorded as missed for one series in one pass after a long outage


@dataclass(frozen=True, slots=True)
class Prepared:
    item: AgendaItem
    series: MeetingSeries
    missed: bool


def _platforms(platforms: frozenset[str]):  # type: ignore[no-untyped-def]
    return select(Workspace.id).where(Workspace.platform.in_(platforms))


def _occurrences(series: MeetingSeries, now: datetime) -> list[dict[str, Any]]:
    """The agenda items due for preparation in ``series``, moving the series on past each of them."""
    rows: list[dict[str, Any]] = []
    for _ in range(MAX_CATCH_UP):
        if series.next_start_at is None or series.next_prepare_at is None or series.next_prepare_at > now:
            break
        starts_at = series.next_start_at
        rows.append(occurrence_row(series, now=now))
        advance(series, starts_at)
    else:
        # A very long outage: jump to the first occurrence that is still ahead.
        advance(series, now)
    return rows


async def prepare_due_series(
    session: AsyncSession, *, now: datetime, platforms: frozenset[str], batch: int
) -> list[Prepared]:
    """Create the agenda items of series whose next occurrence is due for preparation.

    An occurrence whose meeting has already started is recorded as missed (no stale card). All items of
    the batch are inserted with one statement; one that exists already (prepared early to be swapped, or
    before the series was moved back by a resume) is left alone, and is returned (for its reminder) when it
    still waits for its card. An open item no series has, made for the same meeting another way (ahead in
    its meeting chat, at its start, requested), is adopted instead: one meeting, one item.
    """
    rows = (
        await session.scalars(
            select(MeetingSeries)
            .where(
                MeetingSeries.state == SeriesState.ACTIVE,
                MeetingSeries.next_prepare_at <= now,
                MeetingSeries.workspace_id.in_(_platforms(platforms)),
            )
            .order_by(MeetingSeries.next_prepare_at)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    ).all()
    occurrences = [row for series in rows for row in _occurrences(series, now)]
    if not occurrences:
        return []
    by_id = {series.id: series for series in rows}
    # A meeting whose item was made another way first (ahead in its meeting chat, at its start, requested) has
    # that one item: the series adopts it rather than making a second one.
    adopted = await meeting_chats.adopt(session, [(by_id[r["series_id"]], r["starts_at"]) for r in occurrences])
    to_insert = [row for row in occurrences if (row["series_id"], row["starts_at"]) not in adopted]
    created: dict[tuple[int | None, datetime], AgendaItem] = {}
    if to_insert:
        insert = insert_occurrences(session).returning(AgendaItem)
        created = {(i.series_id, i.starts_at): i for i in await session.scalars(insert, to_insert)}
    ahead = [row for row in to_insert if row["state"] == AgendaState.SCHEDULED]
    early = await _prepared_early(
        session, [row for row in ahead if (row["series_id"], row["starts_at"]) not in created]
    )
    early |= {key: item for key, item in adopted.items() if item.state == AgendaState.SCHEDULED}
    prepared: list[Prepared] = []
    for row in occurrences:
        key = (row["series_id"], row["starts_at"])
        item = created.get(key) or early.get(key)
        if item is None:
            logger.info("series %s occurrence %s already prepared elsewhere", row["series_id"], row["starts_at"])
            continue
        missed = item.state == AgendaState.MISSED
        if missed:
            logger.warning(
                "series %s: meeting at %s already started; recorded as missed", item.series_id, item.starts_at
            )
        prepared.append(Prepared(item, by_id[row["series_id"]], missed))
    return prepared


async def _prepared_early(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> dict[tuple[int, datetime], AgendaItem]:
    """Occurrences whose agenda item was created before their preparation time (someone swapped or looked
    ahead) and still waits for its card: their preparation is only what is left to do (the reminder)."""
    if not rows:
        return {}
    found = await session.scalars(
        select(AgendaItem).where(
            tuple_(AgendaItem.series_id, AgendaItem.starts_at).in_([(r["series_id"], r["starts_at"]) for r in rows]),
            AgendaItem.state == AgendaState.SCHEDULED,
        )
    )
    return {(item.series_id, item.starts_at): item for item in found if item.series_id is not None}


async def places(session: AsyncSession, team_ids: set[int]) -> dict[int, tuple[Team, Workspace]]:
    """The teams of a batch with their workspaces, in one statement."""
    if not team_ids:
        return {}
    rows = await session.execute(
        select(Team, Workspace).join(Workspace, Workspace.id == Team.workspace_id).where(Team.id.in_(team_ids))
    )
    return {team.id: (team, workspace) for team, workspace in rows}


async def claim_due_items(
    session: AsyncSession, *, now: datetime, worker: str, lease: timedelta, platforms: frozenset[str], batch: int
) -> list[int]:
    """Lease agenda items whose card is due, earliest first; each claim counts as an attempt.

    One statement: the due rows are locked (skipping rows another worker holds) and leased together.
    """
    due = (
        select(AgendaItem.id)
        .where(
            AgendaItem.state == AgendaState.SCHEDULED,
            AgendaItem.post_at <= now,
            or_(AgendaItem.locked_until.is_(None), AgendaItem.locked_until < now),
            AgendaItem.workspace_id.in_(_platforms(platforms)),
        )
        .order_by(AgendaItem.post_at, AgendaItem.starts_at, AgendaItem.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    claimed = (
        await session.execute(
            update(AgendaItem)
            .where(AgendaItem.id.in_(due))
            .values(locked_by=worker, locked_until=now + lease, attempts=AgendaItem.attempts + 1)
            .returning(AgendaItem.id, AgendaItem.post_at, AgendaItem.starts_at)
            .execution_options(synchronize_session=False)
        )
    ).all()
    return [row.id for row in sorted(claimed, key=lambda r: (r.post_at, r.starts_at, r.id))]


async def still_mine(
    session: AsyncSession, item_id: int, worker: str, *, now: datetime, lease: timedelta
) -> AgendaItem | None:
    """The item, locked for update and its lease renewed, if this worker still holds it and it is still
    to be posted."""
    item = await session.scalar(
        select(AgendaItem).where(AgendaItem.id == item_id).with_for_update().execution_options(populate_existing=True)
    )
    if item is None or item.locked_by != worker or item.state != AgendaState.SCHEDULED:
        return None
    item.locked_until = now + lease
    return item


async def release(session: AsyncSession, *, worker: str, retry_at: datetime | None = None) -> int:
    """Give back every lease this worker holds (shutdown), so another worker can take them at once."""
    result = await session.execute(
        update(AgendaItem)
        .where(AgendaItem.locked_by == worker, AgendaItem.state == AgendaState.SCHEDULED)
        .values(locked_by=None, locked_until=retry_at)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# Built once, not per batch of cards: building and keying an update for the compiled cache costs CPU on
# every round that posts.
_POSTED = (
    update(AgendaItem)
    .where(AgendaItem.id == bindparam("item_id"))
    .values(
        state=case(
            (AgendaItem.state == AgendaState.SCHEDULED, AGENDA.move(AgendaState.SCHEDULED, AgendaState.POSTED)),
            else_=AgendaItem.state,
        ),
        locked_by=None,
        locked_until=None,
        updated_at=bindparam("now", type_=AgendaItem.updated_at.type),
    )
)
_POSTED_WITH_REF = _POSTED.values(post_ref=bindparam("ref", type_=AgendaItem.post_ref.type))


async def record_posted(session: AsyncSession, posted: Sequence[tuple[int, Any]], *, now: datetime) -> None:
    """Record cards that went out, several in one statement: the item is posted (unless it was skipped or
    ended meanwhile), remembers where its card is, and its lease is given back."""
    connection = await session.connection()
    with_ref = [{"item_id": item_id, "ref": ref, "now": now} for item_id, ref in posted if isinstance(ref, dict)]
    without = [{"item_id": item_id, "now": now} for item_id, ref in posted if not isinstance(ref, dict)]
    if with_ref:
        await connection.execute(_POSTED_WITH_REF, with_ref)
    if without:
        await connection.execute(_POSTED, without)


async def team_is_live(session: AsyncSession, item: AgendaItem) -> Team | None:
    """The item's team, unless the team is gone or its series paused/deleted (never posted to)."""
    team = await session.get(Team, item.team_id)
    if team is None or not team.active:
        return None
    if item.series_id is not None:
        series = await session.get(MeetingSeries, item.series_id)
        if series is None or series.state != SeriesState.ACTIVE:
            return None
    return team
