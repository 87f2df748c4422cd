"""Picking an agenda item's moment by the rotation rules, and recording featurings.

The candidates come from :mod:`bot.services.candidates`; a :class:`Batch` lets the picks of one
transaction (the scheduler prepares a whole batch in one) share what is the same for all of them.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.lifecycle import COUNTED, FEATURING, RETURNED, Outcome
from bot.domain.rotation import Choice, choose
from bot.services import board, candidates
from bot.services.candidates import TEAM_KINDS
from bot.storage.models import AgendaItem, Featuring, Moment, Team
from bot.storage.parts import one_of

logger = logging.getLogger(__name__)

__all__ = ["TEAM_KINDS", "Batch", "end_featuring", "feature", "pick", "presenter_for", "swapped_out"]


class Batch:
    """What the picks of one transaction share, per workspace: the members who opted out, and the library
    exercises (loaded into the session once a pick chooses one, so featuring the next needs no query)."""

    def __init__(self) -> None:
        self._opted_out: dict[int, frozenset[int]] = {}
        self._library: set[int] = set()

    async def opted_out(self, session: AsyncSession, workspace_id: int) -> frozenset[int]:
        if workspace_id not in self._opted_out:
            self._opted_out[workspace_id] = await candidates.opted_out(session, workspace_id)
        return self._opted_out[workspace_id]

    async def load_library(self, session: AsyncSession, workspace_id: int) -> None:
        if workspace_id not in self._library:
            self._library.add(workspace_id)
            await candidates.library_moments(session, workspace_id)


async def pick(
    session: AsyncSession,
    item: AgendaItem,
    team: Team,
    now: datetime,
    *,
    exclude: frozenset[int] = frozenset(),
    batch: Batch | None = None,
) -> Choice | None:
    """Choose the moment for ``item`` by the rotation rules."""
    blocked = await (batch or Batch()).opted_out(session, team.workspace_id)
    pool = await candidates.load(session, team, now, skip_item=item.id, blocked=blocked, exclude=exclude)
    seed = f"{team.id}:{item.starts_at.isoformat()}"
    choice = choose(pool.candidates, pool.history, seed=seed, now=now, exclude=exclude)
    if batch is not None and choice is not None and choice.moment_id in pool.library_ids:
        await batch.load_library(session, team.workspace_id)
    return choice


def presenter_for(moment: Moment, organizer_id: int | None) -> int | None:
    if moment.kind in ("story", "shoutout") and moment.author_id is not None and not moment.anonymous:
        return moment.author_id
    return organizer_id


async def feature(session: AsyncSession, item: AgendaItem, choice: Choice, now: datetime) -> Moment:
    """Put the chosen moment on the item. The writes go out with the session's next flush, so that the
    scheduler can prepare a batch of items with a few statements."""
    moment = await session.get(Moment, choice.moment_id)
    assert moment is not None
    item.moment_id, item.reason, item.updated_at = moment.id, choice.reason, now
    item.presenter_id = presenter_for(moment, item.organizer_id)
    session.add(
        Featuring(
            workspace_id=item.workspace_id,
            team_id=item.team_id,
            agenda_item_id=item.id,
            moment_id=moment.id,
            outcome=FEATURING.start(Outcome.CURRENT),
            reason=choice.reason,
            created_at=now,
        )
    )
    if moment.library_key is None:
        moment.times_featured += 1
        moment.last_featured_at = now
    logger.info("agenda item %s features moment %s: %s", item.id, moment.id, choice.reason)
    await board.mark_due(session, item.team_id, now)
    return moment


async def end_featuring(session: AsyncSession, item: AgendaItem, outcome: Outcome) -> None:
    """Close the item's current featuring; a swapped or skipped moment goes back to the pool."""
    await board.mark_due(session, item.team_id, item.updated_at)  # its last change: due since then at the latest
    featuring = await session.scalar(
        select(Featuring)
        .where(Featuring.agenda_item_id == item.id, Featuring.outcome == Outcome.CURRENT)
        .order_by(Featuring.id.desc())
        .limit(1)
    )
    if featuring is None:
        return
    featuring.outcome = FEATURING.move(featuring.outcome, outcome)
    if outcome in RETURNED:
        moment = await session.get(Moment, featuring.moment_id)
        if moment is not None and moment.library_key is None:
            previous = await session.scalar(
                select(func.max(Featuring.created_at)).where(
                    Featuring.moment_id == moment.id, one_of(Featuring.outcome, COUNTED), Featuring.id != featuring.id
                )
            )
            await session.execute(
                update(Moment)
                .where(Moment.id == moment.id)
                .values(times_featured=Moment.times_featured - 1, last_featured_at=previous)
            )
            await session.refresh(moment)
    await session.flush()


async def swapped_out(session: AsyncSession, item_id: int) -> frozenset[int]:
    return frozenset(
        await session.scalars(
            select(Featuring.moment_id).where(Featuring.agenda_item_id == item_id, Featuring.outcome == Outcome.SWAPPED)
        )
    )
