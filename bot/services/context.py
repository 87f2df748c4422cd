"""Who is acting, where: resolving the workspace, member and team of an incoming event, and roles."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Select, and_, bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.exercises import LIBRARY
from bot.events import Incoming, Person, Standing
from bot.storage import reads
from bot.storage.models import Member, Moment, Team, TeamMember, Workspace

if TYPE_CHECKING:
    from bot.services.calendars import Calendars

logger = logging.getLogger(__name__)

T = TypeVar("T")

ROLES = ("member", "manager", "admin")


class Refused(Exception):
    """The person may not do this, or it cannot be done; the message is shown to them as-is. ``private``: it
    tells something about them that the others where they asked may not know (an anonymous story is theirs,
    a shout-out waiting for review is about them), so it is for them alone (``Visibility.ACTOR``)."""

    def __init__(self, message: str, *, private: bool = False) -> None:
        super().__init__(message)
        self.private = private


class NotFound(Refused):
    pass


@dataclass(slots=True)
class Context:
    session: AsyncSession
    now: datetime
    incoming: Incoming
    workspace: Workspace
    member: Member
    team: Team | None
    calendars: Calendars | None = None  # what following a calendar needs; the core sets it when it has it

    @property
    def is_manager(self) -> bool:
        return self.member.role in ("manager", "admin")

    @property
    def is_admin(self) -> bool:
        return self.member.role == "admin"

    def require_manager(self, what: str) -> None:
        if not self.is_manager:
            raise Refused(
                f"Only managers can {what}. Ask an admin to make you one: `managers add @{self.member.name}`."
            )

    def require_team(self) -> Team:
        if self.team is None:
            raise Refused(
                "Run this in your team's channel: each channel has its own stories, shout-outs, meetings and stats."
            )
        return self.team


async def _insert_or_find(session: AsyncSession, row: T, existing: Select[T]) -> tuple[T, bool]:
    """Insert ``row``; if a concurrent event inserted the same one first, return that one instead.

    Two first events from a new workspace, person or channel (a double click, a burst of commands)
    race to insert the same unique row; the loser reads the winner's row rather than failing.
    """
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        found = await session.scalar(existing)
        if found is None:
            raise
        return found, False
    return row, True


_WORKSPACE, _MEMBER, _TEAM = reads.entity(Workspace), reads.entity(Member), reads.entity(Team)
_MEMBER_AT = len(_WORKSPACE.columns)  # where the member's columns start in a row of _KNOWN, and the team's
_TEAM_AT = _MEMBER_AT + len(_MEMBER.columns)

# Everything an event needs to know about who and where, in one round trip: the workspace, and (when
# known already) the member, the channel's team and whether the member has been seen in that team. Read
# as plain columns and made entities of the session (bot/storage/reads.py), for less than the ORM's
# loading costs: every event starts with this read.
_KNOWN = (
    select(*_WORKSPACE.columns, *_MEMBER.columns, *_TEAM.columns, TeamMember.member_id)
    .select_from(Workspace)
    .outerjoin(Member, and_(Member.workspace_id == Workspace.id, Member.external_id == bindparam("member")))
    .outerjoin(Team, and_(Team.workspace_id == Workspace.id, Team.external_id == bindparam("channel")))
    .outerjoin(TeamMember, and_(TeamMember.team_id == Team.id, TeamMember.member_id == Member.id))
    .where(Workspace.platform == bindparam("platform"), Workspace.external_id == bindparam("workspace"))
)


async def resolve(session: AsyncSession, incoming: Incoming, now: datetime) -> Context:
    """Find or create the workspace, member and team an event comes from."""
    place = incoming.place
    channel = place.channel_id if place.channel_id and not place.direct else ""
    known = await reads.rows(
        session,
        _KNOWN,
        {
            "platform": place.platform,
            "workspace": place.workspace_id,
            "member": incoming.actor.external_id,
            "channel": channel,
        },
    )
    member: Member | None = None
    team: Team | None = None
    noted = False
    if known:
        row = known[0]
        found_workspace = reads.loaded(session, _WORKSPACE, row[:_MEMBER_AT])
        assert found_workspace is not None  # the row is the workspace's
        workspace = found_workspace
        member = reads.loaded(session, _MEMBER, row[_MEMBER_AT:_TEAM_AT])
        team = reads.loaded(session, _TEAM, row[_TEAM_AT:-1])
        noted = row[-1] is not None
    else:
        query = select(Workspace).where(
            Workspace.platform == place.platform, Workspace.external_id == place.workspace_id
        )
        new = Workspace(
            platform=place.platform, external_id=place.workspace_id, name=place.workspace_name[:200], created_at=now
        )
        workspace, created = await _insert_or_find(session, new, query)
        if created:
            await seed_library(session, workspace.id, now)
            logger.info("new workspace %s/%s as id %s", place.platform, place.workspace_id, workspace.id)
    if member is None:
        member = await member_for(session, workspace, incoming.actor, now)
    else:
        _refresh_member(member, incoming.actor)
    if channel:
        if team is None:
            team = await team_for(session, workspace, channel, place.channel_name, now)
        else:
            _refresh_team(team, place.channel_name)
        if not noted:
            await note_team_member(session, team, member, now)
    return Context(session=session, now=now, incoming=incoming, workspace=workspace, member=member, team=team)


async def member_for(session: AsyncSession, workspace: Workspace, person: Person, now: datetime) -> Member:
    query = select(Member).where(Member.workspace_id == workspace.id, Member.external_id == person.external_id)
    existing = await session.scalar(query)
    if existing is None:
        has_members = await session.scalar(
            select(func.count()).select_from(Member).where(Member.workspace_id == workspace.id)
        )
        new = Member(
            workspace_id=workspace.id,
            external_id=person.external_id,
            name=person.name[:120] or person.external_id,
            role="admin" if not has_members or person.platform_admin else "member",
            opted_out=False,
            created_at=now,
        )
        member, _ = await _insert_or_find(session, new, query)
    else:
        member = existing
        _refresh_member(member, person)
    return member


def _refresh_member(member: Member, person: Person) -> None:
    """What the platform says now about a known member: their display name, and admin rights."""
    if person.name and person.name != person.external_id and member.name != person.name[:120]:
        member.name = person.name[:120]
    if person.platform_admin and member.role != "admin":
        member.role = "admin"


def _refresh_team(team: Team, name: str) -> None:
    """A known channel in use again: active (it may have been archived), under its current name."""
    if not team.active:
        team.active = True
    elif name and team.name != name[:200]:
        team.name = name[:200]


async def team_for(session: AsyncSession, workspace: Workspace, channel_id: str, name: str, now: datetime) -> Team:
    query = select(Team).where(Team.workspace_id == workspace.id, Team.external_id == channel_id)
    existing = await session.scalar(query)
    if existing is None:
        new = Team(
            workspace_id=workspace.id,
            external_id=channel_id,
            name=name[:200],
            zone="UTC",
            review_required=False,
            active=True,
            created_at=now,
        )
        team, _ = await _insert_or_find(session, new, query)
        return team
    _refresh_team(existing, name)
    return existing


async def note_team_member(session: AsyncSession, team: Team, member: Member, now: datetime) -> None:
    if await session.get(TeamMember, (team.id, member.id)) is None:
        query = select(TeamMember).where(TeamMember.team_id == team.id, TeamMember.member_id == member.id)
        await _insert_or_find(session, TeamMember(team_id=team.id, member_id=member.id, created_at=now), query)


async def forget_team_members(
    session: AsyncSession, *, platform: str, workspace_id: str, channel_ids: Collection[str], people: Collection[str]
) -> int:
    """These people left these channels of the workspace, or were taken out of them: they are no longer among
    the channels' people (who see what is shared there and act on it). Nothing else of theirs changes, and
    acting in a channel again notes them again. How many memberships ended (none for unknown ones)."""
    if not channel_ids or not people:
        return 0
    workspace = (
        select(Workspace.id)
        .where(Workspace.platform == platform, Workspace.external_id == workspace_id)
        .scalar_subquery()
    )
    teams = select(Team.id).where(Team.workspace_id == workspace, Team.external_id.in_(channel_ids))
    members = select(Member.id).where(Member.workspace_id == workspace, Member.external_id.in_(people))
    ended = await session.execute(
        delete(TeamMember).where(TeamMember.team_id.in_(teams), TeamMember.member_id.in_(members)),
        execution_options={"synchronize_session": False},
    )
    return int(ended.rowcount or 0)  # type: ignore[attr-defined]


async def seed_library(session: AsyncSession, workspace_id: int, now: datetime) -> None:
    """Make sure the workspace has a row for every built-in exercise (new ones arrive with upgrades)."""
    have = set(
        await session.scalars(
            select(Moment.library_key).where(Moment.workspace_id == workspace_id, Moment.library_key.is_not(None))
        )
    )
    for exercise in LIBRARY:
        if exercise.key not in have:
            session.add(
                Moment(
                    workspace_id=workspace_id,
                    team_id=None,
                    kind="exercise",
                    state="approved",
                    library_key=exercise.key,
                    title=exercise.title,
                    situation=exercise.prompt,
                    steps=list(exercise.steps),
                    minutes=exercise.minutes,
                    tags=[exercise.theme],
                    created_at=now,
                )
            )
    await session.flush()


async def find_person(ctx: Context, token: str) -> Member:
    """The member a mention token names: a surface-resolved person, or a member name (console)."""
    person = ctx.incoming.people.get(token)
    if person is not None:
        member = await member_for(ctx.session, ctx.workspace, person, ctx.now)
    else:
        name = token.removeprefix("@").strip()
        found = await ctx.session.scalar(
            select(Member)
            .where(
                Member.workspace_id == ctx.workspace.id,
                (func.lower(Member.name) == name.lower()) | (Member.external_id == name),
            )
            .order_by(Member.id)
            .limit(1)
        )
        if found is None:
            raise NotFound(f"I don't know anyone called {token[:60]} here.")
        member = found
    # Being mentioned in a channel is not being in it: only acting there (or a meeting's roster) notes
    # someone as one of the channel's people, which decides what of the channel they may see and do.
    return member


def not_people(ctx: Context, tokens: Sequence[str], told: Mapping[Standing, str], *, doing: str) -> list[str]:
    """What is wrong with each one named (``tokens``) the platform said is not an active human member, or
    could not be asked about: ``told[standing]`` with ``{name}`` the name the platform gave, else the label
    typed. Logged with ids only, as refused for ``doing``."""
    problems: list[str] = []
    for token in dict.fromkeys(tokens):
        person = ctx.incoming.people.get(token)
        if person is None or person.standing is Standing.MEMBER:
            continue
        name = person.name if person.name and person.name != person.external_id else token
        problem = told[person.standing].format(name=name[:60])
        logger.info("refused to name %s (%s) %s", person.external_id, person.standing.value, doing)
        if problem not in problems:
            problems.append(problem)
    return problems


async def is_channel_member(ctx: Context, team_id: int) -> bool:
    """Whether the actor is one of the team's channel's people: seen acting there or on its meeting's roster
    (and not seen leaving since)."""
    return await ctx.session.get(TeamMember, (team_id, ctx.member.id)) is not None
