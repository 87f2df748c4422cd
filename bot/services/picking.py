"""Loading rotation candidates from the database and recording featurings.

The queries stay bounded however large a team's pool grows: a few index-ordered rows per kind,
the team's last few featurings and its use of the ~30 library exercises.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.rotation import FRESH, Candidate, Choice, Recent, choose
from bot.storage.models import AgendaItem, Featuring, Member, Moment, Recipient, Team

logger = logging.getLogger(__name__)

PER_KIND = 12
MAX_PAGES = 50
COUNTED = ("current", "presented")
TEAM_KINDS = ("story", "shoutout", "exercise")


async def _people(session: AsyncSession, rows: Iterable[tuple[int, int | None]]) -> dict[int, frozenset[int]]:
    """moment id -> author and recipients."""
    people: dict[int, set[int]] = defaultdict(set)
    ids = []
    for moment_id, author_id in rows:
        ids.append(moment_id)
        people[moment_id]
        if author_id is not None:
            people[moment_id].add(author_id)
    if ids:
        for moment_id, member_id in await session.execute(
            select(Recipient.moment_id, Recipient.member_id).where(Recipient.moment_id.in_(ids))
        ):
            people[moment_id].add(member_id)
    return {k: frozenset(v) for k, v in people.items()}


async def _team_candidates(
    session: AsyncSession,
    team: Team,
    kind: str,
    now: datetime,
    *,
    blocked: frozenset[int],
    exclude: frozenset[int],
    avoid: frozenset[int],
) -> list[Candidate]:
    """A few of the best-placed items of one kind.

    Pages on (a bounded number of times) until it has found some that feature nobody from the
    previous meeting, so a long run of one person's items cannot hide everyone else's.
    """
    base = select(Moment.id, Moment.author_id, Moment.times_featured, Moment.last_featured_at, Moment.created_at).where(
        Moment.team_id == team.id, Moment.state == "approved", Moment.kind == kind, Moment.private.is_(False)
    )
    queries = [base.order_by(Moment.times_featured, Moment.last_featured_at, Moment.created_at, Moment.id)]
    if kind == "shoutout":
        queries.insert(
            0,
            base.where(Moment.times_featured == 0, Moment.created_at >= now - FRESH).order_by(
                Moment.times_featured, Moment.created_at
            ),
        )
    found: dict[int, Candidate] = {}
    for query in queries:
        usable = 0
        for page in range(MAX_PAGES):
            rows = (await session.execute(query.limit(PER_KIND).offset(page * PER_KIND))).all()
            people = await _people(session, ((r.id, r.author_id) for r in rows))
            for row in rows:
                if row.id in exclude or people[row.id] & blocked:
                    continue
                if not people[row.id] & avoid:
                    usable += 1
                found[row.id] = Candidate(
                    row.id, kind, people[row.id], row.times_featured, row.last_featured_at, row.created_at
                )
            if usable >= 3 or len(rows) < PER_KIND:
                break
    return list(found.values())


async def _library_candidates(session: AsyncSession, team: Team, exclude: frozenset[int]) -> list[Candidate]:
    rows = (
        await session.execute(
            select(Moment.id, Moment.created_at).where(
                Moment.workspace_id == team.workspace_id, Moment.library_key.is_not(None), Moment.state == "approved"
            )
        )
    ).all()
    ids = [r.id for r in rows]
    used: dict[int, tuple[int, datetime | None]] = {}
    if ids:
        used = {
            row.moment_id: (row.times, row.last)
            for row in await session.execute(
                select(Featuring.moment_id, func.count().label("times"), func.max(Featuring.created_at).label("last"))
                .where(Featuring.team_id == team.id, Featuring.moment_id.in_(ids), Featuring.outcome.in_(COUNTED))
                .group_by(Featuring.moment_id)
            )
        }
    return [
        Candidate(
            r.id,
            "exercise",
            frozenset(),
            used.get(r.id, (0, None))[0],
            used.get(r.id, (0, None))[1],
            r.created_at,
            library=True,
        )
        for r in rows
        if r.id not in exclude
    ]


async def recent(session: AsyncSession, team_id: int, *, skip_item: int | None = None, limit: int = 3) -> list[Recent]:
    query = (
        select(Featuring.moment_id, Moment.kind, Moment.author_id)
        .join(Moment, Moment.id == Featuring.moment_id)
        .where(Featuring.team_id == team_id, Featuring.outcome.in_(COUNTED))
        .order_by(Featuring.created_at.desc(), Featuring.id.desc())
        .limit(limit)
    )
    if skip_item is not None:
        query = query.where(Featuring.agenda_item_id != skip_item)
    rows = (await session.execute(query)).all()
    people = await _people(session, ((r.moment_id, r.author_id) for r in rows))
    return [Recent(r.kind, people[r.moment_id]) for r in rows]


async def pick(
    session: AsyncSession, item: AgendaItem, team: Team, now: datetime, *, exclude: frozenset[int] = frozenset()
) -> Choice | None:
    """Choose the moment for ``item`` by the rotation rules."""
    blocked = frozenset(
        await session.scalars(
            select(Member.id).where(Member.workspace_id == team.workspace_id, Member.opted_out.is_(True))
        )
    )
    history = await recent(session, team.id, skip_item=item.id)
    avoid = history[0].people if history else frozenset()
    candidates: list[Candidate] = []
    for kind in TEAM_KINDS:
        candidates += await _team_candidates(session, team, kind, now, blocked=blocked, exclude=exclude, avoid=avoid)
    candidates += await _library_candidates(session, team, exclude)
    return choose(candidates, history, seed=f"{team.id}:{item.starts_at.isoformat()}", now=now, exclude=exclude)


def presenter_for(moment: Moment, organizer_id: int | None) -> int | None:
    if moment.kind in ("story", "shoutout") and moment.author_id is not None and not moment.anonymous:
        return moment.author_id
    return organizer_id


async def feature(session: AsyncSession, item: AgendaItem, choice: Choice, now: datetime) -> Moment:
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
            outcome="current",
            reason=choice.reason,
            created_at=now,
        )
    )
    if moment.library_key is None:
        moment.times_featured += 1
        moment.last_featured_at = now
    await session.flush()
    logger.info("agenda item %s features moment %s: %s", item.id, moment.id, choice.reason)
    return moment


async def end_featuring(session: AsyncSession, item: AgendaItem, outcome: str) -> None:
    """Close the item's current featuring; a swapped or skipped moment goes back to the pool."""
    featuring = await session.scalar(
        select(Featuring)
        .where(Featuring.agenda_item_id == item.id, Featuring.outcome == "current")
        .order_by(Featuring.id.desc())
        .limit(1)
    )
    if featuring is None:
        return
    featuring.outcome = outcome
    if outcome in ("swapped", "skipped"):
        moment = await session.get(Moment, featuring.moment_id)
        if moment is not None and moment.library_key is None:
            previous = await session.scalar(
                select(func.max(Featuring.created_at)).where(
                    Featuring.moment_id == moment.id, Featuring.outcome.in_(COUNTED), Featuring.id != featuring.id
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
            select(Featuring.moment_id).where(Featuring.agenda_item_id == item_id, Featuring.outcome == "swapped")
        )
    )
