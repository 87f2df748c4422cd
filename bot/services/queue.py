"""The queue view: the channel's meetings still ahead, what waits in its pool, and what the next meeting
features — the moment already picked for it, or, for a series' occurrence not yet prepared, a preview of
what the rotation would pick now (labelled so: it can change until the occurrence is prepared).

Read-only, in a few steps: one statement for the agenda items coming up, one for the series' meetings still
to be prepared (:func:`bot.services.upcoming.unprepared`), the pick (or preview), and one statement for the
pool's counts with the picked moment's line.

In a meeting chat drawing from another team's pool (:mod:`bot.services.pools`), its meetings' moments are
that team's items: they are listed with the chat's own, and the pool shown is the one the next meeting
draws from — the linked team's, unless it is a meeting of a series scheduled in the chat itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Integer,
    ScalarSelect,
    Select,
    Subquery,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    null,
    select,
    union_all,
)

from bot import cards
from bot.domain.lifecycle import OPEN, AgendaState, SeriesState
from bot.replies import Card, Reply, Section
from bot.services import candidates, picking, pools, upcoming
from bot.services.context import Context
from bot.services.views import MOMENT_LINE
from bot.storage import reads
from bot.storage.models import AgendaItem, CalendarFeed, MeetingOccurrence, MeetingSeries, Moment, Team
from bot.storage.parts import one_of, part

# A meeting's item still counts as the channel's current one this long after the meeting started (for
# `done` and `helpful`); the queue shows only meetings that have not started or are under way.
RECENT_WINDOW = timedelta(hours=6)
QUEUE_ITEMS = 5

# The queue's agenda items coming up and its next prepared meeting in one statement, in three parts:
# - ITEMS: the next agenda items that have not started (or are under way), each with its moment's line (NULL
#   when it has none): the channel's own and those of its meetings that live in a linked team's agenda; open
#   ones, and skipped ones (``skipped``), which are still meetings ahead, only without a moment;
# - NEXT_OWN and NEXT_LINKED: the earliest open item that has not started, of the channel's own agenda and of
#   its meetings in a linked agenda, with what the next meeting needs of it (its moment, the reason, its team).
# The series' meetings not prepared yet are read beside it (a prepared one is listed as its item).
# ``number`` is the item's id. Every part has the ITEMS' columns in the same places (``skipped`` right after
# the moment's line).
ITEMS, NEXT_OWN, NEXT_LINKED = 0, 1, 2

# A meeting whose moment was skipped still takes place: the queue lists it, it is never the next to pick for.
LISTED = (*OPEN, AgendaState.SKIPPED)
_own_team = AgendaItem.team_id == bindparam("team_id")
_linked_meeting = and_(
    MeetingOccurrence.chat_team_id == bindparam("team_id"), AgendaItem.team_id != bindparam("team_id")
)
_own = and_(_own_team, one_of(AgendaItem.state, OPEN))
_in_linked = and_(_linked_meeting, one_of(AgendaItem.state, OPEN))
_soonest = (AgendaItem.starts_at, AgendaItem.id)
# When a meeting with no moment yet gets one: its series picks it when it prepares the meeting (the organizer's
# reminder lead, ``early``, before its card is posted) if that is still ahead, else when its card is posted.
# NULL when its card is out already: nothing picks one for it then but a `swap`.
_early = case(
    (AgendaItem.state != AgendaState.SCHEDULED, null()),
    (MeetingSeries.next_start_at <= AgendaItem.starts_at, func.coalesce(MeetingSeries.remind_minutes, 0)),
    else_=0,
)
_item = (
    AgendaItem.id.label("number"),
    AgendaItem.starts_at.label("at"),
    AgendaItem.post_at.label("post_at"),
    _early.label("early"),
)
_series = (MeetingSeries, MeetingSeries.id == AgendaItem.series_id)
_no_moment_line = tuple(null() for _ in MOMENT_LINE)
_item_parts = (AgendaItem.moment_id, AgendaItem.reason, AgendaItem.team_id)
# Typed NULLs: PostgreSQL resolves a union's column types pairwise, and two untyped NULLs make a text column.
_no_item = (
    cast(null(), AgendaItem.moment_id.type).label("moment_id"),
    cast(null(), AgendaItem.reason.type).label("reason"),
    cast(null(), AgendaItem.team_id.type).label("team_id"),
)
_skipped = (AgendaItem.state == AgendaState.SKIPPED).label("skipped")


_next_items = (
    select(*_item, *MOMENT_LINE, _skipped)
    .outerjoin(Moment, Moment.id == AgendaItem.moment_id)
    .outerjoin(*_series)
    .where(_own_team, one_of(AgendaItem.state, LISTED), AgendaItem.starts_at >= bindparam("since"))
    .order_by(*_soonest)
    .limit(QUEUE_ITEMS)
    .subquery()
)
_meeting_items = (
    select(*_item, *MOMENT_LINE, _skipped)
    .join(MeetingOccurrence, MeetingOccurrence.agenda_item_id == AgendaItem.id)
    .outerjoin(Moment, Moment.id == AgendaItem.moment_id)
    .outerjoin(*_series)
    .where(_linked_meeting, one_of(AgendaItem.state, LISTED), AgendaItem.starts_at >= bindparam("since"))
    .order_by(*_soonest)
    .limit(QUEUE_ITEMS)
    .subquery()
)
_next_own = (
    select(*_item, *_item_parts)
    .outerjoin(*_series)
    .where(_own, AgendaItem.starts_at >= bindparam("now"))
    .order_by(*_soonest)
    .limit(1)
).subquery()
_next_linked = (
    select(*_item, *_item_parts)
    .join(MeetingOccurrence, MeetingOccurrence.agenda_item_id == AgendaItem.id)
    .outerjoin(*_series)
    .where(_in_linked, AgendaItem.starts_at >= bindparam("now"))
    .order_by(*_soonest)
    .limit(1)
).subquery()


def _next_part(number: int, item: Subquery) -> Select[*tuple[Any, ...]]:
    """The rows of part ``number``: the one item in ``item``, with what the next meeting needs of it."""
    c = item.c
    return select(
        part(number), c.number, c.at, c.post_at, c.early, *_no_moment_line, false(), c.moment_id, c.reason, c.team_id
    )


_coming_up: CompoundSelect[*tuple[Any, ...]] = union_all(
    select(part(ITEMS), _next_items, *_no_item),
    select(part(ITEMS), _meeting_items, *_no_item),
    _next_part(NEXT_OWN, _next_own),
    _next_part(NEXT_LINKED, _next_linked),
)
COMING_UP = _coming_up.order_by(
    _coming_up.selected_columns.part, _coming_up.selected_columns.at, _coming_up.selected_columns.number
)


@dataclass(frozen=True, slots=True)
class NextUp:
    """The channel's next meeting, read from the queue's rows: a prepared agenda item (its moment, if picked,
    the reason, and ``owner``, the team whose agenda it is in), or a series' occurrence not prepared yet
    (``series_id``); either way, when its moment is picked if it has none yet (``prepare_at``)."""

    starts_at: datetime
    moment_id: int | None = None
    reason: str = ""
    owner: int | None = None
    series_id: int | None = None
    prepare_at: datetime | None = None

    @property
    def prepared(self) -> bool:
        return self.series_id is None


def next_up(rows: Sequence[reads.Record], waiting: Sequence[upcoming.Unprepared]) -> NextUp | None:
    """The earliest meeting that has not started and can take a moment, as
    :func:`bot.services.upcoming.next_meeting` finds it (``waiting``: the series' meetings not prepared yet,
    soonest first), unless a meeting of the chat in a linked agenda comes first or at the same time."""
    first = {row.part: row for row in reversed(rows) if row.part != ITEMS}  # each part's soonest row
    own, linked = first.get(NEXT_OWN), first.get(NEXT_LINKED)
    series = waiting[0] if waiting else None
    meeting: NextUp | None = None
    if series is not None and upcoming.occurrence_first(series.starts_at, own.at if own is not None else None):
        meeting = NextUp(series.starts_at, series_id=series.series.id, prepare_at=series.prepare_at)
    elif own is not None:
        meeting = _prepared(own)
    if linked is not None and (meeting is None or linked.at <= meeting.starts_at):
        meeting = _prepared(linked)
    return meeting


def _prepared(row: reads.Record) -> NextUp:
    return NextUp(
        row.at, moment_id=row.moment_id, reason=row.reason or "", owner=row.team_id, prepare_at=_picked_at(row)
    )


def _picked_at(row: reads.Record) -> datetime | None:
    """When the moment of an agenda item's meeting that has none yet is picked (None: only a `swap` picks it)."""
    post_at: datetime = row.post_at
    return None if row.early is None else post_at - timedelta(minutes=row.early)


