"""The queue view: what is coming up in a channel, what waits in its pool, and what a meeting now would feature.

Read-only, in three steps: one statement for what is coming up, the rotation's preview pick, and one
statement for the pool's counts with the picked moment's line.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import CompoundSelect, Integer, ScalarSelect, bindparam, func, null, select, union_all

from bot import cards
from bot.domain.lifecycle import OPEN, SeriesState
from bot.replies import Card, Reply, Section
from bot.services import candidates, picking
from bot.services.context import Context
from bot.services.views import MOMENT_LINE
from bot.storage.models import AgendaItem, MeetingSeries, Moment
from bot.storage.parts import part

# A meeting's item still counts as the channel's current one this long after the meeting started.
RECENT_WINDOW = timedelta(hours=6)
QUEUE_ITEMS = 5
ITEMS, SERIES = 0, 1

# The queue's "Coming up" in one statement: the next open agenda items, each with its moment's line (NULL when
# it has none), then the active meeting series. ``number`` is the item's or the series' id; ``zone`` is the
# series' (an item shows in its team's zone).
_next_items = (
    select(AgendaItem.id.label("number"), AgendaItem.starts_at.label("at"), *MOMENT_LINE)
    .outerjoin(Moment, Moment.id == AgendaItem.moment_id)
    .where(
        AgendaItem.team_id == bindparam("team_id"),
        AgendaItem.state.in_(OPEN),
        AgendaItem.starts_at >= bindparam("since"),
    )
    .order_by(AgendaItem.starts_at, AgendaItem.id)
    .limit(QUEUE_ITEMS)
    .subquery()
)
_coming_up: CompoundSelect[*tuple[Any, ...]] = union_all(
    select(part(ITEMS), _next_items, null().label("zone")),
    select(
        part(SERIES),
        MeetingSeries.id,
        MeetingSeries.next_start_at,
        *(null() for _ in MOMENT_LINE),
        MeetingSeries.zone,
    ).where(
        MeetingSeries.team_id == bindparam("team_id"),
        MeetingSeries.state == SeriesState.ACTIVE,
        MeetingSeries.next_start_at.is_not(None),
    ),
)
COMING_UP = _coming_up.order_by(
    _coming_up.selected_columns.part, _coming_up.selected_columns.at, _coming_up.selected_columns.number
)


def _never_featured(kind: str) -> ScalarSelect[int]:
    return (
        select(func.count())
        .where(
            Moment.team_id == bindparam("team_id"),
            Moment.kind == kind,
            Moment.times_featured == 0,
            candidates.featurable(),  # what the picks may choose, so the counts and the pick's reason agree
        )
        .correlate(None)
        .scalar_subquery()
    )


# The pool's never-featured counts by kind (one row, always) and the line of the moment picked next, if any.
_pool = select(*(_never_featured(kind).label(kind) for kind in picking.TEAM_KINDS)).subquery("pool")
POOL_AND_NEXT = (
    select(_pool, *MOMENT_LINE).select_from(_pool).outerjoin(Moment, Moment.id == bindparam("next_id", type_=Integer))
)


async def queue(ctx: Context) -> list[Reply]:
    """What is coming up in the channel, what waits in the pool, and what a meeting now would feature:
    one statement for what is coming up, the preview pick, then one for the pool and the picked line."""
    team = ctx.require_team()
    lines = []
    for row in await ctx.session.execute(COMING_UP, {"team_id": team.id, "since": ctx.now - RECENT_WINDOW}):
        if row.part == SERIES:
            lines.append(f"Meeting #{row.number} · next on {cards.local_time(row.at, row.zone)}")
        else:
            what = cards.moment_line(row) if row.id is not None else "no moment"
            lines.append(f"Agenda #{row.number} · {cards.local_time(row.at, team.zone)} · {what}")
    sections = [Section("\n".join(lines) or "No meetings scheduled. Try `schedule` or `request`.", "Coming up")]
    preview = AgendaItem(workspace_id=team.workspace_id, team_id=team.id, starts_at=ctx.now, post_at=ctx.now)
    choice = await picking.pick(ctx.session, preview, team, ctx.now)
    pool = (
        await ctx.session.execute(
            POOL_AND_NEXT, {"team_id": team.id, "next_id": choice.moment_id if choice is not None else None}
        )
    ).one()
    waiting = ", ".join(f"{cards.KIND_PLURAL[k]}: {pool._mapping[k]}" for k in picking.TEAM_KINDS)
    sections.append(Section(f"Never featured yet — {waiting}.", "The pool"))
    if choice is not None and pool.id is not None:
        sections.append(Section(f"{cards.moment_line(pool)}\n{choice.reason}", "Next in line"))
    return [Reply(card=Card(title=f"Customer Moment queue · {team.name or 'this channel'}", sections=tuple(sections)))]
