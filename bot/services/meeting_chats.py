"""The moment inside an online meeting: its card in the meeting chat at start, a question at the end.

A meeting's start counts once per occurrence: its :class:`MeetingOccurrence` row has a unique key (and a
start known ahead is claimed by setting ``started_at`` where it is still empty), so a start delivered
twice, or to two servers at once, posts one card. A meeting known ahead has its moment prepared then and
its card posted by the scheduler the chat's lead time before; a card the chat's series put up is the
meeting's moment too. Either way only the notification is left for the start; otherwise a moment is
picked at start, from the pool of the team the chat draws from (:mod:`bot.services.pools`). At the end,
an open moment's presenter (or the organizer) is asked once whether it was presented.

One meeting has one agenda item, whichever way comes first: a meeting read ahead that the chat's series has
next is that series' item, and an item made for a meeting before its series had it (read ahead, made at
start, requested) is adopted by the series (:func:`adopt`), so it moves and is cancelled with its calendar.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import cards
from bot.domain.lifecycle import AGENDA, OPEN, AgendaState, SeriesState, ending
from bot.events import Incoming, MeetingEvent
from bot.replies import Audience, Button, Card, MeetingAnswer, Reply, Section, say
from bot.services import agenda, agenda_card, picking, pools, upcoming
from bot.services.context import Context, NotFound, Refused, member_for, note_team_member, resolve
from bot.storage.models import AgendaItem, MeetingOccurrence, MeetingSeries, Member, Moment, Team

logger = logging.getLogger(__name__)

# A card the chat's series posted for a meeting starting this close to the actual start is that meeting's.
PREPARED_WINDOW = timedelta(hours=1)
DEFAULT_LEAD_MINUTES = 30  # as a new series
PRESENTED_ACTION = "meeting.presented"
NOT_PRESENTED_ACTION = "meeting.not_presented"


async def _context(session: AsyncSession, event: MeetingEvent, now: datetime) -> Context | None:
    actor = event.actor or event.organizer
    if actor is None or event.place.channel_id is None:
        logger.warning("meeting %s event in %s names no one or no chat", _short(event), event.place.workspace_id)
        return None
    return await resolve(session, Incoming(place=event.place, actor=actor), now)


async def ahead(session: AsyncSession, event: MeetingEvent, now: datetime) -> MeetingAnswer:
    """The meeting's start is known before it starts: its moment is picked now and its card goes up the
    chat's lead time before, like a series' (posted by the scheduler). Only for a chat of its own: a chat
    drawing from a channel's pool gets its card at start."""
    ctx = await _context(session, event, now)
    start = event.scheduled_start
    if ctx is None or ctx.team is None or not ctx.team.active or start is None or start <= now:
        return MeetingAnswer()
    chat = ctx.team
    if (await pools.pool_of(session, chat)).id != chat.id:
        logger.info("meeting %s ahead in chat %s: it draws from another pool; card at start", _short(event), chat.id)
        return MeetingAnswer()
    if await session.scalar(_occurrence_query(ctx, event)) is not None:
        return MeetingAnswer()
    organizer = await member_for(session, ctx.workspace, event.organizer, now) if event.organizer else ctx.member
    occurrence = await _insert(session, ctx, event, chat, now, started_at=None)
    if occurrence is None:
        return MeetingAnswer()
    prepared = await _prepared(session, chat, event, start, (AgendaState.SCHEDULED, AgendaState.POSTED))
    if prepared is not None:  # the chat's own series has this meeting already
        occurrence.agenda_item_id = prepared.id
        return MeetingAnswer()
    series_item = await _series_occurrence(session, chat, start, now)
    if series_item is not None:  # the chat's series has this meeting next: its item, prepared early
        occurrence.agenda_item_id = series_item.id
        notices = [] if series_item.moment_id is not None else await agenda.fill(session, series_item, chat, now)
        logger.info(
            "meeting %s ahead in chat %s: agenda item %s of series %s",
            _short(event),
            chat.id,
            series_item.id,
            series_item.series_id,
        )
        return MeetingAnswer(replies=notices)
    post_at = max(now, start - await _lead(session, chat))
    item = _new_item(ctx, chat, organizer, starts_at=start, post_at=post_at, state=AgendaState.SCHEDULED, now=now)
    session.add(item)
    await session.flush()
    occurrence.agenda_item_id = item.id
    notices = await agenda.fill(session, item, chat, now)
    logger.info("meeting %s ahead in chat %s: agenda item %s, posted at %s", _short(event), chat.id, item.id, post_at)
    return MeetingAnswer(replies=notices)


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
    occurrence = await _claim_start(session, ctx, event, chat, now)
    if occurrence is None:
        return MeetingAnswer()
    starts_at = event.scheduled_start or now
    item = await session.get(AgendaItem, occurrence.agenda_item_id) if occurrence.agenda_item_id else None
    if item is None or not AGENDA.is_open(item.state):
        item = await _prepared(session, chat, event, starts_at, (AgendaState.SCHEDULED, AgendaState.POSTED))
    if item is not None:
        occurrence.agenda_item_id = item.id
        return await _point_to(session, event, item, now)
    pool = await pools.pool_of(session, chat)
    item = _new_item(ctx, pool, organizer, starts_at=starts_at, post_at=now, state=AgendaState.POSTED, now=now)
    session.add(item)
    await session.flush()
    occurrence.agenda_item_id = item.id
    notices = await agenda.fill(session, item, pool, now)
    reply = _in_chat(item, chat, await agenda_card.render(session, item, pool))
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


