"""The moment inside an online meeting: its card in the meeting chat at start, a question at the end.

A meeting's start counts once per occurrence: its :class:`MeetingOccurrence` row has a unique key, so a
start delivered twice, or to two servers at once, posts one card. A card the chat's meeting series put up
before the meeting is the meeting's moment (only the notification is left to send); otherwise one is
picked at start, from the pool of the team the chat draws from (:mod:`bot.services.pools`). At the end,
an open moment's presenter (or the organizer) is asked once whether it was presented.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import cards
from bot.domain.lifecycle import AGENDA, AgendaState, ending
from bot.events import Incoming, MeetingEvent
from bot.replies import Audience, Button, Card, MeetingAnswer, Reply, Section, say
from bot.services import agenda, picking, pools
from bot.services.context import Context, NotFound, Refused, member_for, note_team_member, resolve
from bot.storage.models import AgendaItem, MeetingOccurrence, Member, Moment, Team

logger = logging.getLogger(__name__)

# A card the chat's series posted for a meeting starting this close to the actual start is that meeting's.
PREPARED_WINDOW = timedelta(hours=1)
PRESENTED_ACTION = "meeting.presented"
NOT_PRESENTED_ACTION = "meeting.not_presented"


async def _context(session: AsyncSession, event: MeetingEvent, now: datetime) -> Context | None:
    actor = event.actor or event.organizer
    if actor is None or event.place.channel_id is None:
        logger.warning("meeting %s event in %s names no one or no chat", _short(event), event.place.workspace_id)
        return None
    return await resolve(session, Incoming(place=event.place, actor=actor), now)


async def started(session: AsyncSession, event: MeetingEvent, now: datetime) -> MeetingAnswer:
    """The meeting started: its moment's card in the chat (unless put up before), and a notification."""
    ctx = await _context(session, event, now)
    if ctx is None or ctx.team is None:
        return MeetingAnswer()
    chat = ctx.team
    if not chat.active:
        logger.info("meeting %s started in chat %s, which the app was removed from", _short(event), chat.id)
        return MeetingAnswer()
    for person in event.attendees:  # the meeting's roster: the chat team's people
        await note_team_member(session, chat, await member_for(session, ctx.workspace, person, now), now)
    organizer = await member_for(session, ctx.workspace, event.organizer, now) if event.organizer else ctx.member
    occurrence = await _claim(session, ctx, event, chat, now)
    if occurrence is None:
        return MeetingAnswer()
    starts_at = event.scheduled_start or now
    prepared = await _prepared(session, chat, starts_at)
    if prepared is not None:
        occurrence.agenda_item_id = prepared.id
        logger.info("meeting %s: agenda item %s was prepared; notifying only", _short(event), prepared.id)
        title = await _title(session, prepared)
        if prepared.post_ref:
            key = agenda.message_key(prepared)
            return MeetingAnswer(notify=True, card_key=key.key, card_ref=dict(prepared.post_ref), title=title)
        card = await agenda.render(session, prepared, chat)
        reply = _in_chat(prepared, chat, card)
        return MeetingAnswer(replies=[reply], notify=True, card_key=reply.message.key if reply.message else None)
    pool = await pools.pool_of(session, chat)
    item = AgendaItem(
        workspace_id=ctx.workspace.id,
        team_id=pool.id,
        series_id=None,
        starts_at=starts_at,
        post_at=now,
        state=AGENDA.start(AgendaState.POSTED),
        organizer_id=organizer.id,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    await session.flush()
    occurrence.agenda_item_id = item.id
    notices = await agenda.fill(session, item, pool, now)
    reply = _in_chat(item, chat, await agenda.render(session, item, pool))
    logger.info(
        "meeting %s started in chat %s: agenda item %s from the pool of team %s",
        _short(event),
        chat.id,
        item.id,
        pool.id,
    )
    return MeetingAnswer(
        replies=[reply, *notices],
        notify=True,
        card_key=reply.message.key if reply.message else None,
        title=await _title(session, item),
    )


async def ended(session: AsyncSession, event: MeetingEvent, now: datetime) -> MeetingAnswer:
    """The meeting ended: an open moment's presenter (or organizer) is asked, once, whether it was shown."""
    ctx = await _context(session, event, now)
    if ctx is None or ctx.team is None:
        return MeetingAnswer()
    occurrence = await session.scalar(_occurrence_query(ctx, event))
    if occurrence is None:
        # A meeting that started before the app was here (or whose start never came): nothing to ask, and a
        # start arriving late for it must not post a card after the meeting.
        logger.info("meeting %s ended in chat %s without a moment", _short(event), ctx.team.id)
        await _claim(session, ctx, event, ctx.team, now, ended_at=now)
        return MeetingAnswer()
    if occurrence.ended_at is not None:
        logger.info("meeting %s: repeated end ignored", _short(event))
        return MeetingAnswer()
    occurrence.ended_at = now
    item = await session.get(AgendaItem, occurrence.agenda_item_id) if occurrence.agenda_item_id else None
    if item is None or not AGENDA.is_open(item.state):
        return MeetingAnswer()
    asked_id = item.presenter_id or item.organizer_id
    asked = await session.get(Member, asked_id) if asked_id is not None else None
    if asked is None:
        logger.info("meeting %s: agenda item %s has no one to ask", _short(event), item.id)
        return MeetingAnswer()
    value, title = str(item.id), await _title(session, item)
    question = Card(
        title="Was the Customer Moment presented?",
        sections=(Section(f"The meeting has ended. {title or 'Its moment'} — was it presented?"),),
        buttons=(
            Button("Presented", PRESENTED_ACTION, value, "primary"),
            Button("Not presented", NOT_PRESENTED_ACTION, value),
        ),
    )
    logger.info("meeting %s ended: asking member %s about agenda item %s", _short(event), asked.id, item.id)
    return MeetingAnswer(replies=[Reply(card=question, audience=Audience.DIRECT, to_member=asked.external_id)])


async def answer(ctx: Context, number: int, *, presented: bool) -> list[Reply]:
    """The presenter's (organizer's, a manager's) answer to the end-of-meeting question."""
    item = await ctx.session.get(AgendaItem, number)
    chat_id = await ctx.session.scalar(
        select(MeetingOccurrence.chat_team_id).where(MeetingOccurrence.agenda_item_id == number)
    )
    if item is None or item.workspace_id != ctx.workspace.id or chat_id is None:
        raise NotFound(f"There is no meeting moment #{number} you can answer for.")
    if not (ctx.is_manager or ctx.member.id in (item.presenter_id, item.organizer_id)):
        raise Refused("Only the presenter, the meeting's organizer or a manager can say whether it was presented.")
    if not AGENDA.is_open(item.state):
        return [say(f"Thanks — it is already marked {cards.AGENDA_STATE[item.state].lower()}.")]
    state = AgendaState.PRESENTED if presented else AgendaState.SKIPPED
    await picking.end_featuring(ctx.session, item, ending(state))
    item.state, item.updated_at = AGENDA.move(item.state, state), ctx.now
    team = await ctx.session.get(Team, item.team_id)
    assert team is not None
    thanks = "Thanks — marked presented." if presented else "Thanks — it goes back to the pool for another time."
    replies = [say(thanks)]
    if item.post_ref:  # the card in the meeting chat shows how it ended
        replies.append(await agenda.card_reply(ctx.session, item, team))
    return replies


async def _claim(
    session: AsyncSession,
    ctx: Context,
    event: MeetingEvent,
    chat: Team,
    now: datetime,
    *,
    ended_at: datetime | None = None,
) -> MeetingOccurrence | None:
    """The occurrence's row, new; None when another delivery of the event (or another server) has it."""
    row = MeetingOccurrence(
        workspace_id=ctx.workspace.id,
        meeting_id=event.meeting_id,
        occurrence=event.occurrence,
        chat_team_id=chat.id,
        started_at=now,
        ended_at=ended_at,
    )
    if await session.scalar(_occurrence_query(ctx, event)) is not None:
        logger.info("meeting %s: repeated start ignored", _short(event))
        return None
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        logger.info("meeting %s: start already taken by another delivery", _short(event))
        return None
    return row


def _occurrence_query(ctx: Context, event: MeetingEvent) -> Select[MeetingOccurrence]:
    return select(MeetingOccurrence).where(
        MeetingOccurrence.workspace_id == ctx.workspace.id,
        MeetingOccurrence.meeting_id == event.meeting_id,
        MeetingOccurrence.occurrence == event.occurrence,
    )


async def _prepared(session: AsyncSession, chat: Team, starts_at: datetime) -> AgendaItem | None:
    """A card the chat's own series already posted for a meeting at about this time, not yet another's."""
    taken = select(MeetingOccurrence.agenda_item_id).where(MeetingOccurrence.agenda_item_id.is_not(None))
    item: AgendaItem | None = await session.scalar(
        select(AgendaItem)
        .where(
            AgendaItem.team_id == chat.id,
            AgendaItem.state == AgendaState.POSTED,
            AgendaItem.starts_at >= starts_at - PREPARED_WINDOW,
            AgendaItem.starts_at <= starts_at + PREPARED_WINDOW,
            AgendaItem.id.not_in(taken),
        )
        .order_by(AgendaItem.starts_at, AgendaItem.id)
        .limit(1)
    )
    return item


def _in_chat(item: AgendaItem, chat: Team, card: Card) -> Reply:
    """The item's card, posted in the meeting chat (whichever team's pool it came from)."""
    return Reply(card=card, audience=Audience.CHANNEL, to_team=chat.external_id, message=agenda.message_key(item))


async def _title(session: AsyncSession, item: AgendaItem) -> str:
    moment = await session.get(Moment, item.moment_id) if item.moment_id is not None else None
    return moment.title if moment is not None else ""


def _short(event: MeetingEvent) -> str:
    """A meeting id for the logs: its tail is enough to trace it, without the whole opaque token."""
    return f"…{event.meeting_id[-12:]}@{event.occurrence}"
