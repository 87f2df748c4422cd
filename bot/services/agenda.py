"""The agenda commands: request a moment for a meeting, and swap / skip / presented / helpful on the item a command
is for (the one numbered, else the channel's meeting under way or next). The item's card is
:mod:`bot.services.agenda_card`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import cards
from bot.domain.lifecycle import AGENDA, OPEN, AgendaState, Outcome, ending
from bot.replies import Reply, Visibility, say
from bot.services import agenda_card, picking, pools, promises, upcoming
from bot.services.context import Context, NotFound, Refused, is_channel_member
from bot.services.queue import RECENT_WINDOW, when_picked
from bot.services.queue import queue as queue  # the agenda commands, `queue` among them, are reached here
from bot.storage.models import AgendaItem, Moment, Team, Vote
from bot.storage.parts import one_of
from bot.storage.upsert import DIALECTS, dialect_of, insert_or_ignore

logger = logging.getLogger(__name__)

# Items whose moment was never shown at a meeting: nothing there to find helpful.
UNSHOWN = (AgendaState.SKIPPED, AgendaState.MISSED, AgendaState.FAILED)


async def fill(
    session: AsyncSession, item: AgendaItem, team: Team, now: datetime, *, batch: picking.Batch | None = None
) -> list[Reply]:
    """Pick and record the moment for a new agenda item; returns the notices to send."""
    choice = await picking.pick(session, item, team, now, batch=batch)
    if choice is None:
        logger.warning("agenda item %s: nothing to feature in team %s", item.id, team.id)
        return []
    moment = await picking.feature(session, item, choice, now)
    return await promises.featured_notices(session, item, team, moment)


async def request(ctx: Context, minutes_from_now: int) -> list[Reply]:
    """A moment for a one-off meeting of the channel, from the pool it draws from (a meeting chat's linked
    one: the item is then that team's, held as one of the chat's meetings, and its card is in the chat)."""
    chat = ctx.require_team()
    team = await pools.pool_of(ctx.session, chat)
    starts_at = ctx.now + timedelta(minutes=minutes_from_now)
    await ctx.session.execute(select(Team.id).where(Team.id == chat.id).with_for_update())  # one request at a time
    existing = await _meeting_at(ctx, chat, team, starts_at)
    if existing is not None:
        return [existing]
    item = AgendaItem(
        workspace_id=ctx.workspace.id,
        team_id=team.id,
        series_id=None,
        starts_at=starts_at,
        post_at=ctx.now,
        state=AGENDA.start(AgendaState.POSTED),
        organizer_id=ctx.member.id,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(item)
    await ctx.session.flush()
    if team.id != chat.id:
        pools.hold_request(ctx.session, chat, item, ctx.now)
        await ctx.session.flush()
    notices = await fill(ctx.session, item, team, ctx.now)
    logger.info("one-off agenda item %s requested by member %s in team %s", item.id, ctx.member.id, team.id)
    return [agenda_card.channel_card(item, chat, await agenda_card.render(ctx.session, item, team)), *notices]


SAME_MEETING = timedelta(minutes=5)  # a request this close to a meeting of the channel is for that meeting
_OPEN_BETWEEN = (
    select(AgendaItem)
    .where(
        AgendaItem.team_id == bindparam("team_id"),
        one_of(AgendaItem.state, OPEN),
        AgendaItem.starts_at.between(bindparam("start"), bindparam("end")),
    )
    .order_by(AgendaItem.starts_at, AgendaItem.id)
    .limit(1)
)


async def _meeting_at(ctx: Context, chat: Team, team: Team, starts_at: datetime) -> Reply | None:
    """The answer to a request for a time at which the channel already has a meeting with a moment (an item
    not presented yet, or a series' occurrence still to be prepared): that meeting's, not a second one."""
    start, end = starts_at - SAME_MEETING, starts_at + SAME_MEETING
    if team.id == chat.id:
        item = await ctx.session.scalar(_OPEN_BETWEEN, {"team_id": team.id, "start": start, "end": end})
    else:
        item = await pools.meeting_item(ctx.session, chat, since=start)
        item = item if item is not None and item.starts_at <= end else None
    if item is not None:
        when = cards.local_time(item.starts_at, chat.zone)
        text = f"A Customer Moment is already on the agenda for the meeting on {when} (agenda item #{item.id})"
        text += ", so I did not add another. `swap` draws a different one."
        if not agenda_card.in_channel(item):
            text += f" Its card goes to the channel on {cards.local_time(item.post_at, chat.zone)}."
        return Reply(text=text, card=await agenda_card.render(ctx.session, item, team))
    for meeting in await upcoming.unprepared(ctx.session, chat, ctx.now):
        if start <= meeting.starts_at <= end:
            when = cards.local_time(meeting.starts_at, chat.zone)
            return say(
                f"Meeting #{meeting.series.id} already gets a Customer Moment for the meeting on {when}, so I did not"
                " add another. `queue` shows the one it will feature; `swap` draws a different one."
            )
    return None


# A channel's open items: the earliest that started since a moment, and the latest of all; and the item it
# presented last.
_open_items = select(AgendaItem).where(AgendaItem.team_id == bindparam("team_id"), one_of(AgendaItem.state, OPEN))
_OPEN_SINCE = (
    _open_items.where(AgendaItem.starts_at >= bindparam("since")).order_by(AgendaItem.starts_at, AgendaItem.id).limit(1)
)
_OPEN_LATEST = _open_items.order_by(AgendaItem.starts_at.desc(), AgendaItem.id.desc()).limit(1)
_PRESENTED_LATEST = (
    select(AgendaItem)
    .where(AgendaItem.team_id == bindparam("team_id"), AgendaItem.state == AgendaState.PRESENTED)
    .order_by(AgendaItem.updated_at.desc(), AgendaItem.id.desc())
    .limit(1)
)


async def find_item(ctx: Context, number: int | None, *, ended_too: bool = False) -> tuple[AgendaItem, Team]:
    if number is not None:
        item = await ctx.session.get(AgendaItem, number)
        # From a DM (or App Home) an item is reachable by number: only people of its channel may act on it. An
        # item that does not exist and one of a channel they are not in get the same answer, so that a
        # private channel's items stay unknown outside it.
        elsewhere = f"There is no agenda item #{number} you can act on here. Try it in the meeting's channel."
        if (
            item is None
            or item.workspace_id != ctx.workspace.id
            or (ctx.team is not None and not await pools.owns(ctx.session, ctx.team, item))
        ):
            raise NotFound(elsewhere if ctx.team is None else f"There is no agenda item #{number} in this channel.")
        if ctx.team is None and not await is_channel_member(ctx, item.team_id):
            logger.info("member %s refused agenda item %s of a team they are not in", ctx.member.id, item.id)
            raise NotFound(elsewhere)
    else:
        team = ctx.require_team()
        since = ctx.now - RECENT_WINDOW
        recent = await ctx.session.scalar(_OPEN_SINCE, {"team_id": team.id, "since": since})
        # A meeting chat drawing from another team's pool: its meetings' moments are that team's items.
        item = _earliest(recent, await pools.meeting_item(ctx.session, team, since=since))
        if item is None:
            item = await ctx.session.scalar(_OPEN_LATEST, {"team_id": team.id})
        if item is None:
            item = await pools.meeting_item(ctx.session, team)
        if item is None and ended_too:
            presented = await ctx.session.scalar(_PRESENTED_LATEST, {"team_id": team.id})
            item = latest_change(
                presented, await pools.meeting_item(ctx.session, team, states=(AgendaState.PRESENTED,))
            )
        if item is None:
            raise NotFound(await _nothing_on_the_agenda(ctx, team))
    team_row = await ctx.session.get(Team, item.team_id)
    assert team_row is not None
    return item, team_row


async def _nothing_on_the_agenda(ctx: Context, team: Team) -> str:
    """Why there is no moment to act on: the channel's next meeting has none picked yet (and when it gets
    one), or no meeting is coming."""
    waiting = await upcoming.unprepared(ctx.session, team, ctx.now)
    if not waiting:
        return "There is no upcoming moment in this channel. `request` gets one for a meeting now."
    first = waiting[0]
    when = when_picked(first.prepare_at, first.starts_at, team.zone, ctx.now)
    steers = ctx.is_manager or first.series.organizer_id == ctx.member.id
    now = "`swap` picks one now" if steers else "its organizer or a manager can pick one now with `swap`"
    return (
        f"The next meeting, on {cards.local_time(first.starts_at, team.zone)}, has no moment yet: it is {when}. "
        f"{now[0].upper()}{now[1:]}; `queue` shows what is coming."
    )


async def next_item(ctx: Context, number: int | None, *, picked: bool) -> tuple[AgendaItem, Team, bool]:
    """The item `swap` or `skip` act on: the one numbered, else the meeting under way or the channel's next
    one — a series' occurrence not prepared yet included, whose item is then created early (with the
    moment the queue previewed when ``picked``, so that a swap swaps *that* one out); True when it was
    created just now, so that nobody was told about it yet."""
    if number is not None:
        return (*await find_item(ctx, number), False)
    team = ctx.require_team()
    meeting = await upcoming.next_meeting(ctx.session, team, ctx.now, under_way=True)
    # A meeting chat drawing from another team's pool: its meeting under way (or next) has that team's item.
    linked = await pools.meeting_item(ctx.session, team, since=ctx.now - upcoming.UNDER_WAY)
    if linked is not None and (meeting is None or linked.starts_at <= meeting.starts_at):
        pool = await ctx.session.get(Team, linked.team_id)
        assert pool is not None
        return linked, pool, False
    if meeting is None:
        skipped = await upcoming.skipped_ahead(ctx.session, team, ctx.now)
        if skipped:
            raise NotFound(
                f"{no_moment(skipped, team.zone)} No other meeting is ahead in this channel. `request` gets a moment"
                " for a meeting now."
            )
        raise NotFound("There is no meeting ahead in this channel. `request` gets one for a meeting now.")
    if meeting.item is not None:
        return meeting.item, team, False
    assert meeting.series is not None
    item, created = await upcoming.prepare_early(ctx.session, meeting.series, meeting.starts_at, ctx.now)
    if item is None:
        raise NotFound("That meeting changed just now. `queue` shows what is next; please try again.")
    if created and picked and item.moment_id is None:
        await fill(ctx.session, item, team, ctx.now)  # its people hear once the swap settles it
    return item, team, created


def no_moment(skipped: Sequence[AgendaItem], zone: str) -> str:
    """That the meetings of ``skipped`` items take place without a moment, and how one gets it back."""
    meetings = [f"{cards.local_time(item.starts_at, zone)} (agenda #{item.id})" for item in skipped]
    if len(meetings) == 1:
        return f"The meeting on {meetings[0]} has no moment: it was skipped (`undo {skipped[0].id}` brings it back)."
    listed = f"{', '.join(meetings[:-1])} and {meetings[-1]}"
    return f"The meetings on {listed} have no moment: they were skipped (`undo <agenda #>` brings one back)."


async def _after_skipped(ctx: Context, number: int | None, item: AgendaItem, command: str) -> list[Reply]:
    """A bare `swap` or `skip` acts on the next meeting that can still take a moment: when a meeting before it
    (under way or ahead) had its moment skipped already, the answer says so first, and which meeting it is for."""
    if number is not None:
        return []
    team = ctx.require_team()
    skipped = await upcoming.skipped_ahead(ctx.session, team, ctx.now, before=item.starts_at)
    if not skipped:
        return []
    when = cards.local_time(item.starts_at, team.zone)
    return [say(f"{no_moment(skipped, team.zone)} This {command} is for the meeting on {when}.")]


def _earliest(*items: AgendaItem | None) -> AgendaItem | None:
    """The item of the earliest meeting among those found."""
    found = [item for item in items if item is not None]
    return min(found, key=lambda item: (item.starts_at, item.id)) if found else None


def latest_change(*items: AgendaItem | None) -> AgendaItem | None:
    """The item changed last among those found."""
    found = [item for item in items if item is not None]
    return max(found, key=lambda item: (item.updated_at, item.id)) if found else None


def _may_steer(ctx: Context, item: AgendaItem, *, presenter_too: bool = False) -> bool:
    return (
        ctx.is_manager or item.organizer_id == ctx.member.id or (presenter_too and item.presenter_id == ctx.member.id)
    )


# How an item cancelled for its followed calendar says why (its reason starts so): a press on an older message
# about it (its reminder, its card) answers with what happened.
CANCELLED_IN_CALENDAR = "The meeting was cancelled in the calendar"
MOVED_IN_CALENDAR = "The calendar moved this meeting"


def _open(item: AgendaItem) -> None:
    if not AGENDA.is_open(item.state):
        said = f"This meeting's moment is already {cards.AGENDA_STATE[item.state].lower()}."
        if item.state is AgendaState.CANCELLED and item.reason.startswith((CANCELLED_IN_CALENDAR, MOVED_IN_CALENDAR)):
            said += f" {item.reason}"
        raise Refused(said)


async def _end(ctx: Context, item: AgendaItem, state: AgendaState) -> None:
    await picking.end_featuring(ctx.session, item, ending(state))
    item.state, item.updated_at = AGENDA.move(item.state, state), ctx.now


async def steered_reply(session: AsyncSession, item: AgendaItem, team: Team, *, posted: bool) -> Reply:
    """The answer to a swap or skip: the channel's card updated when it was ``posted``; else the card to the
    person who steered it, so that a meeting days ahead does not show up in the channel early."""
    if posted:
        return await agenda_card.card_reply(session, item, team)
    when = cards.local_time(item.post_at, team.zone)
    text = f"Its card goes to the channel on {when}." if item.state == AgendaState.SCHEDULED else ""
    return Reply(text=text, card=await agenda_card.render(session, item, team))


async def swap(ctx: Context, number: int | None) -> list[Reply]:
    item, team, created = await next_item(ctx, number, picked=True)
    if not _may_steer(ctx, item):
        raise Refused("Only the meeting's organizer or a manager can swap its moment.")
    _open(item)
    posted = agenda_card.in_channel(item)
    exclude = await picking.swapped_out(ctx.session, item.id)
    if item.moment_id is not None:
        exclude |= {item.moment_id}
    choice = await picking.pick(ctx.session, item, team, ctx.now, exclude=exclude)
    if choice is None:
        raise Refused("There is nothing else to swap in — every option was already swapped out for this meeting.")
    AGENDA.move(item.state, item.state)  # re-picking keeps an open item's state
    before = _told(item, created=created)
    await picking.end_featuring(ctx.session, item, Outcome.SWAPPED)
    moment = await picking.feature(ctx.session, item, choice, ctx.now)
    notices = await promises.featured_notices(ctx.session, item, team, moment)
    why = "it was swapped for another moment"
    notices += await promises.taken_back(ctx.session, item, team, before, why=why, actor_id=ctx.member.id)
    first = await _after_skipped(ctx, number, item, "swap")
    return [*first, await steered_reply(ctx.session, item, team, posted=posted), *notices]


def _told(item: AgendaItem, *, created: bool) -> promises.Promised:
    """What the item promised people so far: nothing when it was ``created`` for this very command."""
    return promises.Promised(None, None, None) if created else promises.promised(item)


async def skip(ctx: Context, number: int | None) -> list[Reply]:
    item, team, created = await next_item(ctx, number, picked=False)
    if not _may_steer(ctx, item):
        raise Refused("Only the meeting's organizer or a manager can skip its moment.")
    _open(item)
    posted = agenda_card.in_channel(item)
    before = _told(item, created=created)
    await _end(ctx, item, AgendaState.SKIPPED)
    why = "it was skipped"
    notices = await promises.taken_back(
        ctx.session, item, team, before, why=why, actor_id=ctx.member.id, taken_off=True
    )
    first = await _after_skipped(ctx, number, item, "skip")
    return [*first, await steered_reply(ctx.session, item, team, posted=posted), *notices]


async def done(ctx: Context, number: int | None) -> list[Reply]:
    item, team = await find_item(ctx, number)
    if not _may_steer(ctx, item, presenter_too=True):
        raise Refused("Only the presenter, the meeting's organizer or a manager can mark it presented.")
    _open(item)
    await _end(ctx, item, AgendaState.PRESENTED)
    return [await agenda_card.card_reply(ctx.session, item, team)]


# A helpful vote, counted once per person and item: the member's id when this one counted, nothing when
# they had voted already.
_VOTE = {
    name: insert_or_ignore(name, Vote, [Vote.agenda_item_id, Vote.member_id])
    .values(agenda_item_id=bindparam("item_id"), member_id=bindparam("member_id"), created_at=bindparam("now"))
    .returning(Vote.member_id)
    for name in DIALECTS
}


async def helpful(ctx: Context, number: int | None) -> list[Reply]:
    item, team = await find_item(ctx, number, ended_too=True)
    if item.moment_id is None or item.state in UNSHOWN:
        raise Refused("There is no moment on that agenda item to vote for.")
    moment = await ctx.session.get(Moment, item.moment_id)
    if moment is not None and moment.author_id == ctx.member.id:
        # For them alone: said where everyone sees it, it would tell whose an anonymous story is.
        yours = "That one is yours, so your vote would not count — the team's 👍 will tell you it helped."
        return [Reply(text=yours, visible_to=Visibility.ACTOR)]
    vote = _VOTE[dialect_of(ctx.session)]
    counted = await ctx.session.scalar(vote, {"item_id": item.id, "member_id": ctx.member.id, "now": ctx.now})
    if counted is None:  # voted before, now or in a concurrent click; for them alone, like "that one is yours"
        return [Reply(text="You already said this one was helpful — thanks!", visible_to=Visibility.ACTOR)]
    return [await agenda_card.card_reply(ctx.session, item, team)]