async def _point_to(session: AsyncSession, event: MeetingEvent, item: AgendaItem, now: datetime) -> MeetingAnswer:
    """A meeting whose moment was prepared: point to its card, posting it first if it is not up yet."""
    team = await session.get(Team, item.team_id)
    chat = await session.get(Team, (await _chat_of(session, item)) or item.team_id)
    assert team is not None and chat is not None
    title = await _title(session, item)
    if item.state is AgendaState.SCHEDULED:
        if item.locked_until is not None and item.locked_until > now:
            logger.info("meeting %s: agenda item %s is being posted by the scheduler", _short(event), item.id)
            return MeetingAnswer()
        item.state, item.updated_at = AGENDA.move(item.state, AgendaState.POSTED), now
    elif item.post_ref:
        logger.info("meeting %s: agenda item %s was posted before; notifying only", _short(event), item.id)
        key = agenda_card.message_key(item)
        return MeetingAnswer(notify=True, card_key=key.key, card_ref=dict(item.post_ref), title=title)
    reply = _in_chat(item, chat, await agenda_card.render(session, item, team))
    posted = reply.message.key if reply.message else None
    return MeetingAnswer(replies=[reply], notify=True, card_key=posted, title=title)


def _new_item(
    ctx: Context,
    team: Team,
    organizer: Member,
    *,
    starts_at: datetime,
    post_at: datetime,
    state: AgendaState,
    now: datetime,
) -> AgendaItem:
    return AgendaItem(
        workspace_id=ctx.workspace.id,
        team_id=team.id,
        series_id=None,
        starts_at=starts_at,
        post_at=post_at,
        state=AGENDA.start(state),
        organizer_id=organizer.id,
        created_at=now,
        updated_at=now,
    )


async def _series_occurrence(session: AsyncSession, chat: Team, start: datetime, now: datetime) -> AgendaItem | None:
    """The agenda item of the chat's active series whose next meeting starts at ``start`` (created now if the
    series has not prepared it yet), so that the meeting has one item, which follows the series (and its
    calendar's moves); None when no series of the chat has this meeting next. A series' next meeting is also the
    first after the ones whose moment was skipped ahead of time, as `queue` lists it."""
    found = list(
        await session.scalars(
            select(MeetingSeries)
            .where(
                MeetingSeries.team_id == chat.id,
                MeetingSeries.state == SeriesState.ACTIVE,
                MeetingSeries.next_start_at == start,
            )
            .order_by(MeetingSeries.id)
        )
    )
    found += [
        m.series
        for m in await upcoming.unprepared(session, chat, now)
        if m.starts_at == start and m.series not in found
    ]
    for series in found:
        item, _created = await upcoming.prepare_early(session, series, start, now)
        if item is not None and item.state is AgendaState.SCHEDULED:
            return item
    return None


async def adopt(
    session: AsyncSession, wanted: Sequence[tuple[MeetingSeries, datetime]]
) -> dict[tuple[int, datetime], AgendaItem]:
    """Open agenda items of each series' team at its start that belong to no series (prepared for the meeting
    ahead in its chat, made at its start, or requested) where the series has no item of its own: they become
    the series', which then prepares them instead of making a second one, and moves them with its calendar.
    Returns them by series id and start."""
    if not wanted:
        return {}
    by_place = {(series.team_id, start): series for series, start in wanted}
    own = {
        (series_id, at)
        for series_id, at in await session.execute(
            select(AgendaItem.series_id, AgendaItem.starts_at).where(
                tuple_(AgendaItem.series_id, AgendaItem.starts_at).in_([(s.id, at) for s, at in wanted])
            )
        )
    }
    found = await session.scalars(
        select(AgendaItem)
        .where(
            AgendaItem.series_id.is_(None),
            tuple_(AgendaItem.team_id, AgendaItem.starts_at).in_(list(by_place)),
            AgendaItem.state.in_(OPEN),
        )
        .order_by(AgendaItem.starts_at, AgendaItem.id)
        .with_for_update()
    )
    adopted: dict[tuple[int, datetime], AgendaItem] = {}
    for item in found:
        series = by_place[(item.team_id, item.starts_at)]
        key = (series.id, item.starts_at)
        if key in adopted or key in own:
            continue
        item.series_id = series.id
        if item.state is AgendaState.SCHEDULED and item.post_ref is None:
            item.post_at = item.starts_at - timedelta(minutes=series.lead_minutes)
        adopted[key] = item
        logger.info("series %s: agenda item %s made for its meeting is the series' now", series.id, item.id)
    if adopted:
        await session.flush()
    return adopted


