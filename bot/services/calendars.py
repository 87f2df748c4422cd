"""Meeting series that follow a calendar feed: starting to follow one, and applying what a later read found.

The feed address is a secret (whoever has it can read the calendar): it is stored encrypted, shown only
as its host and never logged. After a read the series' meetings ahead are the calendar's: moved meetings
move their agenda items, cancelled ones cancel them, restored ones open them again, and the end of the
meetings (or Google's split of the event in two) is told to the organizer. Everyone told about a meeting the
calendar cancels or moves (the organizer, whose reminder offered Swap and Skip; the presenter; the moment's
author) hears what changed; a posted card is updated in place. Agenda items are keyed by series and start, so
a feed that changes back and forth never makes a card go out twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import cards, grammar
from bot.domain import calendar, recurrence
from bot.domain.lifecycle import AGENDA, OPEN, SERIES, AgendaState, SeriesState, ending
from bot.domain.validation import Invalid
from bot.ports import CalendarFetcher, FeedUnavailable
from bot.replies import Audience, Reply
from bot.secrets import SecretBox, SecretUnreadable
from bot.services import agenda, agenda_card, meeting_chats, picking, promises
from bot.services.context import Context, Refused
from bot.services.meetings import adopt_zone, describe, refuse_a_second_ritual
from bot.services.occurrences import advance
from bot.storage.models import AgendaItem, CalendarFeed, MeetingSeries, Member, Moment, Team

logger = logging.getLogger(__name__)

HORIZON = timedelta(days=120)  # how far ahead a series knows its meetings
LOOK_BACK = timedelta(days=7)  # a meeting moved to a time already past is still found (and not called cancelled)
REFRESH_EVERY = timedelta(minutes=15)
KEEP_GOING_FOR = timedelta(days=7)  # a failing feed's known meetings are kept this long, then the series pauses
MAX_LISTED = 10


@dataclass(frozen=True, slots=True)
class Calendars:
    """What following calendars needs from outside the core: the network and the encryption keys."""

    fetcher: CalendarFetcher
    box: SecretBox | None  # None when ENCRYPTION_KEY is not set: following is then refused


def host_of(url: str) -> str:
    return calendar.mask_url(url).split("://", 1)[-1].removesuffix("/…")


def _titles(found: tuple[calendar.FeedEvent, ...]) -> list[str]:
    lines = [f"• {event.title}" + ("" if event.recurring else " (once)") for event in found[:MAX_LISTED]]
    if len(found) > MAX_LISTED:
        lines.append(f"… and {len(found) - MAX_LISTED} more; words from the title narrow them down.")
    return lines


def _refuse(ctx: Context, field: str, text: str, *, in_form: str | None = None) -> NoReturn:
    """Refuse a follow: next to the form's ``field`` (worded ``in_form`` there), or as an answer to the command."""
    if ctx.incoming.form_id is not None:
        raise Invalid({field: in_form or text})
    raise Refused(text)


def _unfollowable(ctx: Context, args: grammar.FollowArgs, exc: calendar.CalendarError) -> NoReturn:
    """A calendar that cannot be followed as asked: what to do, for the command or for the form."""
    if isinstance(exc, calendar.Ambiguous):
        listed = "\n".join(_titles(exc.candidates))
        _refuse(
            ctx,
            "match",
            "That calendar has several events. Which one is your meeting? Send the same command again with "
            f"`match <words from its title>` at the end:\n{listed}",
            in_form=f"That calendar has several events. Type words from your meeting's title here:\n{listed}",
        )
    if isinstance(exc, calendar.NoMatch):
        listed = "\n".join(_titles(exc.found)) or "(none)"
        in_form = f"No event in that calendar has “{args.match}” in its title. Its events:\n{listed}"
        _refuse(ctx, "match", str(exc), in_form=in_form)
    _refuse(ctx, "match" if args.match else "feed", str(exc))


def _choose(
    body: bytes, match: str | None, *, now: datetime, default_zone: str
) -> tuple[calendar.FeedEvent, list[calendar.Occurrence], bytes]:
    """The event to follow, its meetings ahead and its own entries: pure work on the feed, off the event loop."""
    feed = calendar.read(body)
    chosen = calendar.pick(calendar.events(feed), match)
    upcoming = calendar.occurrences(feed, chosen.uid, start=now, end=now + HORIZON, default_zone=default_zone)
    return chosen, upcoming, calendar.extract(feed, chosen.uid)


