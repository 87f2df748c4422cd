"""Undo `done` or `skip` on the current meeting's item: it goes back to where it was, and so does its history.

Only the latest meeting can be taken back, while it is still the channel's current one, and only by the
people who could have done what is undone. The moment's featuring opens again, so the rotation and the
stats read it as they did before the click, and everyone told it was skipped hears it is back.

An item taken off the agenda by its series (its date skipped with `skipdate`, the series paused or removed)
is not undone: `undo` says so and what to do instead, and changes nothing.
"""

from __future__ import annotations

import logging

from sqlalchemy import bindparam, func, select, update

from bot import cards
from bot.domain import recurrence
from bot.domain.lifecycle import AGENDA, COUNTED, FEATURING, OPEN, AgendaState, Outcome, SeriesState, ending
from bot.replies import Reply, say
from bot.services import agenda, agenda_card, candidates, pools, promises, retraction
from bot.services.context import Context, NotFound, Refused
from bot.services.queue import RECENT_WINDOW
from bot.storage.models import AgendaItem, Featuring, MeetingSeries, Moment, Team

logger = logging.getLogger(__name__)

UNDOABLE = (AgendaState.PRESENTED, AgendaState.SKIPPED)
# Endings looked at by a bare `undo`: the undoable ones, and the items a series took off (never undone).
ENDED = (*UNDOABLE, AgendaState.CANCELLED)
LOOK_BACK = 20  # latest ended items of the channel a bare `undo` reads
NOTHING = "There is nothing to undo: no moment in this channel was marked presented or skipped lately."


async def undo(ctx: Context, number: int | None) -> list[Reply]:
    item, team = await _find(ctx, number)
    taken = await _taken_off(ctx, item)
    if taken is not None:
        raise Refused(f"{taken} Nothing changed.")
    if item.state not in UNDOABLE:
        state = cards.AGENDA_STATE[item.state].lower()
        raise Refused(f"There is nothing to undo on agenda #{item.id}: it is {state}, not presented or skipped.")
    if item.starts_at < ctx.now - RECENT_WINDOW:
        when = cards.local_time(item.starts_at, team.zone)
        raise Refused(f"Only the current meeting can be undone; agenda #{item.id} was for the meeting on {when}.")
    _check_may(ctx, item)
    was = item.state
    back = AgendaState.POSTED if was is AgendaState.PRESENTED or _was_posted(ctx, item) else AgendaState.SCHEDULED
    item.state, item.updated_at = AGENDA.reopening(was, back), ctx.now
    await _reopen_featuring(ctx, item, ending(was))
    logger.info("agenda item %s: %s undone by member %s, back to %s", item.id, was, ctx.member.id, back)
    what = "marked presented" if was is AgendaState.PRESENTED else "skipped"
    replies = [say(f"Undone: agenda #{item.id} is no longer {what}; it is {cards.AGENDA_STATE[back].lower()} again.")]
    left = await _still_featurable(ctx, item)
    if left is not None:
        return [*replies, *left]
    if back is AgendaState.POSTED:
        replies.append(await agenda_card.card_reply(ctx.session, item, team))
    if was is AgendaState.SKIPPED:
        # Everyone the skip told it was skipped hears it is back, and its presenter that they present.
        replies += await promises.put_back(ctx.session, item, team, why="the skip was undone", actor_id=ctx.member.id)
    return replies


async def _find(ctx: Context, number: int | None) -> tuple[AgendaItem, Team]:
    if number is not None:
        return await agenda.find_item(ctx, number, ended_too=True)
    team = ctx.require_team()
    ended = (
        await ctx.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.team_id == team.id, AgendaItem.state.in_(ENDED))
            .order_by(AgendaItem.updated_at.desc(), AgendaItem.id.desc())
            .limit(LOOK_BACK)
        )
    ).all()
    # The latest change that is an undoable ending, or an item its series took off (which is then refused).
    latest: AgendaItem | None = None
    for candidate in ended:
        if candidate.state in UNDOABLE or await _taken_off(ctx, candidate) is not None:
            latest = candidate
            break
    # A meeting chat drawing from another team's pool: its meetings' moments are that team's items.
    item = agenda.latest_change(latest, await pools.meeting_item(ctx.session, team, states=UNDOABLE))
    if item is None:
        raise NotFound(NOTHING)
    taken = await _taken_off(ctx, item)
    if taken is not None:
        raise Refused(taken + await _latest_undoable(ctx, [e for e in ended if e is not item]))
    if item.team_id != team.id:
        pool = await ctx.session.get(Team, item.team_id)
        assert pool is not None
        return item, pool
    return item, team


