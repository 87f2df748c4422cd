"""What the scheduler tells people besides posting cards: the organizer's reminder before a meeting,
and the managers' direct message when a meeting's card could not be posted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cards import local_time
from bot.replies import Audience, Button, Card, Reply, Section
from bot.storage.models import AgendaItem, MeetingSeries, Member, Moment, Team, TeamMember, Workspace


@dataclass(frozen=True, slots=True)
class Outgoing:
    """Replies to send through one workspace's surface (best effort: they are never retried)."""

    platform: str
    workspace_id: str
    channel_id: str | None
    replies: tuple[Reply, ...]


async def reminder(session: AsyncSession, item: AgendaItem, team: Team, series: MeetingSeries) -> list[Reply]:
    """The organizer's heads-up with Swap / Skip, when the series asks for one."""
    if not series.remind_minutes or item.organizer_id is None or item.moment_id is None:
        return []
    organizer = await session.get(Member, item.organizer_id)
    moment = await session.get(Moment, item.moment_id)
    if organizer is None or moment is None:
        return []
    what = moment.title or moment.situation
    what = what if len(what) <= 120 else what[:119] + "…"
    when = local_time(item.starts_at, team.zone)
    card = Card(
        title=f"Coming up: the Customer Moment for {when}",
        sections=(Section(what, "Planned moment"), Section(f"Why: {item.reason}")),
        buttons=(Button("Swap", "agenda.swap", str(item.id)), Button("Skip", "agenda.skip", str(item.id))),
    )
    return [Reply(card=card, audience=Audience.DIRECT, to_member=organizer.external_id)]


async def failure(
    session: AsyncSession, item: AgendaItem, team: Team, workspace: Workspace, *, reason: str, pause: bool
) -> Outgoing | None:
    """A direct message to the team's managers: the card for this meeting could not be posted."""
    people = await managers(session, team)
    when = local_time(item.starts_at, team.zone)
    text = (
        f"I couldn't post the Customer Moment for the meeting on {when} in {team.name or 'your channel'}: "
        f"{reason}." + (" I paused that meeting series; `resume` it once I'm back in the channel." if pause else "")
    )
    replies = tuple(Reply(text=text, audience=Audience.DIRECT, to_member=m.external_id) for m in people)
    return Outgoing(workspace.platform, workspace.external_id, None, replies) if replies else None


async def managers(session: AsyncSession, team: Team) -> list[Member]:
    """The team's managers (and admins), else the workspace's admins."""
    in_team = list(
        await session.scalars(
            select(Member)
            .join(TeamMember, TeamMember.member_id == Member.id)
            .where(TeamMember.team_id == team.id, Member.role.in_(("manager", "admin")))
        )
    )
    if in_team:
        return in_team
    return list(
        await session.scalars(select(Member).where(Member.workspace_id == team.workspace_id, Member.role == "admin"))
    )