async def follow(ctx: Context, calendars: Calendars | None, args: grammar.FollowArgs) -> list[Reply]:
    """``schedule from <feed URL> [match <text>]``: make a series that follows one event of the feed.

    From the schedule form, a calendar that cannot be followed is refused next to the form's field, so the
    form stays with what was typed in it.
    """
    team = ctx.require_team()
    ctx.require_manager("schedule meetings")
    if calendars is None or calendars.box is None:
        _refuse(ctx, "feed", "Following a calendar is not set up on this server yet (it needs ENCRYPTION_KEY).")
    problem = calendars.fetcher.refusal(args.url)
    if problem:
        _refuse(ctx, "feed", problem)
    lead = recurrence.parse_duration(args.lead) if args.lead else recurrence.DEFAULT_LEAD
    if not timedelta(0) <= lead <= recurrence.MAX_LEAD:
        _refuse(ctx, "lead", "The lead time must be between 0 and 7 days, e.g. `lead 30m`.")
    try:
        fetched = await calendars.fetcher.fetch(args.url)
    except FeedUnavailable as exc:
        _refuse(ctx, "feed", str(exc))
    try:
        chosen, upcoming, entries = await asyncio.to_thread(
            _choose, fetched.body, args.match, now=ctx.now, default_zone=team.zone
        )
    except calendar.CalendarError as exc:
        _unfollowable(ctx, args, exc)
    if not upcoming:
        _refuse(
            ctx, "match" if args.match else "feed", f"“{chosen.title}” has no meetings in the next {HORIZON.days} days."
        )
    first = upcoming[0]
    local = first.start.astimezone(ZoneInfo(first.zone))
    series = MeetingSeries(
        workspace_id=ctx.workspace.id,
        team_id=team.id,
        organizer_id=ctx.member.id,
        rule="",
        at=local.strftime("%H:%M"),
        zone=first.zone,
        anchor=local.date().isoformat(),
        lead_minutes=int(lead.total_seconds() // 60),
        skip_dates=[],
        state=SERIES.start(SeriesState.ACTIVE),
        feed_occurrences=calendar.encode(upcoming),
        created_at=ctx.now,
    )
    advance(series, ctx.now)
    try:
        await refuse_a_second_ritual(ctx, team, series)
    except Refused as exc:
        _refuse(ctx, "feed", str(exc))
    adopt_zone(team, first.zone)
    ctx.session.add(series)
    await ctx.session.flush()
    row = CalendarFeed(
        series_id=series.id,
        workspace_id=ctx.workspace.id,
        url_ciphertext=calendars.box.seal(args.url),
        host=host_of(args.url),
        event_uid=chosen.uid,
        event_title=chosen.title,
        event_ics=entries.decode(),
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        last_read_at=ctx.now,
        last_error="",
        next_refresh_at=ctx.now + REFRESH_EVERY,
        created_at=ctx.now,
    )
    ctx.session.add(row)
    logger.info("series %s in team %s follows a calendar on %s", series.id, team.id, row.host)
    text = f"Meeting #{series.id} now follows “{chosen.title}” from {row.host}. I read the calendar every 15 minutes."
    return [Reply(text=text, card=describe(series, ctx.now, team_zone=team.zone, feed=row))]


# -- applying a read ---------------------------------------------------------------------------------


def _dm(member: Member | None, text: str) -> list[Reply]:
    return [] if member is None else [Reply(text=text, audience=Audience.DIRECT, to_member=member.external_id)]


async def _items_since(session: AsyncSession, series: MeetingSeries, since: datetime) -> list[AgendaItem]:
    return list(
        await session.scalars(
            select(AgendaItem)
            .where(AgendaItem.series_id == series.id, AgendaItem.starts_at > since)
            .order_by(AgendaItem.starts_at, AgendaItem.id)
            .with_for_update()
        )
    )


async def _cancel(
    session: AsyncSession, item: AgendaItem, team: Team, *, reason: str, why: str, now: datetime
) -> list[Reply]:
    """Cancel a meeting's item for the calendar. Returns the direct messages to everyone it was promised to
    (the organizer, whose reminder's Swap and Skip no longer apply; the presenter; the moment's author)."""
    before = promises.promised(item)
    await picking.end_featuring(session, item, ending(AgendaState.CANCELLED))  # its moment goes back
    item.state = AGENDA.move(item.state, AgendaState.CANCELLED)
    item.reason, item.updated_at = reason, now
    item.locked_by, item.locked_until = None, None
    if before.moment_id is None:  # nothing was promised to anyone yet
        return []
    return await promises.taken_back(session, item, team, before, why=why, actor_id=None, taken_off=True)


async def _moved(session: AsyncSession, item: AgendaItem, team: Team, was: datetime, now: datetime) -> list[Reply]:
    """The direct messages about a meeting the calendar moved, to everyone told its old time: the organizer
    (whose reminder named it), the presenter and the moment's author (and a shout-out's people)."""
    moment = await session.get(Moment, item.moment_id) if item.moment_id is not None else None
    if moment is None:
        return []
    old, new = cards.local_time(was, team.zone), cards.local_time(item.starts_at, team.zone)
    moved = f"The meeting on {old} was moved in the calendar to {new}"
    # A card not up yet for a meeting moved to a time already past never goes up: its moment goes back.
    gone = item.post_ref is None and item.starts_at <= now
    if gone:
        moved += ", a time already past"
    texts: dict[int, str] = {}
    if moment.library_key is None:
        label = cards.KIND_LABEL[moment.kind].lower()
        featured = (
            f"your {label} #{moment.id} is not featured then; it goes back to the pool and may be picked for a"
            " later meeting."
            if gone
            else f"your {label} #{moment.id} is its Customer Moment then."
        )
        if moment.author_id is not None:
            texts[moment.author_id] = f"{moved}: {featured}"
        for member_id in await promises.recognised(session, moment):
            about = "is not featured then" if gone else "is featured then"
            texts.setdefault(member_id, f"{moved}: the shout-out about you {about}.")
    if item.presenter_id is not None:
        texts.setdefault(
            item.presenter_id,
            f"{moved}: " + ("there is no moment to present." if gone else "you present its Customer Moment then."),
        )
    if item.organizer_id is not None:
        if gone:
            told = f"{moved}, so no card goes up for it; its moment goes back to the pool."
        else:
            card = _card_note(item, team, now, posted="Its card in the channel shows the new time.")
            told = f"{moved}. Its Customer Moment moves with it: {moment.title or moment.situation[:120]}. {card}"
        texts.setdefault(item.organizer_id, told)
    return await promises.direct(session, texts, None)


def _card_note(item: AgendaItem, team: Team, now: datetime, *, posted: str) -> str:
    """What the organizer hears of the item's card: ``posted`` when it is in the channel, else when it goes."""
    if item.post_ref is not None:
        return posted
    return f"Its card goes to the channel on {cards.local_time(max(item.post_at, now), team.zone)}."


async def _restore(
    session: AsyncSession, item: AgendaItem, series: MeetingSeries, team: Team, organizer: Member | None, now: datetime
) -> list[Reply]:
    """A meeting whose item was cancelled is in the calendar again: the item opens again with a fresh pick.

    Returns the notices to send: the organizer's, and those of the people whose item is picked.
    """
    item.state = AGENDA.reopening(
        item.state, AgendaState.POSTED if item.post_ref is not None else AgendaState.SCHEDULED
    )
    item.moment_id, item.reason, item.locked_by, item.locked_until = None, "", None, None
    item.post_at, item.updated_at = item.starts_at - timedelta(minutes=series.lead_minutes), now
    notices = await agenda.fill(session, item, team, now)
    logger.info("series %s: agenda item %s open again, its meeting back in the calendar", series.id, item.id)
    moment = await session.get(Moment, item.moment_id) if item.moment_id is not None else None
    picked = f" Its moment: {moment.title or moment.situation[:120]}." if moment is not None else ""
    card = _card_note(item, team, now, posted="Its card in the channel shows it again.")
    when = cards.local_time(item.starts_at, team.zone)
    text = f"The meeting on {when} (meeting #{series.id}) is back in the calendar, so it has a Customer Moment again."
    return [*_dm(organizer, f"{text}{picked} {card}"), *notices]


def _on_skip_date(series: MeetingSeries, occurrence: calendar.Occurrence) -> bool:
    return occurrence.start.astimezone(ZoneInfo(occurrence.zone)).date().isoformat() in series.skip_dates


async def apply_read(
    session: AsyncSession, row: CalendarFeed, series: MeetingSeries, team: Team, *, body: bytes | None, now: datetime
) -> list[Reply]:
    """A successful read (``body`` None: unchanged since the last one). Returns the card updates and
    direct messages to send.

    Afterwards the series' meetings ahead are the calendar's: a moved meeting's item moves with it (to a
    time already past, too), a cancelled or removed meeting's item is cancelled, a meeting back in the
    calendar gets its item back, and each other meeting ahead is prepared in turn.

    Raises :class:`calendar.CalendarError` when the feed no longer serves the event.
    """
    # Parsing a big feed takes a while: in a thread, so that the process answers other requests meanwhile.
    reading = await asyncio.to_thread(
        calendar.reread,
        body if body is not None else row.event_ics.encode(),
        row.event_uid,
        row.event_title,
        now=now,
        start=now - LOOK_BACK,
        end=now + HORIZON,
        default_zone=team.zone,
    )
    row.last_error = ""
    notices: list[Reply] = []
    if body is not None or reading.continued:
        row.event_ics = reading.entries.decode()
    fresh = [o for o in reading.occurrences if o.start >= now]
    organizer = await session.get(Member, series.organizer_id) if series.organizer_id is not None else None
    if reading.continued:
        notices += _dm(organizer, _continued(row, series, team, fresh))
        logger.info("series %s follows the continuation of its calendar event", series.id)
        row.event_uid = reading.uid
    if not fresh:
        row.last_error = f"The calendar has no meetings of this event in the next {HORIZON.days} days."
        if series.feed_occurrences:  # it had some at the last read: say so once
            notices += _dm(organizer, _ended(row, series))
            logger.info("series %s: its calendar event has no more meetings", series.id)
    known = {o.start: o.original for o in calendar.decode(series.feed_occurrences or [])}
    by_original = {o.original: o for o in reading.occurrences}
    updates: list[Reply] = []
    # An item made for one of these meetings before the series had it (ahead in its meeting chat, at its
    # start, requested) is the series' item: it moves and is cancelled with the calendar too.
    await meeting_chats.adopt(session, [(series, start) for start in known if start > now])
    items = await _items_since(session, series, now - LOOK_BACK)
    by_start = {item.starts_at: item for item in items}
    noticed = cards.local_time(now, team.zone)
    for item in items:
        if item.starts_at <= now or item.state not in OPEN:
            continue
        occurrence = by_original.get(known.get(item.starts_at, item.starts_at))
        if occurrence is None:
            notices += await _cancel(
                session,
                item,
                team,
                reason=f"{agenda.CANCELLED_IN_CALENDAR} (noticed {noticed}).",
                why=f"the meeting was cancelled in the calendar (noticed {noticed})",
                now=now,
            )
            logger.info("series %s: agenda item %s cancelled by the calendar", series.id, item.id)
        elif occurrence.start == item.starts_at:
            continue
        elif occurrence.start in by_start:  # moved onto another meeting of the series, which has its own item
            when = cards.local_time(occurrence.start, team.zone)
            notices += await _cancel(
                session,
                item,
                team,
                reason=f"{agenda.MOVED_IN_CALENDAR} to {when}, onto another meeting of this series, which keeps"
                " its own moment; this one went back to the pool.",
                why=f"the calendar moved the meeting to {when}, onto another meeting of this series, which keeps"
                " its own moment",
                now=now,
            )
            logger.info("series %s: agenda item %s merged into another meeting by the calendar", series.id, item.id)
        else:
            was = item.starts_at
            del by_start[item.starts_at]
            by_start[occurrence.start] = item
            item.starts_at, item.updated_at = occurrence.start, now
            item.post_at = occurrence.start - timedelta(minutes=series.lead_minutes)
            notices += await _moved(session, item, team, was, now)
            logger.info("series %s: agenda item %s moved by the calendar", series.id, item.id)
        if item.post_ref is not None:
            updates.append(await agenda_card.card_reply(session, item, team))
    series.feed_occurrences = calendar.encode(fresh)
    if series.state == SeriesState.ACTIVE:
        for occurrence in fresh:
            held = by_start.get(occurrence.start)
            if (
                held is not None
                and held.state == AgendaState.CANCELLED
                and occurrence.start not in known  # the calendar had cancelled it (not a pause)
                and not _on_skip_date(series, occurrence)
            ):
                notices += await _restore(session, held, series, team, organizer, now)
                if held.post_ref is not None:
                    updates.append(await agenda_card.card_reply(session, held, team))
        _next_unprepared(series, fresh, set(by_start))
    return [*updates, *notices]


def _continued(row: CalendarFeed, series: MeetingSeries, team: Team, fresh: list[calendar.Occurrence]) -> str:
    since = f" from {cards.local_time(fresh[0].start, team.zone)} on" if fresh else ""
    return (
        f"“{row.event_title}” was changed in the calendar on {row.host}{since}, which made it a new event there."
        f" Meeting #{series.id} follows the new event now, so its moments go on; nothing to do."
    )


def _ended(row: CalendarFeed, series: MeetingSeries) -> str:
    return (
        f"The calendar on {row.host} has no more meetings of “{row.event_title}” (none in the next {HORIZON.days}"
        f" days), so meeting #{series.id} has no moments coming. If the meeting goes on as another event in your"
        f" calendar, follow that one with `schedule from <address> match <words from its title>` (or the schedule"
        f" form's “Follow my calendar”) and remove this one with `unschedule {series.id}`."
    )


def _next_unprepared(series: MeetingSeries, fresh: list[calendar.Occurrence], prepared: set[datetime]) -> None:
    """The series' next meeting to prepare: the calendar's first one ahead with no agenda item yet."""
    for occurrence in fresh:
        if occurrence.start in prepared or _on_skip_date(series, occurrence):
            continue
        series.next_start_at = occurrence.start
        series.next_post_at = occurrence.start - timedelta(minutes=series.lead_minutes)
        series.next_prepare_at = series.next_post_at - timedelta(minutes=series.remind_minutes or 0)
        return
    series.next_start_at = series.next_post_at = series.next_prepare_at = None


async def apply_failure(
    session: AsyncSession, row: CalendarFeed, series: MeetingSeries, *, problem: str, now: datetime
) -> list[Reply]:
    """A read that failed: one DM to the organizer at first, another when the series pauses after 7 days."""
    row.last_error = problem[:500]
    row.failing_since = row.failing_since or now
    organizer = await session.get(Member, series.organizer_id) if series.organizer_id is not None else None
    about = f"meeting #{series.id} (“{row.event_title}” from {row.host})"
    fix = (
        "If the calendar's address changed or was reset, follow it again with `schedule from <new address>` "
        f"and remove the old series with `unschedule {series.id}`."
    )
    if row.warned_at is None:
        row.warned_at = now
        logger.warning("series %s: calendar on %s cannot be read", series.id, row.host)
        return _dm(
            organizer,
            f"I can't read the calendar of {about}: {problem} I'll keep the meetings I already know for up to "
            f"{KEEP_GOING_FOR.days} days. {fix}",
        )
    if series.state == SeriesState.ACTIVE and now - row.failing_since >= KEEP_GOING_FOR:
        series.state = SERIES.move(series.state, SeriesState.PAUSED)
        logger.warning("series %s paused: calendar on %s unreadable for a week", series.id, row.host)
        return _dm(
            organizer,
            f"I still can't read the calendar of {about} ({problem}), so I paused it. {fix} "
            f"Once the calendar can be read again, `resume {series.id}`.",
        )
    return []


def resumed(row: CalendarFeed | None, now: datetime) -> str:
    """A series resumed while its calendar cannot be read: it is read again at once and has a fresh window
    before it pauses again. Returns what the resume's confirmation adds (nothing for a readable calendar)."""
    if row is None or row.failing_since is None:
        return ""
    row.failing_since, row.warned_at, row.next_refresh_at = now, now, now
    return (
        f" Its calendar could not be read at the last try: {row.last_error.rstrip('.')}. I'll read it again"
        f" shortly; while it still fails, the series keeps the meetings it knows for {KEEP_GOING_FOR.days} more days,"
        " then pauses again. If the calendar's address changed, follow it with `schedule from <new address>`."
    )


def read_succeeded(row: CalendarFeed, *, etag: str | None, last_modified: str | None, now: datetime) -> None:
    """After :func:`apply_read`: the feed can be read (what it said of the event is in ``last_error``)."""
    row.etag, row.last_modified, row.last_read_at = etag, last_modified, now
    row.failing_since, row.warned_at = None, None


def feed_url(box: SecretBox, row: CalendarFeed) -> str | None:
    """The decrypted address, or None when no key opens it (the keys were changed without the old one)."""
    try:
        return box.open(row.url_ciphertext)
    except SecretUnreadable:
        logger.error("series %s: its calendar address cannot be decrypted with ENCRYPTION_KEY", row.series_id)
        return None
