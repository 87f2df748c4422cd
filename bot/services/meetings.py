"""Meeting series: scheduling a channel's recurring meeting, pausing, skipping dates, time zones."""

from __future__ import annotations

import itertools
import logging
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, bindparam, select

from bot import cards, forms
from bot.domain import recurrence
from bot.domain.lifecycle import AGENDA, OPEN, SERIES, AgendaState, SeriesState
from bot.domain.validation import Invalid
from bot.replies import Card, Fact, Reply, Section, say
from bot.services import agenda, agenda_card, promises
from bot.services.context import Context, NotFound, Refused
from bot.services.occurrences import advance, next_starts, recurrence_of
from bot.storage.models import AgendaItem, CalendarFeed, MeetingSeries, Moment, Team

logger = logging.getLogger(__name__)

STATE_LABEL = {SeriesState.ACTIVE: "active", SeriesState.PAUSED: "paused", SeriesState.DELETED: "deleted"}
DONE_WORD = {SeriesState.ACTIVE: "Resumed", SeriesState.PAUSED: "Paused", SeriesState.DELETED: "Deleted"}


def describe(
    series: MeetingSeries, now: datetime, *, team_zone: str | None = None, feed: CalendarFeed | None = None
) -> Card:
    """A series' card for `meetings`; a calendar series shows the feed's host and event, never its address."""
    upcoming = next_starts(series, now, 3)
    zone = series.zone
    if feed is not None:
        zone = team_zone or series.zone
        read = cards.local_time(feed.last_read_at, zone) if feed.last_read_at else "not yet"
        when = [Fact("When", f"follows “{feed.event_title}” in the calendar on {feed.host}"), Fact("Last read", read)]
        if feed.last_error:
            when.append(Fact("Calendar problem", feed.last_error))
    else:
        when = [Fact("When", recurrence_of(series).describe())]
    facts = [
        *when,
        Fact("Moment posted", _lead_text(series.lead_minutes)),
        Fact("Status", STATE_LABEL[series.state]),
    ]
    if series.skip_dates:
        facts.append(Fact("Skipped dates", ", ".join(sorted(series.skip_dates)[-5:])))
    if series.state == SeriesState.PAUSED:
        # A paused series gets no moments: its meetings are not presented as coming up.
        sections = (Section(f"None while paused: `resume {series.id}` brings its moments back.", "Next meetings"),)
    else:
        shown = "\n".join(cards.local_time(u, zone) for u in upcoming) or "No more meetings."
        sections = (Section(shown, "Next meetings"),)
    return Card(title=f"Meeting #{series.id}", sections=sections, facts=tuple(facts))


def _lead_text(minutes: int) -> str:
    if minutes == 0:
        return "at the start of the meeting"
    hours, rest = divmod(minutes, 60)
    parts = ([f"{hours} h"] if hours else []) + ([f"{rest} min"] if rest else [])
    return " ".join(parts) + " before"


