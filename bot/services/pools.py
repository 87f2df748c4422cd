"""Which pool a meeting chat draws from, and which agenda items its meetings own.

A meeting chat is a team of its own; linked (``pool #support``, or from its card: :mod:`bot.services.linking`),
its meetings' moments are agenda items of the linked team, so rotation, featuring history and stats stay the
linked team's. The chat may act on exactly the items of its own meetings, never on the rest of the linked
team's agenda.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cards import MeetingPool
from bot.domain.lifecycle import OPEN
from bot.storage.models import AgendaItem, MeetingChat, MeetingOccurrence, Team

logger = logging.getLogger(__name__)


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


async def latest_meeting_item(session: AsyncSession, chat: Team) -> AgendaItem | None:
    """The moment of the chat's latest meeting whose card is up in the chat, open or not."""
    item: AgendaItem | None = await session.scalar(
        select(AgendaItem)
        .join(MeetingOccurrence, MeetingOccurrence.agenda_item_id == AgendaItem.id)
        .where(MeetingOccurrence.chat_team_id == chat.id, AgendaItem.post_ref.is_not(None))
        .order_by(AgendaItem.starts_at.desc(), AgendaItem.id.desc())
        .limit(1)
    )
    return item


async def card_pools(session: AsyncSession, item_ids: Collection[int]) -> dict[int, MeetingPool]:
    """For the items that are online meetings' moments (their cards are in the meeting's chat): which pool
    that chat's meetings draw from, as :func:`pool_of` decides it. One statement for the items, one for
    their chats' links; items of no meeting are left out."""
    if not item_ids:
        return {}
    chats: dict[int, int] = {
        item_id: chat_id
        for item_id, chat_id in await session.execute(
            select(MeetingOccurrence.agenda_item_id, MeetingOccurrence.chat_team_id).where(
                MeetingOccurrence.agenda_item_id.in_(item_ids)
            )
        )
        if item_id is not None
    }
    if not chats:
        return {}
    linked: dict[int, str] = {
        chat_id: name
        for chat_id, name in await session.execute(
            select(MeetingChat.team_id, Team.name)
            .join(Team, Team.id == MeetingChat.pool_team_id)
            .where(MeetingChat.team_id.in_(set(chats.values())), Team.active.is_(True))
        )
    }
    return {
        item_id: MeetingPool(linked_to=(linked[chat_id] or "another channel") if chat_id in linked else None)
        for item_id, chat_id in chats.items()
    }
