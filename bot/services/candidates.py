"""Loading rotation candidates from the database: a few index-ordered rows per kind, the team's last few
featurings and its use of the ~40 library exercises.

The statements stay bounded however large a team's pool grows, and there are few of them per pick: the
team's last featurings; the first page of every kind together with the library exercises and how often
the team used each (one ``UNION ALL``); the people (author, recipients) of all of those in one lookup.
Only a kind whose first page holds nobody but the previous meeting's people pages on, a page at a time.

An item's people, for the rotation, are those the channel is shown as its people (:func:`shown`): an
anonymous author holds their item back when they opt out, like anyone, but is never weighed as one of its
people, so that no pick and no reason tells who wrote it.

The statements are built once with bound parameters, so SQLAlchemy's compiled cache serves every pick.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Exists,
    Integer,
    Select,
    and_,
    bindparam,
    cast,
    false,
    func,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.domain.lifecycle import COUNTED
from bot.domain.rotation import FRESH, Candidate, Recent
from bot.storage import reads
from bot.storage.models import Featuring, Member, Moment, Recipient, Team
from bot.storage.parts import one_of, part

PER_KIND = 12
MAX_PAGES = 50
TEAM_KINDS = ("story", "shoutout", "exercise")


TeamRows = Select[int, int | None, int, datetime | None, datetime, bool]


@dataclass(frozen=True, slots=True)
class _Ordering:
    """One index-ordered way of walking a kind's pool (shout-outs have two: fresh ones first, then all)."""

    kind: str
    query: TeamRows


def _orderings() -> list[_Ordering]:
    orderings = []
    for kind in TEAM_KINDS:
        base = select(
            Moment.id,
            Moment.author_id,
            Moment.times_featured,
            Moment.last_featured_at,
            Moment.created_at,
            Moment.anonymous,
        ).where(
            Moment.team_id == bindparam("team_id"),
            Moment.state == "approved",
            Moment.kind == kind,
            Moment.private.is_(False),
        )
        if kind == "shoutout":
            fresh = base.where(Moment.times_featured == 0, Moment.created_at >= bindparam("fresh_since"))
            orderings.append(_Ordering(kind, fresh.order_by(Moment.times_featured, Moment.created_at)))
        orderings.append(
            _Ordering(kind, base.order_by(Moment.times_featured, Moment.last_featured_at, Moment.created_at, Moment.id))
        )
    return orderings


ORDERINGS = _orderings()
PAGES = [o.query.limit(PER_KIND).offset(bindparam("offset")) for o in ORDERINGS]

# The workspace's library exercises with the team's use of each, shaped like the team rows above.
_used = (Featuring.moment_id == Moment.id) & (Featuring.team_id == bindparam("team_id"))
LIBRARY = (
    select(
        Moment.id,
        cast(null(), Integer).label("author_id"),
        func.count(Featuring.id).label("times_featured"),
        func.max(Featuring.created_at).label("last_featured_at"),
        Moment.created_at,
        false().label("anonymous"),
    )
    .select_from(Moment)
    .outerjoin(Featuring, _used & one_of(Featuring.outcome, COUNTED))
    .where(
        Moment.workspace_id == bindparam("workspace_id"),
        Moment.library_key.is_not(None),
        Moment.state == "approved",
    )
    .group_by(Moment.id, Moment.created_at)
)
LIBRARY_PART = len(ORDERINGS)
FIRST_PAGES = union_all(
    *(select(part(n), o.query.limit(PER_KIND).subquery()) for n, o in enumerate(ORDERINGS)),
    select(part(LIBRARY_PART), LIBRARY.subquery()),
)