async def _taken_off(ctx: Context, item: AgendaItem) -> str | None:
    """Why ``item`` cannot be undone because its series took it off the agenda (its date skipped, the series
    paused or removed), with what to do instead; None for any other item."""
    if item.series_id is None or item.state not in (AgendaState.SKIPPED, AgendaState.CANCELLED):
        return None
    series = await ctx.session.get(MeetingSeries, item.series_id)
    if series is None:
        return None
    day = item.starts_at.astimezone(recurrence.zone(series.zone)).date().isoformat()
    rule = "`undo` takes back only `skip` and `done` on the current meeting"
    if day in series.skip_dates:
        return (
            f"Agenda #{item.id} cannot be undone: meeting #{series.id} has no moment on {day} (`skipdate`), and {rule}."
            f" A skipped date stays skipped; for a moment at that meeting after all, `request` posts one for a"
            f" meeting within 24 hours."
        )
    if item.state is not AgendaState.CANCELLED:
        return None
    if series.state == SeriesState.PAUSED:
        return (
            f"Agenda #{item.id} cannot be undone: it was taken off the agenda when meeting #{series.id} was paused,"
            f" and {rule}. `resume {series.id}` gives its meetings still ahead their moments again."
        )
    if series.state == SeriesState.DELETED:
        return (
            f"Agenda #{item.id} cannot be undone: it was taken off the agenda when meeting #{series.id} was removed,"
            f" and {rule}. `schedule` sets up the meeting again."
        )
    return None


async def _latest_undoable(ctx: Context, ended: list[AgendaItem]) -> str:
    """What the refusal adds about the latest item `undo <number>` could still take back, if any."""
    for item in ended:
        if item.state not in UNDOABLE or item.starts_at < ctx.now - RECENT_WINDOW:
            continue
        if await _taken_off(ctx, item) is not None:
            continue
        what = "marking it presented" if item.state is AgendaState.PRESENTED else "its skip"
        return f" Nothing changed. `undo {item.id}` takes back {what} (agenda #{item.id})."
    return " Nothing changed."


def _check_may(ctx: Context, item: AgendaItem) -> None:
    """The people who could do what is undone: anyone who may skip, and for `done` the presenter too."""
    steering = ctx.is_manager or item.organizer_id == ctx.member.id
    if item.state is AgendaState.PRESENTED and not (steering or item.presenter_id == ctx.member.id):
        raise Refused("Only the presenter, the meeting's organizer or a manager can undo marking it presented.")
    if item.state is AgendaState.SKIPPED and not steering:
        raise Refused("Only the meeting's organizer or a manager can undo a skip.")


def _was_posted(ctx: Context, item: AgendaItem) -> bool:
    # A skipped item's card was out if the surface stored where, or once its post time had come.
    return item.post_ref is not None or item.post_at <= ctx.now


async def _reopen_featuring(ctx: Context, item: AgendaItem, ended: Outcome) -> None:
    featuring = await ctx.session.scalar(
        select(Featuring)
        .where(Featuring.agenda_item_id == item.id, Featuring.outcome == ended)
        .order_by(Featuring.id.desc())
        .limit(1)
    )
    if featuring is None:
        return
    featuring.outcome = FEATURING.reopening(featuring.outcome, Outcome.CURRENT)
    await ctx.session.flush()
    moment = await ctx.session.get(Moment, featuring.moment_id)
    if ended is Outcome.SKIPPED and moment is not None and moment.library_key is None:
        # A skip gave the moment back to the pool; undoing it counts the featuring again.
        latest = await ctx.session.scalar(
            select(func.max(Featuring.created_at)).where(
                Featuring.moment_id == moment.id, Featuring.outcome.in_(COUNTED)
            )
        )
        await ctx.session.execute(
            update(Moment)
            .where(Moment.id == moment.id)
            .values(times_featured=Moment.times_featured + 1, last_featured_at=latest)
        )
        await ctx.session.refresh(moment)


_FEATURABLE = select(Moment.id).where(Moment.id == bindparam("moment_id"), candidates.featurable())  # built once


async def _still_featurable(ctx: Context, item: AgendaItem) -> list[Reply] | None:
    """A skipped moment went back to the pool: since then it may have been withdrawn (or its people opted out),
    or picked for another meeting. Then this item picks again rather than show it, or show it twice."""
    if item.moment_id is None:
        return None
    ok = await ctx.session.scalar(_FEATURABLE, {"moment_id": item.moment_id})
    if ok is None:
        why = "the earlier item can no longer be featured"
        left = await retraction.retract(ctx.session, [item.moment_id], why=why, now=ctx.now, actor_id=ctx.member.id)
        return left.replies
    elsewhere = await ctx.session.scalar(
        select(AgendaItem.id).where(
            AgendaItem.moment_id == item.moment_id, AgendaItem.id != item.id, AgendaItem.state.in_(OPEN)
        )
    )
    if elsewhere is None:
        return None
    why = f"the earlier item is on agenda #{elsewhere} now"
    return await retraction.pick_again(ctx.session, item, why=why, now=ctx.now, actor_id=ctx.member.id)