async def _lead(session: AsyncSession, chat: Team) -> timedelta:
    """The chat's lead time: its active series', else the default a new series gets."""
    minutes = await session.scalar(
        select(MeetingSeries.lead_minutes)
        .where(MeetingSeries.team_id == chat.id, MeetingSeries.state == SeriesState.ACTIVE)
        .order_by(MeetingSeries.id)
        .limit(1)
    )
    return timedelta(minutes=minutes if minutes is not None else DEFAULT_LEAD_MINUTES)


async def _chat_of(session: AsyncSession, item: AgendaItem) -> int | None:
    chat_id: int | None = await session.scalar(
        select(MeetingOccurrence.chat_team_id).where(MeetingOccurrence.agenda_item_id == item.id).limit(1)
    )
    return chat_id


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
        await _insert(session, ctx, event, ctx.team, now, started_at=None, ended_at=now)
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
        replies.append(await agenda_card.card_reply(ctx.session, item, team))
    return replies


async def _insert(
    session: AsyncSession,
    ctx: Context,
    event: MeetingEvent,
    chat: Team,
    now: datetime,
    *,
    started_at: datetime | None,
    ended_at: datetime | None = None,
) -> MeetingOccurrence | None:
    """The occurrence's row, new; None when another delivery of the event (or another server) has it."""
    row = MeetingOccurrence(
        workspace_id=ctx.workspace.id,
        meeting_id=event.meeting_id,
        occurrence=event.occurrence,
        chat_team_id=chat.id,
        created_at=now,
        started_at=started_at,
        ended_at=ended_at,
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        logger.info("meeting %s: taken by another delivery of the event", _short(event))
        return None
    return row


async def _claim_start(
    session: AsyncSession, ctx: Context, event: MeetingEvent, chat: Team, now: datetime
) -> MeetingOccurrence | None:
    """The occurrence, its start claimed by this delivery; None when it started (or ended) already."""
    existing = await session.scalar(_occurrence_query(ctx, event))
    if existing is None:
        return await _insert(session, ctx, event, chat, now, started_at=now)
    # Known ahead: the first start to set ``started_at`` wins; a concurrent one finds it set after the
    # winner commits (the row lock makes it wait), so it posts nothing.
    won = await session.execute(
        update(MeetingOccurrence)
        .where(
            MeetingOccurrence.id == existing.id,
            MeetingOccurrence.started_at.is_(None),
            MeetingOccurrence.ended_at.is_(None),
        )
        .values(started_at=now)
        .execution_options(synchronize_session=False)
    )
    if not won.rowcount:  # type: ignore[attr-defined]
        logger.info("meeting %s: repeated start ignored", _short(event))
        return None
    await session.refresh(existing)
    return existing


def _occurrence_query(ctx: Context, event: MeetingEvent) -> Select[MeetingOccurrence]:
    return select(MeetingOccurrence).where(
        MeetingOccurrence.workspace_id == ctx.workspace.id,
        MeetingOccurrence.meeting_id == event.meeting_id,
        MeetingOccurrence.occurrence == event.occurrence,
    )


async def _prepared(
    session: AsyncSession, chat: Team, event: MeetingEvent, starts_at: datetime, states: tuple[AgendaState, ...]
) -> AgendaItem | None:
    """An item for a meeting of the chat at about this time, not another meeting's: its series', one
    prepared ahead for this meeting (found again when the start's details could not be read), or one
    requested in the chat (``request``; a linked chat's lives in the linked team's agenda)."""
    requested = MeetingOccurrence.meeting_id.startswith(pools.REQUESTED)
    taken = select(MeetingOccurrence.agenda_item_id).where(
        MeetingOccurrence.agenda_item_id.is_not(None),
        ~requested,  # a requested moment is held for the chat's next meeting, not taken by it
        (MeetingOccurrence.meeting_id != event.meeting_id) | MeetingOccurrence.started_at.is_not(None),
    )
    held = select(MeetingOccurrence.agenda_item_id).where(MeetingOccurrence.chat_team_id == chat.id, requested)
    item: AgendaItem | None = await session.scalar(
        select(AgendaItem)
        .where(
            (AgendaItem.team_id == chat.id) | AgendaItem.id.in_(held),
            AgendaItem.state.in_(states),
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
    return Reply(card=card, audience=Audience.CHANNEL, to_team=chat.external_id, message=agenda_card.message_key(item))


async def _title(session: AsyncSession, item: AgendaItem) -> str:
    moment = await session.get(Moment, item.moment_id) if item.moment_id is not None else None
    return moment.title if moment is not None else ""


def _short(event: MeetingEvent) -> str:
    """A meeting id for the logs: its tail is enough to trace it, without the whole opaque token."""
    return f"…{event.meeting_id[-12:]}@{event.occurrence}"