_RECENT = (
    select(Featuring.moment_id, Moment.kind, Moment.author_id, Moment.anonymous, Moment.private)
    .join(Moment, Moment.id == Featuring.moment_id)
    .where(Featuring.team_id == bindparam("team_id"), one_of(Featuring.outcome, COUNTED))
    .order_by(Featuring.created_at.desc(), Featuring.id.desc())
    .limit(bindparam("limit"))
)
RECENT = _RECENT.where(Featuring.agenda_item_id != bindparam("skip_item"))
RECENT_ALL = _RECENT
# A recipient who hid a shout-out is no longer one of its people: not shown, not featured, not weighed by the
# rotation, and their opt-out no longer holds the others' recognition back.
RECIPIENTS = select(Recipient.moment_id, Recipient.member_id).where(
    Recipient.moment_id.in_(bindparam("ids", expanding=True)), Recipient.hidden.is_(False)
)
OPTED_OUT = select(Member.id).where(Member.workspace_id == bindparam("workspace_id"), Member.opted_out.is_(True))


def _opted_out_people() -> tuple[Exists, Exists]:
    """Whether a moment's author (anonymous or not) opted out, and whether one of the recipients who did not
    hide it did. The recipients are read through their own alias, so a statement that joins the recipients
    itself (someone's own shout-outs) still asks about all of them."""
    recipient = aliased(Recipient)
    opted_author = select(Member.id).where(Member.id == Moment.author_id, Member.opted_out.is_(True))
    opted_recipient = (
        select(recipient.member_id)
        .join(Member, Member.id == recipient.member_id)
        .where(recipient.moment_id == Moment.id, recipient.hidden.is_(False), Member.opted_out.is_(True))
    )
    return opted_author.exists(), opted_recipient.exists()


def featurable() -> ColumnElement[bool]:
    """Whether a team moment may be featured, as SQL: approved, shared with the channel, and nobody among its
    people (its author, anonymous or not, and the recipients who did not hide it) opted out. The picks apply
    the same rule row by row (``blocked``); counts of what waits in the pool use this clause."""
    opted_author, opted_recipient = _opted_out_people()
    return and_(Moment.state == "approved", Moment.private.is_(False), ~opted_author, ~opted_recipient)


def counted_in_pool() -> ColumnElement[bool]:
    """Whether a team moment counts among what waits in the pool, as SQL: approved and shared with the channel,
    and nobody the channel is shown as its people (a named author, the recipients who did not hide it) opted
    out. An anonymous author's opt-out does not change it, so that nobody who knows of that opt-out can tell
    from the pool's counts that they wrote an anonymous story there (the picks still pass that story over)."""
    opted_author, opted_recipient = _opted_out_people()
    return and_(
        Moment.state == "approved",
        Moment.private.is_(False),
        ~(opted_author & Moment.anonymous.is_(False)),
        ~opted_recipient,
    )


def held_back() -> ColumnElement[bool]:
    """Whether someone among a moment's people opted out, which keeps it from being featured (as SQL)."""
    return or_(*_opted_out_people())


async def opted_out(session: AsyncSession, workspace_id: int) -> frozenset[int]:
    return frozenset(await session.scalars(OPTED_OUT, {"workspace_id": workspace_id}))


async def library_moments(session: AsyncSession, workspace_id: int) -> list[Moment]:
    """The workspace's library exercises as full rows (into the session's identity map)."""
    return list(
        await session.scalars(
            select(Moment).where(Moment.workspace_id == workspace_id, Moment.library_key.is_not(None))
        )
    )


async def people(session: AsyncSession, rows: Iterable[tuple[int, int | None]]) -> dict[int, frozenset[int]]:
    """moment id -> author and recipients."""
    found: dict[int, set[int]] = defaultdict(set)
    for moment_id, author_id in rows:
        found[moment_id]
        if author_id is not None:
            found[moment_id].add(author_id)
    if found:
        for moment_id, member_id in await reads.rows(session, RECIPIENTS, {"ids": list(found)}):
            found[moment_id].add(member_id)
    return {k: frozenset(v) for k, v in found.items()}


def shown(everyone: frozenset[int], author_id: int | None, *, anonymous: bool, private: bool = False) -> frozenset[int]:
    """The people the channel is shown as a moment's, of ``everyone`` (its author and the recipients who did not
    hide it): not an anonymous author; nobody of a private shout-out (one made private after it was featured)."""
    if private:
        return frozenset()
    return everyone - {author_id} if anonymous else everyone


def _shown_recent(row: reads.Record, everyone: frozenset[int]) -> frozenset[int]:
    return shown(everyone, row.author_id, anonymous=bool(row.anonymous), private=bool(row.private))


