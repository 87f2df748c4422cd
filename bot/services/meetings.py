"""Meeting series: scheduling a channel's recurring meeting, pausing, skipping dates, time zones."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from bot import cards, forms
from bot.domain import calendar, recurrence
from bot.replies import Card, Fact, Reply, Section, say
from bot.services.context import Context, NotFound, Refused
from bot.storage.models import CalendarFeed, MeetingSeries, Team

logger = logging.getLogger(__name__)


def recurrence_of(series: MeetingSeries) -> recurrence.Recurrence:
    return recurrence.Recurrence(
        rule=series.rule, at=time.fromisoformat(series.at), zone=series.zone, anchor=date.fromisoformat(series.anchor)
    )


def skip_dates(series: MeetingSeries) -> frozenset[date]:
    return frozenset(date.fromisoformat(d) for d in series.skip_dates)


def next_starts(series: MeetingSeries, after: datetime, count: int) -> list[datetime]:
    """The series' next ``count`` meeting starts after ``after``: from its rule, or from its calendar."""
    if series.feed_occurrences is not None:
        skip = {d.isoformat() for d in skip_dates(series)}
        found = calendar.decode(series.feed_occurrences)
        starts = [o.start for o in found if o.start > after and _local_day(o.start, o.zone) not in skip]
        return starts[:count]
    return recurrence_of(series).occurrences(after, count=count, skip=skip_dates(series))


def _local_day(instant: datetime, zone: str) -> str:
    return instant.astimezone(recurrence.zone(zone)).date().isoformat()


def advance(series: MeetingSeries, after: datetime) -> None:
    """Set the series' next meeting start (and post time) to the first occurrence after ``after``."""
    upcoming = next_starts(series, after, 1)
    if not upcoming:
        series.next_start_at = series.next_post_at = series.next_prepare_at = None
        return
    series.next_start_at = upcoming[0]
    series.next_post_at = upcoming[0] - timedelta(minutes=series.lead_minutes)
    series.next_prepare_at = series.next_post_at - timedelta(minutes=series.remind_minutes or 0)


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
        Fact("Status", {"active": "active", "paused": "paused"}.get(series.state, series.state)),
    ]
    if series.skip_dates:
        facts.append(Fact("Skipped dates", ", ".join(sorted(series.skip_dates)[-5:])))
    sections = (
        Section("\n".join(cards.local_time(u, zone) for u in upcoming) or "No more meetings.", "Next meetings"),
    )
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
    local_today = ctx.now.astimezone(recurrence.zone(team.zone)).date()
    spec = recurrence.parse_schedule(text, default_zone=team.zone, today=local_today)
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
        state="active",
        created_at=ctx.now,
    )
    advance(series, ctx.now)
    if series.next_start_at is None:
        raise Refused("That schedule has no meetings left in the future.")
    if team.zone == "UTC" and rec.zone != "UTC":
        team.zone = rec.zone
    ctx.session.add(series)
    await ctx.session.flush()
    logger.info("series %s scheduled in team %s: %s at %s %s", series.id, team.id, rec.rule, rec.at, rec.zone)
    return [
        Reply(
            text=f"Scheduled: {rec.describe()}. I'll post the moment {_lead_text(series.lead_minutes)}.",
            card=describe(series, ctx.now),
        )
    ]


async def schedule_form(ctx: Context) -> list[Reply]:
    return await schedule(ctx, forms.schedule_text(ctx.incoming.form_values))


async def _series(ctx: Context, number: int) -> MeetingSeries:
    series = await ctx.session.get(MeetingSeries, number)
    if (
        series is None
        or series.workspace_id != ctx.workspace.id
        or series.state == "deleted"
        or (ctx.team is not None and series.team_id != ctx.team.id)
    ):
        raise NotFound(f"There is no meeting #{number} in this channel. `meetings` lists them.")
    return series


async def list_series(ctx: Context) -> list[Reply]:
    team = ctx.require_team()
    rows = (
        await ctx.session.scalars(
            select(MeetingSeries)
            .where(MeetingSeries.team_id == team.id, MeetingSeries.state != "deleted")
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


async def set_state(ctx: Context, number: int, state: str) -> list[Reply]:
    ctx.require_manager("change meetings")
    series = await _series(ctx, number)
    series.state = state
    if state == "active":
        advance(series, ctx.now)
    words = {"active": "Resumed", "paused": "Paused", "deleted": "Deleted"}
    logger.info("series %s is now %s", series.id, state)
    return [say(f"{words[state]} meeting #{series.id}.")]


async def set_reminder(ctx: Context, number: int, text: str) -> list[Reply]:
    ctx.require_manager("change meetings")
    off = text.strip().lower() in ("off", "none", "no", "0")
    minutes = 0 if off else int(recurrence.parse_duration(text.strip()).total_seconds() // 60)
    if minutes > 7 * 24 * 60:
        raise Refused("A reminder can come at most 7 days before the moment is posted.")
    series = await _series(ctx, number)
    series.remind_minutes = minutes
    if series.state == "active" and series.next_post_at is not None:
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
    series.skip_dates = sorted({*series.skip_dates, day.isoformat()})
    if series.state == "active":
        advance(series, ctx.now)
    return [say(f"Meeting #{series.id} will have no moment on {day.isoformat()}.")]


async def set_zone(ctx: Context, name: str) -> list[Reply]:
    team: Team = ctx.require_team()
    ctx.require_manager("change the channel's time zone")
    zone = recurrence.zone(name.strip())
    team.zone = zone.key
    return [say(f"This channel's time zone is now {zone.key}.")]