def when_picked(picked_at: datetime | None, starts_at: datetime, zone: str, now: datetime) -> str:
    """When a meeting with no moment yet gets one, as the end of a sentence that starts "the moment is"."""
    if picked_at is None or _due(picked_at, now):  # the scheduler picks it on its next round
        return "being picked now"
    hours, minutes = divmod(round((starts_at - picked_at).total_seconds() / 60), 60)
    ahead = " ".join(([f"{hours} h"] if hours else []) + ([f"{minutes} min"] if minutes or not hours else []))
    return f"picked on {cards.local_time(picked_at, zone)}, {ahead} before the meeting"


def _due(picked_at: datetime | None, now: datetime) -> bool:
    return picked_at is None or picked_at <= now


def _never_featured(kind: str) -> ScalarSelect[int]:
    return (
        select(func.count())
        .where(
            Moment.team_id == bindparam("team_id"),
            Moment.kind == kind,
            Moment.times_featured == 0,
            candidates.counted_in_pool(),  # the same whoever wrote an anonymous story
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
    """The channel's meetings still ahead, what waits in the pool, and what the next meeting features:
    one statement for what is coming up, the next meeting's pick (or a preview), then one for the pool."""
    team = ctx.require_team()
    lines = []
    params = {"team_id": team.id, "now": ctx.now, "since": ctx.now - upcoming.UNDER_WAY}
    rows = list(await reads.rows(ctx.session, COMING_UP, params))
    days_off = await upcoming.days_off(ctx.session, [row.number for row in rows if row.part == ITEMS and row.skipped])
    rows = [row for row in rows if not (row.part == ITEMS and row.number in days_off)]
    waiting = await upcoming.unprepared(ctx.session, team, ctx.now)
    listed = 0
    for row in rows:
        if row.part == ITEMS and listed < QUEUE_ITEMS:  # the chat's own and its meetings', soonest first
            listed += 1
            if row.skipped:  # its moment, if it had one, went back to the pool
                what = f"skipped: no moment at this meeting (`undo {row.number}` brings it back)"
            elif row.id is None and (picked_at := _picked_at(row)) is None:
                what = f"no moment: `swap {row.number}` picks one"
            elif row.id is None:
                what = f"no moment yet: it is {when_picked(picked_at, row.at, team.zone, ctx.now)}"
            else:
                what = cards.moment_line(row)
            when = cards.local_time(row.at, team.zone) + (" (under way)" if row.at < ctx.now else "")
            lines.append(f"Agenda #{row.number} · {when} · {what}")
    for found in waiting:  # in the channel's zone, like every other time of the queue
        when = when_picked(found.prepare_at, found.starts_at, team.zone, ctx.now)
        lines.append(
            f"Meeting #{found.series.id} · next on {cards.local_time(found.starts_at, team.zone)} · no moment yet:"
            f" it is {when}"
        )
    sections = [Section("\n".join(lines) or await _nothing_ahead(ctx, team), "Coming up")]
    meeting = next_up(rows, waiting)
    source = await _drawn_from(ctx, team, meeting)
    if meeting is not None and meeting.prepared:
        moment_id, reason = meeting.moment_id, meeting.reason
        heading = f"Next meeting · {cards.local_time(meeting.starts_at, team.zone)}"
        note = reason
    else:
        # Nothing picked yet: what the rotation would pick now, for the next occurrence or a meeting now.
        starts_at = meeting.starts_at if meeting is not None else ctx.now
        preview = AgendaItem(
            workspace_id=source.workspace_id,
            team_id=source.id,
            series_id=meeting.series_id if meeting is not None else None,
            starts_at=starts_at,
            post_at=starts_at,
        )
        choice = await picking.pick(ctx.session, preview, source, ctx.now)
        moment_id = choice.moment_id if choice is not None else None
        reason = choice.reason if choice is not None else ""
        if meeting is None:
            heading, note = "Next in line", reason
        else:
            heading = f"Next meeting · {cards.local_time(meeting.starts_at, team.zone)} · preview"
            note = f"{reason}\n{_preview_note(meeting, team.zone, ctx.now)}"
    (pool,) = await reads.rows(ctx.session, POOL_AND_NEXT, {"team_id": source.id, "next_id": moment_id})
    counts = ", ".join(f"{cards.KIND_PLURAL[k]}: {pool._asdict()[k]}" for k in picking.TEAM_KINDS)
    whose = "The pool" if source.id == team.id else f"The pool of {source.name or 'the linked channel'}"
    sections.append(Section(f"Never featured yet — {counts}.", whose))
    if pool.id is not None:
        sections.append(Section(f"{cards.moment_line(pool)}\n{note}".rstrip(), heading))
    elif meeting is not None and meeting.prepare_at is None:
        sections.append(Section("No moment: `swap` picks one.", heading))
    elif meeting is not None:
        when = when_picked(meeting.prepare_at, meeting.starts_at, team.zone, ctx.now)
        sections.append(Section(f"No moment yet: the moment is {when}. `swap` picks one now.", heading))
    return [Reply(card=Card(title=f"Customer Moment queue · {team.name or 'this channel'}", sections=tuple(sections)))]


async def _nothing_ahead(ctx: Context, team: Team) -> str:
    """Why nothing is coming up: the channel's series that have no meeting ahead (a followed calendar with no
    more meetings, a paused series), else that none is scheduled."""
    found = await ctx.session.execute(
        select(MeetingSeries, CalendarFeed)
        .outerjoin(CalendarFeed, CalendarFeed.series_id == MeetingSeries.id)
        .where(
            MeetingSeries.team_id == team.id,
            (MeetingSeries.state == SeriesState.PAUSED)
            | ((MeetingSeries.state == SeriesState.ACTIVE) & MeetingSeries.next_start_at.is_(None)),
        )
        .order_by(MeetingSeries.id)
    )
    lines = []
    for series, feed in found:
        if series.state == SeriesState.PAUSED:
            lines.append(f"Meeting #{series.id} is paused: `resume {series.id}` brings its moments back.")
        elif feed is not None:
            lines.append(
                f"Meeting #{series.id} follows “{feed.event_title}” from {feed.host}, and that calendar has no more"
                " meetings of it ahead. See `meetings`."
            )
        else:
            lines.append(f"Meeting #{series.id} has no more meetings ahead. See `meetings`.")
    return "\n".join(lines) or "No meetings scheduled. Try `schedule` or `request`."


async def _drawn_from(ctx: Context, team: Team, meeting: NextUp | None) -> Team:
    """The team whose pool the next meeting draws from: its item's, a series' own, or (a meeting now) the
    pool the channel draws from."""
    if meeting is not None and meeting.owner is not None and meeting.owner != team.id:
        found = await ctx.session.get(Team, meeting.owner)
        return found if found is not None else team
    if meeting is not None:
        return team
    return await pools.pool_of(ctx.session, team)


def _preview_note(meeting: NextUp, zone: str, now: datetime) -> str:
    when = when_picked(meeting.prepare_at, meeting.starts_at, zone, now)
    until = " and may still change" if _due(meeting.prepare_at, now) else ", and may change until then"
    return f"A preview: the moment is {when}{until}. `swap` or `skip` settle it now."