async def recent_rows(session: AsyncSession, team_id: int, *, skip_item: int | None, limit: int) -> list[reads.Record]:
    """The team's last featured moments (most recent first): moment id, kind, author, anonymous, private."""
    if skip_item is None:
        return list(await reads.rows(session, RECENT_ALL, {"team_id": team_id, "limit": limit}))
    return list(await reads.rows(session, RECENT, {"team_id": team_id, "limit": limit, "skip_item": skip_item}))


async def recent(session: AsyncSession, team_id: int, *, skip_item: int | None = None, limit: int = 3) -> list[Recent]:
    rows = await recent_rows(session, team_id, skip_item=skip_item, limit=limit)
    found = await people(session, ((r.moment_id, r.author_id) for r in rows))
    return [Recent(r.kind, _shown_recent(r, found[r.moment_id])) for r in rows]


@dataclass(frozen=True, slots=True)
class Pool:
    """Everything a pick chooses from: the team's candidates, the library's, and the recent history."""

    candidates: list[Candidate]
    history: list[Recent]

    @property
    def library_ids(self) -> frozenset[int]:
        return frozenset(c.moment_id for c in self.candidates if c.library)


async def load(
    session: AsyncSession,
    team: Team,
    now: datetime,
    *,
    skip_item: int | None,
    blocked: frozenset[int],
    exclude: frozenset[int],
) -> Pool:
    """The candidates for a pick in ``team``: a few of the best-placed items of each kind, and the library.

    A kind pages on (a bounded number of times) until it has found some that feature nobody from the
    previous meeting, so a long run of one person's items cannot hide everyone else's.
    """
    history_rows = await recent_rows(session, team.id, skip_item=skip_item, limit=3)
    params = {"team_id": team.id, "workspace_id": team.workspace_id, "fresh_since": now - FRESH}
    parts: list[list[reads.Record]] = [[] for _ in range(LIBRARY_PART + 1)]
    for row in await reads.rows(session, FIRST_PAGES, params):
        parts[row.part].append(row)
    team_rows = [row for rows in parts[:LIBRARY_PART] for row in rows]
    found_people = await people(
        session,
        [(r.moment_id, r.author_id) for r in history_rows] + [(r.id, r.author_id) for r in team_rows],
    )
    history = [Recent(r.kind, _shown_recent(r, found_people[r.moment_id])) for r in history_rows]
    avoid = history[0].people if history else frozenset()
    found: dict[int, Candidate] = {}
    for n, ordering in enumerate(ORDERINGS):
        rows = parts[n]
        for page in range(MAX_PAGES):
            if page:
                rows = list(await reads.rows(session, PAGES[n], {**params, "offset": page * PER_KIND}))
                found_people.update(await people(session, ((r.id, r.author_id) for r in rows)))
            usable = _collect(found, rows, ordering.kind, found_people, blocked=blocked, exclude=exclude, avoid=avoid)
            if usable >= 3 or len(rows) < PER_KIND:
                break
    library = [
        Candidate(r.id, "exercise", frozenset(), r.times_featured, r.last_featured_at, r.created_at, library=True)
        for r in parts[LIBRARY_PART]
        if r.id not in exclude
    ]
    return Pool(list(found.values()) + library, history)


def _collect(
    found: dict[int, Candidate],
    rows: Sequence[reads.Record],
    kind: str,
    found_people: dict[int, frozenset[int]],
    *,
    blocked: frozenset[int],
    exclude: frozenset[int],
    avoid: frozenset[int],
) -> int:
    """Add a page's rows to ``found``; returns how many feature nobody from the previous meeting."""
    usable = 0
    for row in rows:
        everyone = found_people[row.id]
        if row.id in exclude or everyone & blocked:  # an anonymous author's opt-out holds their item back too
            continue
        who = shown(everyone, row.author_id, anonymous=bool(row.anonymous))
        if not who & avoid:
            usable += 1
        found[row.id] = Candidate(row.id, kind, who, row.times_featured, row.last_featured_at, row.created_at)
    return usable
