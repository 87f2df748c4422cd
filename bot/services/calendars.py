"""Meeting series that follow a calendar feed: starting to follow one, and applying what a later read found.

The feed address is a secret (whoever has it can read the calendar): it is stored encrypted, shown only
as its host and never logged. A read that changes the calendar moves the agenda items of moved meetings
and cancels those of cancelled ones; agenda items are keyed by series and start, so a feed that changes
back and forth never makes a card go out twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import grammar
from bot.domain import calendar, recurrence
from bot.domain.lifecycle import AGENDA, OPEN, SERIES, AgendaState, SeriesState, ending
from bot.ports import CalendarFetcher, FeedUnavailable
from bot.replies import Audience, Reply, say
from bot.secrets import SecretBox, SecretUnreadable
from bot.services import agenda, picking
from bot.services.context import Context, Refused
from bot.services.meetings import advance, describe, refuse_a_second_ritual
from bot.storage.models import AgendaItem, CalendarFeed, MeetingSeries, Member, Team

logger = logging.getLogger(__name__)

HORIZON = timedelta(days=120)  # how far ahead a series knows its meetings
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


def _describe_choices(found: tuple[calendar.FeedEvent, ...]) -> str:
    lines = [f"• {event.title}" + ("" if event.recurring else " (once)") for event in found[:MAX_LISTED]]
    if len(found) > MAX_LISTED:
        lines.append(f"… and {len(found) - MAX_LISTED} more; `match` narrows them down.")
    return (
        "That calendar has several events. Which one is your meeting? Send the same command again with "
        "`match <words from its title>` at the end:\n" + "\n".join(lines)
    )


async def follow(ctx: Context, calendars: Calendars | None, args: grammar.FollowArgs) -> list[Reply]:
    """``schedule from <feed URL> [match <text>]``: make a series that follows one event of the feed."""
    team = ctx.require_team()
    ctx.require_manager("schedule meetings")
    if calendars is None or calendars.box is None:
        raise Refused("Following a calendar is not set up on this server yet (it needs ENCRYPTION_KEY).")
    problem = calendars.fetcher.refusal(args.url)
    if problem:
        raise Refused(problem)
    lead = recurrence.parse_duration(args.lead) if args.lead else recurrence.DEFAULT_LEAD
    if not timedelta(0) <= lead <= recurrence.MAX_LEAD:
        raise Refused("The lead time must be between 0 and 7 days, e.g. `lead 30m`.")
    try:
        fetched = await calendars.fetcher.fetch(args.url)
        feed = calendar.read(fetched.body)
        chosen = calendar.pick(calendar.events(feed), args.match)
        upcoming = calendar.occurrences(feed, chosen.uid, start=ctx.now, end=ctx.now + HORIZON, default_zone=team.zone)
    except calendar.Ambiguous as exc:
        return [say(_describe_choices(exc.candidates))]
    except (FeedUnavailable, calendar.CalendarError) as exc:
        raise Refused(str(exc)) from None
    if not upcoming:
        raise Refused(f"“{chosen.title}” has no meetings in the next {HORIZON.days} days.")
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
    await refuse_a_second_ritual(ctx, team, series)
    ctx.session.add(series)
    await ctx.session.flush()
    row = CalendarFeed(
        series_id=series.id,
        workspace_id=ctx.workspace.id,
        url_ciphertext=calendars.box.seal(args.url),
        host=host_of(args.url),
        event_uid=chosen.uid,
        event_title=chosen.title,
        event_ics=calendar.extract(feed, chosen.uid).decode(),
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


async def _open_items(session: AsyncSession, series: MeetingSeries, now: datetime) -> list[AgendaItem]:
    return list(
        await session.scalars(
            select(AgendaItem)
            .where(AgendaItem.series_id == series.id, AgendaItem.starts_at > now)
            .order_by(AgendaItem.starts_at)
            .with_for_update()
        )
    )


async def apply_read(
    session: AsyncSession, row: CalendarFeed, series: MeetingSeries, team: Team, *, body: bytes | None, now: datetime
) -> list[Reply]:
    """A successful read (``body`` None: unchanged since the last one). Returns card updates to send.

    Raises :class:`calendar.CalendarError` when the feed no longer serves the event.
    """
    feed = calendar.read(body if body is not None else row.event_ics.encode())
    fresh = calendar.occurrences(feed, row.event_uid, start=now, end=now + HORIZON, default_zone=team.zone)
    if body is not None:
        row.event_ics = calendar.extract(feed, row.event_uid).decode()
    known = {o.start: o.original for o in calendar.decode(series.feed_occurrences or [])}
    by_original = {o.original: o for o in fresh}
    updates: list[Reply] = []
    prepared: set[datetime] = set()
    items = await _open_items(session, series, now)
    taken = {item.starts_at for item in items}
    for item in items:
        original = known.get(item.starts_at, item.starts_at)
        prepared.add(original)
        if item.state not in OPEN:
            continue
        occurrence = by_original.get(original)
        if occurrence is not None and occurrence.start != item.starts_at and occurrence.start in taken:
            occurrence = None  # moved onto another meeting of the series that already has its moment
        if occurrence is None:
            await picking.end_featuring(session, item, ending(AgendaState.CANCELLED))  # its moment goes back
            item.state = AGENDA.move(item.state, AgendaState.CANCELLED)
            item.reason, item.updated_at = "The meeting was cancelled in the calendar.", now
            logger.info("series %s: agenda item %s cancelled by the calendar", series.id, item.id)
        elif occurrence.start != item.starts_at:
            taken.discard(item.starts_at)
            taken.add(occurrence.start)
            item.starts_at, item.updated_at = occurrence.start, now
            item.post_at = occurrence.start - timedelta(minutes=series.lead_minutes)
            logger.info("series %s: agenda item %s moved by the calendar", series.id, item.id)
        else:
            continue
        if item.post_ref is not None:
            updates.append(await agenda.card_reply(session, item, team))
    series.feed_occurrences = calendar.encode(fresh)
    if series.state == SeriesState.ACTIVE:
        _next_unprepared(series, fresh, prepared)
    return updates


def _next_unprepared(series: MeetingSeries, fresh: list[calendar.Occurrence], prepared: set[datetime]) -> None:
    skip = set(series.skip_dates)
    for occurrence in fresh:
        if occurrence.original in prepared:
            continue
        if occurrence.start.astimezone(ZoneInfo(occurrence.zone)).date().isoformat() in skip:
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


def read_succeeded(row: CalendarFeed, *, etag: str | None, last_modified: str | None, now: datetime) -> None:
    row.etag, row.last_modified, row.last_read_at = etag, last_modified, now
    row.last_error, row.failing_since, row.warned_at = "", None, None


def feed_url(box: SecretBox, row: CalendarFeed) -> str | None:
    """The decrypted address, or None when no key opens it (the keys were changed without the old one)."""
    try:
        return box.open(row.url_ciphertext)
    except SecretUnreadable:
        logger.error("series %s: its calendar address cannot be decrypted with ENCRYPTION_KEY", row.series_id)
        return None
