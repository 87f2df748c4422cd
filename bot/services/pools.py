"""Which pool a meeting chat draws from, and which agenda items its meetings own.

A meeting chat is a team of its own; linked (``pool #support``), its meetings' moments are agenda items
of the linked team, so rotation, featuring history and stats stay the linked team's. The chat may act on
exactly the items of its own meetings, never on the rest of the linked team's agenda.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.lifecycle import OPEN
from bot.replies import Reply, say
from bot.services.context import Context, NotFound, Refused
from bot.storage.models import AgendaItem, MeetingChat, MeetingOccurrence, Team, TeamMember

logger = logging.getLogger(__name__)

OFF = ("off", "none", "own")


async def pool_of(session: AsyncSession, chat: Team) -> Team:
    """The team whose pool the chat's meetings draw from: the linked one while it is active, else the chat."""
    link = await session.get(MeetingChat, chat.id)
    if link is None or link.pool_team_id is None:
        return chat
    pool = await session.get(Team, link.pool_team_id)
    return pool if pool is not None and pool.active else chat


async def owns(session: AsyncSession, chat: Team, item: AgendaItem) -> bool:
    """Whether the item is one of the chat's own: of its team, or the moment of one of its meetings."""
    if item.team_id == chat.id:
        return True
    found = await session.scalar(
        select(MeetingOccurrence.id).where(
            MeetingOccurrence.agenda_item_id == item.id, MeetingOccurrence.chat_team_id == chat.id
        )
    )
    return found is not None


async def open_meeting_item(session: AsyncSession, chat: Team) -> AgendaItem | None:
    """The latest still-open moment of the chat's meetings that lives in a linked team's agenda."""
    item: AgendaItem | None = await session.scalar(
        select(AgendaItem)
        .join(MeetingOccurrence, MeetingOccurrence.agenda_item_id == AgendaItem.id)
        .where(
            MeetingOccurrence.chat_team_id == chat.id,
            AgendaItem.team_id != chat.id,
            AgendaItem.state.in_(OPEN),
        )
        .order_by(AgendaItem.starts_at.desc(), AgendaItem.id.desc())
        .limit(1)
    )
    return item


async def link(ctx: Context, text: str) -> list[Reply]:
    """``pool`` (which pool this chat's meetings draw from), ``pool #channel`` (link it), ``pool off``."""
    chat = ctx.require_team()
    wanted = text.strip()
    row = await ctx.session.get(MeetingChat, chat.id)
    if not wanted:
        pool = await pool_of(ctx.session, chat)
        if pool.id == chat.id:
            return [say("This chat's meetings draw from its own pool. `pool #channel` draws from a channel's instead.")]
        return [say(f"This chat's meetings draw from the pool of {pool.name or 'another channel'}.")]
    if wanted.lower() in OFF:
        if row is not None and row.pool_team_id is not None:
            row.pool_team_id, row.linked_by = None, ctx.member.id
            logger.info("meeting chat %s unlinked by member %s", chat.id, ctx.member.id)
        return [say("This chat's meetings now draw from its own pool.")]
    pool = await _named_team(ctx, wanted)
    if pool.id == chat.id:
        raise Refused("That is this chat itself. `pool off` makes it draw from its own pool.")
    if not ctx.is_admin and await ctx.session.get(TeamMember, (pool.id, ctx.member.id)) is None:
        # Linking shows the pool's stories in this chat: only someone of that channel may decide so.
        raise Refused(f"Only people of {pool.name or 'that channel'} can make a meeting draw from its pool.")
    if row is None:
        ctx.session.add(MeetingChat(team_id=chat.id, pool_team_id=pool.id, linked_by=ctx.member.id, created_at=ctx.now))
    else:
        row.pool_team_id, row.linked_by = pool.id, ctx.member.id
    logger.info("meeting chat %s draws from team %s (member %s)", chat.id, pool.id, ctx.member.id)
    return [say(f"This chat's meetings now draw their Customer Moment from the pool of {pool.name}.")]


def _names(team: Team) -> set[str]:
    """What a channel may be called in ``pool #…``: its whole name, or its last part (``Team › Support``)."""
    whole = team.name.strip().lower().lstrip("#").strip()
    return {whole, whole.rsplit("›", 1)[-1].strip()} - {""}


async def _named_team(ctx: Context, wanted: str) -> Team:
    name = wanted.strip().lower().lstrip("#").strip()
    teams = await ctx.session.scalars(
        select(Team).where(Team.workspace_id == ctx.workspace.id, Team.active.is_(True)).order_by(Team.id)
    )
    found = [team for team in teams if name in _names(team)]
    if not found:
        raise NotFound(f"I don't know a channel called {wanted[:60]} here. Add me to it first.")
    if len(found) > 1:
        listed = ", ".join(team.name for team in found[:5])
        raise Refused(f"More than one channel is called that ({listed}); use its full name.")
    return found[0]