async def schedule(ctx: Context, text: str) -> list[Reply]:
    team = ctx.require_team()
    ctx.require_manager("schedule meetings")
    if not text.strip():
        return [Reply(form=forms.SCHEDULE)]
    default_zone = _default_zone(team, ctx.incoming.actor.zone)
    local_today = ctx.now.astimezone(recurrence.zone(default_zone)).date()
    spec = recurrence.parse_schedule(text, default_zone=default_zone, today=local_today)
    rec = spec.recurrence
    series = MeetingSeries(
        workspace_id=ctx.workspace.id,
        team_id=team.id,
        organizer_id=ctx.member.id,
        rule=rec.rule,
        at=rec.at.strftime("%H:%M"),
        zone=rec.zone,
        anchor=rec.anchor.isoformat(),
        lead_minutes=int(spec.lead.total_seconds() // 60),
        skip_dates=sorted(d.isoformat() for d in spec.skip),
        state=SERIES.start(SeriesState.ACTIVE),
        created_at=ctx.now,
    )
    advance(series, ctx.now)
    if series.next_start_at is None:
        raise Refused("That schedule has no meetings left in the future.")
    _lead_fits(series)
    await refuse_a_second_ritual(ctx, team, series)
    adopt_zone(team, rec.zone)
    ctx.session.add(series)
    await ctx.session.flush()
    logger.info("series %s scheduled in team %s: %s at %s %s", series.id, team.id, rec.rule, rec.at, rec.zone)
    first = cards.local_time(series.next_start_at, series.zone)
    return [
        Reply(
            text=f"Scheduled: {rec.describe()}. The first meeting is {first}; I'll post the moment"
            f" {_lead_text(series.lead_minutes)}.",
            card=describe(series, ctx.now),
        )
    ]


# Meetings looked at for the shortest time between two of them (a rule's pattern repeats within a few).
GAPS_LOOKED_AT = 12


def _lead_fits(series: MeetingSeries) -> None:
    """Invalid when a moment posted its lead before its meeting would go out before the meeting before it has
    started: two meetings' cards in the channel at once, the second picked before the first was presented."""
    if series.lead_minutes == 0 or series.next_start_at is None:
        return
    starts = [series.next_start_at, *next_starts(series, series.next_start_at, GAPS_LOOKED_AT, skipping=False)]
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    if not gaps or timedelta(minutes=series.lead_minutes) < min(gaps):
        return
    apart = _lead_text(int(min(gaps).total_seconds() // 60)).removesuffix(" before")
    raise Invalid(
        {
            "lead": f"These meetings can be {apart} apart, so a moment posted {_lead_text(series.lead_minutes)} its"
            " meeting would go out before the meeting ahead of it. Choose a lead under"
            f" {apart}, e.g. `lead 30m`."
        }
    )


def _default_zone(team: Team, actor_zone: str) -> str:
    """The zone of a schedule typed without one: the channel's, or, while the channel is still on UTC (never
    set), the zone the platform says the person scheduling is in."""
    if team.zone != UNSET_ZONE or not actor_zone:
        return team.zone
    try:
        return recurrence.zone(actor_zone).key
    except recurrence.UnknownZone:  # a zone the platform named that this machine does not know
        return team.zone


def adopt_zone(team: Team, zone: str) -> None:
    """A channel still on UTC takes the zone of a series it schedules, so that its times read as the meetings'."""
    if team.zone == UNSET_ZONE and zone != UNSET_ZONE:
        team.zone = zone


OVERLAP_HORIZON = 12  # meetings of a new series compared with each existing one


async def refuse_a_second_ritual(ctx: Context, team: Team, series: MeetingSeries) -> None:
    """One moment per meeting: a series that would meet at the same time as one of the channel's is refused.

    Typed series are compared by their rules, calendar series by the meetings their calendar gave them.
    """
    existing = await ctx.session.scalars(
        select(MeetingSeries).where(
            MeetingSeries.team_id == team.id, MeetingSeries.state.in_((SeriesState.ACTIVE, SeriesState.PAUSED))
        )
    )
    ahead = set(next_starts(series, ctx.now, OVERLAP_HORIZON))
    for other in existing:
        if other is series:
            continue
        shared = sorted(ahead.intersection(next_starts(other, ctx.now, OVERLAP_HORIZON * 4)))
        if shared:
            when = cards.local_time(shared[0], other.zone)
            raise Refused(
                f"Meeting #{other.id} already gets a moment at that time ({await _when(ctx, other)};"
                f" next shared meeting {when}). One moment per meeting is enough: `meetings` lists it, and"
                f" `unschedule {other.id}` removes it if this one replaces it."
            )


async def _when(ctx: Context, series: MeetingSeries) -> str:
    """How a series' meetings are described: its rule, or the calendar event it follows (never the address)."""
    if series.feed_occurrences is None:
        return recurrence_of(series).describe()
    feed = await ctx.session.get(CalendarFeed, series.id)
    return f"it follows “{feed.event_title}” in the calendar on {feed.host}" if feed else "it follows a calendar"


async def schedule_form(ctx: Context) -> list[Reply]:
    if not str(ctx.incoming.form_values.get("day") or "").strip():
        raise Invalid({"day": "Pick the day of the week the meeting is on."})
    return await schedule(ctx, forms.schedule_text(ctx.incoming.form_values))


async def _series(ctx: Context, number: int) -> MeetingSeries:
    series = await ctx.session.get(MeetingSeries, number)
    if (
        series is None
        or series.workspace_id != ctx.workspace.id
        or series.state == SeriesState.DELETED
        or (ctx.team is not None and series.team_id != ctx.team.id)
    ):
        raise NotFound(f"There is no meeting #{number} in this channel. `meetings` lists them.")
    return series


async def list_series(ctx: Context) -> list[Reply]:
    team = ctx.require_team()
    rows = (
        await ctx.session.scalars(
            select(MeetingSeries)
            .where(MeetingSeries.team_id == team.id, MeetingSeries.state != SeriesState.DELETED)
            .order_by(MeetingSeries.id)
        )
    ).all()
    if not rows:
        return [say("No meetings scheduled here yet. Try `schedule weekly tue 10:00 Europe/Berlin lead 30m`.")]
    feeds = {
        feed.series_id: feed
        for feed in await ctx.session.scalars(
            select(CalendarFeed).where(CalendarFeed.series_id.in_([series.id for series in rows]))
        )
    }
    return [Reply(card=describe(s, ctx.now, team_zone=team.zone, feed=feeds.get(s.id))) for s in rows]


async def set_state(ctx: Context, number: int, state: SeriesState) -> list[Reply]:
    ctx.require_manager("change meetings")
    series = await _series(ctx, number)
    if series.state == state:
        already = {SeriesState.ACTIVE: "already active", SeriesState.PAUSED: "already paused"}[state]
        return [say(f"Nothing changed: meeting #{series.id} is {already}.")]
    series.state = SERIES.move(series.state, state)
    taken, notices = "", list[Reply]()
    if state == SeriesState.ACTIVE:
        from bot.services.calendars import resumed  # calendars builds on this module

        advance(series, ctx.now)
        back, notices = await _bring_back(ctx, series)
        await _past_ended_meetings(ctx, series)
        taken = resumed(await ctx.session.get(CalendarFeed, series.id), ctx.now) + back
    else:
        why = f"meeting #{series.id} was {'paused' if state == SeriesState.PAUSED else 'removed'}"
        taken, notices = await _take_off(ctx, series, _ahead(series, ctx.now), why=why, skipped=False)
    logger.info("series %s is now %s", series.id, state)
    return [say(f"{DONE_WORD[state]} meeting #{series.id}.{taken}{_state_hint(series)}"), *notices]


def _state_hint(series: MeetingSeries) -> str:
    if series.state == SeriesState.PAUSED:
        return f" No moments are picked or posted for it until `resume {series.id}`."
    if series.state == SeriesState.ACTIVE and series.next_start_at is not None:
        return f" Its next moment is for the meeting on {cards.local_time(series.next_start_at, series.zone)}."
    return ""


def _ahead(series: MeetingSeries, now: datetime, states: tuple[AgendaState, ...] = OPEN) -> Select[AgendaItem]:
    """The series' agenda items in ``states`` (not presented yet, unless told) whose meeting has not started."""
    return (
        select(AgendaItem)
        .where(AgendaItem.series_id == series.id, AgendaItem.state.in_(states), AgendaItem.starts_at > now)
        .order_by(AgendaItem.starts_at, AgendaItem.id)
        .with_for_update()
    )


async def _take_off(
    ctx: Context, series: MeetingSeries, items: Select[AgendaItem], *, why: str, skipped: bool
) -> tuple[str, list[Reply]]:
    """Take the chosen items of a series off the agenda (their moments back to the pool, posted cards updated
    in place, their people told); what the answer adds about them, and the cards and notices."""
    team = await ctx.session.get(Team, series.team_id)
    assert team is not None
    state = AgendaState.SKIPPED if skipped else AgendaState.CANCELLED
    said: list[str] = []
    replies: list[Reply] = []
    told = False
    for item in (await ctx.session.scalars(items)).all():
        posted = agenda_card.in_channel(item)
        had_moment = item.moment_id is not None
        notices = await promises.take_off(
            ctx.session, item, team, state=state, why=why, now=ctx.now, actor_id=ctx.member.id
        )
        told = told or bool(notices)
        if posted:
            replies.append(await agenda_card.card_reply(ctx.session, item, team))
        replies += notices
        when = cards.local_time(item.starts_at, team.zone)
        what = "its moment went back to the pool" if had_moment else "it had no moment yet"
        card = "its card in the channel now says so" if posted else "its card will not be posted"
        said.append(f" The meeting on {when} was already prepared: I took it off the agenda ({what}; {card}).")
    if told:
        said.append(" I let the people it was promised to know.")
    return "".join(said), replies


_ENDED_AT = select(AgendaItem.id).where(
    AgendaItem.series_id == bindparam("series_id"),
    AgendaItem.starts_at == bindparam("starts_at"),
    AgendaItem.state.not_in(OPEN),
)


async def _bring_back(ctx: Context, series: MeetingSeries) -> tuple[str, list[Reply]]:
    """A resumed series' meetings still ahead whose item was taken off while it was paused: each item opens
    again with a fresh pick, and the people it is now promised to are told, as when a moment is first picked
    (the organizer's reminder comes from the scheduler, as ever, for a card not posted yet). What the answer
    adds about them, and the cards and notices."""
    team = await ctx.session.get(Team, series.team_id)
    assert team is not None
    cancelled = (await ctx.session.scalars(_ahead(series, ctx.now, (AgendaState.CANCELLED,)))).all()
    if not cancelled:
        return "", []
    # Only meetings the series still has (not on a skip date, not gone from its calendar).
    meets = set(next_starts(series, ctx.now, OVERLAP_HORIZON * 4))
    said: list[str] = []
    replies: list[Reply] = []
    for item in cancelled:
        if item.starts_at not in meets:
            continue
        posted = item.post_ref is not None
        item.state = AGENDA.reopening(item.state, AgendaState.POSTED if posted else AgendaState.SCHEDULED)
        item.moment_id, item.presenter_id, item.reason = None, None, ""
        item.locked_by, item.locked_until, item.updated_at = None, None, ctx.now
        notices = await agenda.fill(ctx.session, item, team, ctx.now)
        logger.info("series %s resumed: agenda item %s open again with moment %s", series.id, item.id, item.moment_id)
        if posted:
            replies.append(await agenda_card.card_reply(ctx.session, item, team))
            notices += await _organizer_told(ctx, item, team, series)
        replies += notices
        when = cards.local_time(item.starts_at, team.zone)
        what = "with a fresh pick" if item.moment_id is not None else "(nothing to feature yet)"
        out = cards.local_time(max(item.post_at, ctx.now), team.zone)
        card = "its card in the channel shows it again" if posted else f"its card goes to the channel on {out}"
        said.append(f" The meeting on {when} is back on the agenda {what}; {card}.")
    if any(r.to_member is not None for r in replies):
        said.append(" I let the people it is promised to know.")
    return "".join(said), replies


async def _organizer_told(ctx: Context, item: AgendaItem, team: Team, series: MeetingSeries) -> list[Reply]:
    """The organizer of a meeting whose card is back in the channel (no reminder comes for a posted card)."""
    if item.organizer_id is None or item.moment_id is None:
        return []
    moment = await ctx.session.get(Moment, item.moment_id)
    if moment is None:
        return []
    when = cards.local_time(item.starts_at, team.zone)
    what = moment.title or moment.situation[:120]
    text = (
        f"Meeting #{series.id} was resumed, so the meeting on {when} has a Customer Moment again: {what}."
        " Its card in the channel shows it."
    )
    return await promises.direct(ctx.session, {item.organizer_id: text}, ctx.member.id)


async def _past_ended_meetings(ctx: Context, series: MeetingSeries) -> None:
    """A resumed series moves past the meetings whose item already ended for good (skipped or presented;
    one taken off while it was paused is open again by now): their occurrence is not prepared again, so
    the series says truly which meeting gets its next moment."""
    for _ in range(OVERLAP_HORIZON):
        at = series.next_start_at
        if at is None or await ctx.session.scalar(_ENDED_AT, {"series_id": series.id, "starts_at": at}) is None:
            return
        advance(series, at)


async def set_reminder(ctx: Context, number: int, text: str) -> list[Reply]:
    ctx.require_manager("change meetings")
    if not text.strip():
        raise Refused(
            f"How long before the moment is posted should I remind the organizer? e.g. `remind {number} 1d`,"
            f" `remind {number} 2h`, or `remind {number} off`."
        )
    off = text.strip().lower() in ("off", "none", "no", "0")
    minutes = 0 if off else int(recurrence.parse_duration(text.strip()).total_seconds() // 60)
    if minutes > 7 * 24 * 60:
        raise Refused("A reminder can come at most 7 days before the moment is posted.")
    series = await _series(ctx, number)
    if (series.remind_minutes or 0) == minutes:
        if not minutes:
            return [say(f"Nothing changed: meeting #{series.id} has no reminders. `remind {series.id} 1d` adds one.")]
        return [
            say(
                f"Nothing changed: I already DM the organizer of meeting #{series.id} {_lead_text(minutes)} the "
                "moment is posted."
            )
        ]
    series.remind_minutes = minutes
    if series.state == SeriesState.ACTIVE and series.next_post_at is not None:
        series.next_prepare_at = series.next_post_at - timedelta(minutes=minutes)
    if not minutes:
        return [say(f"No more reminders for meeting #{series.id}.")]
    return [say(f"I'll DM the organizer of meeting #{series.id} {_lead_text(minutes)} the moment is posted.")]


async def skip_date(ctx: Context, number: int, text: str) -> list[Reply]:
    ctx.require_manager("change meetings")
    series = await _series(ctx, number)
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise Refused(f"I couldn't read the date '{text.strip()[:30]}'. Use YYYY-MM-DD, e.g. 2026-12-24.") from None
    _check_meeting_day(series, day, ctx.now)
    if day.isoformat() in series.skip_dates:
        return [say(f"Nothing changed: meeting #{series.id} already has no moment on {day.isoformat()}.")]
    series.skip_dates = sorted({*series.skip_dates, day.isoformat()})
    if series.state == SeriesState.ACTIVE:
        advance(series, ctx.now)
    zone = recurrence.zone(series.zone)
    day_start = datetime.combine(day, time(0, 0), zone)
    on_day = _ahead(series, ctx.now).where(
        AgendaItem.starts_at >= day_start,
        AgendaItem.starts_at < datetime.combine(day + timedelta(days=1), time(0, 0), zone),
    )
    why = f"meeting #{series.id} has no moment on {day.isoformat()}"
    taken, notices = await _take_off(ctx, series, on_day, why=why, skipped=True)
    return [say(f"Meeting #{series.id} will have no moment on {day.isoformat()}.{taken}"), *notices]


def _check_meeting_day(series: MeetingSeries, day: date, now: datetime) -> None:
    """A skip date is a day the series meets, still ahead; otherwise say which days it does meet.

    A calendar series meets on the days its calendar gave it (as far ahead as it last read them).
    """
    zone = recurrence.zone(series.zone)
    if day < now.astimezone(zone).date():
        raise Refused(f"{day.isoformat()} has passed; skip a meeting that is still ahead.")
    day_start = datetime.combine(day, time(0, 0), zone)

    def meetings(after: datetime, count: int) -> list[datetime]:
        return next_starts(series, after, count, skipping=False)

    on_day = [d for d in meetings(day_start - timedelta(microseconds=1), 1) if d.astimezone(zone).date() == day]
    if on_day and on_day[0] > now:
        return
    if on_day:
        raise Refused(f"The meeting on {day.isoformat()} has already started; skip a meeting that is still ahead.")
    after = meetings(max(day_start, now), 1)
    since = max(now, day_start - timedelta(days=40))
    before = [d for d in meetings(since, 60) if d < day_start][-1:]
    nearest = [cards.local_time(d, series.zone) for d in (*before, *after)]
    suggestion = f" The nearest: {' or '.join(nearest)}." if nearest else ""
    raise Refused(f"Meeting #{series.id} does not meet on {day.isoformat()} ({day.strftime('%A')}).{suggestion}")


# A channel's zone before anyone set it is "UTC"; UTC chosen on purpose is kept as "Etc/UTC", so that a
# schedule typed without a zone, or a followed calendar, leaves it as chosen.
UNSET_ZONE, CHOSEN_UTC = "UTC", "Etc/UTC"


def zone_name(zone: str) -> str:
    """A channel's zone as people read it."""
    return "UTC" if zone == CHOSEN_UTC else zone


async def show_zone(ctx: Context) -> list[Reply]:
    team = ctx.require_team()
    if team.zone == UNSET_ZONE:
        return [
            say(
                "This channel has no time zone set yet, so its times read in UTC. Managers set one with "
                "`timezone Area/City` (a schedule typed with a zone sets it too)."
            )
        ]
    return [say(f"This channel's time zone is {zone_name(team.zone)}. Managers change it with `timezone Area/City`.")]


async def set_zone(ctx: Context, name: str) -> list[Reply]:
    team: Team = ctx.require_team()
    ctx.require_manager("change the channel's time zone")
    key = recurrence.zone(name.strip()).key
    chosen = CHOSEN_UTC if key in (UNSET_ZONE, CHOSEN_UTC) else key
    if team.zone == chosen:
        return [say(f"Nothing changed: this channel's time zone is already {zone_name(chosen)}.")]
    team.zone = chosen
    return [say(f"This channel's time zone is now {zone_name(chosen)}.")]
