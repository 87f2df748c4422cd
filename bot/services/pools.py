"""Which pool a meeting chat draws from, and which agenda items its meetings own.

A meeting chat is a team of its own; linked (``pool #support``, or from its card: :mod:`bot.services.linking`),
its meetings' moments are agenda items of the linked team, so rotation, featuring history and stats stay the
linked team's. The chat may act on exactly the items of its own meetings, never on the rest of the linked
team's agenda.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cards import MeetingPool
from bot.domain.lifecycle import OPEN, AgendaState, SeriesState
from bot.events import Place
from bot.storage.models import AgendaItem, MeetingChat, MeetingOccurrence, MeetingSeries, Team, Workspace
from bot.storage.upsert import dialect_of, insert_or_ignore

logger = logging.getLogger(__name__)

REQUESTED = "request:"  # the meeting id of a one-off meeting requested in a chat, before its agenda item's id


async def pool_of(session: AsyncSession, chat: Team) -> Team:
    """The team whose pool the chat's meetings draw from: the linked one while it is active, else the chat."""
    link = await session.get(MeetingChat, chat.id)
    if link is None or link.pool_team_id is None:
        return chat
    pool = await session.get(Team, link.pool_team_id)
    return pool if pool is not None and pool.active else chat


async def note_meeting_chat(session: AsyncSession, place: Place, now: datetime) -> None:
    """A meeting event came from ``place``: its team is a meeting chat from now on (once, however often)."""
    if place.direct or not place.channel_id:
        return
    team_id = await session.scalar(
        select(Team.id)
        .join(Workspace, Workspace.id == Team.workspace_id)
        .where(
            Workspace.platform == place.platform,
            Workspace.external_id == place.workspace_id,
            Team.external_id == place.channel_id,
        )
    )
    if team_id is None or await session.get(MeetingChat, team_id) is not None:
        return
    noted = insert_or_ignore(dialect_of(session), MeetingChat, [MeetingChat.team_id])
    await session.execute(noted.values(team_id=team_id, created_at=now))
    logger.info("team %s noted as a meeting chat", team_id)


async def is_meeting_chat(session: AsyncSession, team: Team) -> bool:
    """Whether the team is a meeting's chat: noted so by a meeting event, or one whose meetings had moments."""
    if await session.get(MeetingChat, team.id) is not None:
        return True
    return bool(await session.scalar(select(exists().where(MeetingOccurrence.chat_team_id == team.id))))


async def own_series(session: AsyncSession, chat: Team) -> list[int]:
    """The chat's active meeting series: their meetings' moments come from the chat's own pool, linked or not."""
    return list(
        await session.scalars(
            select(MeetingSeries.id)
            .where(MeetingSeries.team_id == chat.id, MeetingSeries.state == SeriesState.ACTIVE)
            .order_by(MeetingSeries.id)
        )
    )


def hold_request(session: AsyncSession, chat: Team, item: AgendaItem, now: datetime) -> None:
    """A one-off meeting requested in the chat (``request``) whose moment is a linked team's item: it is held
    as one of the chat's meetings, so the chat acts on it and sees its card, as on a started meeting's."""
    session.add(
        MeetingOccurrence(
            workspace_id=chat.workspace_id,
            meeting_id=f"{REQUESTED}{item.id}",
            occurrence=item.starts_at.strftime("%Y-%m-%dT%H:%MZ"),
            chat_team_id=chat.id,
            agenda_item_id=item.id,
            created_at=now,
            started_at=item.starts_at if item.starts_at <= now else None,
        )
    )


_OWNED = select(MeetingOccurrence.id).where(
    MeetingOccurrence.agenda_item_id == bindparam("item_id"), MeetingOccurrence.chat_team_id == bindparam("chat_id")
)


async def owns(session: AsyncSession, chat: Team, item: AgendaItem) -> bool:
    """Whether the item is one of the chat's own: of its team, or the moment of one of its meetings."""
    if item.team_id == chat.id:
        return True
    found = await session.scalar(_OWNED, {"item_id": item.id, "chat_id": chat.id})
    return found is not None


async def open_meeting_item(session: AsyncSession, chat: Team) -> AgendaItem | None:
    """The latest still-open moment of the chat's meetings that lives in a linked team's agenda."""
    return await meeting_item(session, chat)


_linked_items = (
    select(AgendaItem)
    .join(MeetingOccurrence, MeetingOccurrence.agenda_item_id == AgendaItem.id)
    .where(
        MeetingOccurrence.chat_team_id == bindparam("chat_id"),
        AgendaItem.team_id != bindparam("chat_id"),
        AgendaItem.state.in_(bindparam("states", expanding=True)),
    )
)
# The earliest that started since a moment, and the latest of all.
_linked_item_since = (
    _linked_items.where(AgendaItem.starts_at >= bindparam("since"))
    .order_by(AgendaItem.starts_at, AgendaItem.id)
    .limit(1)
)
_linked_item_latest = _linked_items.order_by(AgendaItem.starts_at.desc(), AgendaItem.id.desc()).limit(1)


async def meeting_item(
    session: AsyncSession,
    chat: Team,
    *,
    states: Collection[AgendaState] = OPEN,
    since: datetime | None = None,
) -> AgendaItem | None:
    """A moment of the chat's meetings that lives in a linked team's agenda, in one of ``states``: the
    earliest that started ``since`` then when it is given (the meeting under way or next), else the latest."""
    params: dict[str, object] = {"chat_id": chat.id, "states": list(states)}
    if since is not None:
        item: AgendaItem | None = await session.scalar(_linked_item_since, {**params, "since": since})
    else:
        item = await session.scalar(_linked_item_latest, params)
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


# The meeting chats of agenda items, and the active teams those chats draw from.
_ITEM_CHATS = select(MeetingOccurrence.agenda_item_id, MeetingOccurrence.chat_team_id).where(
    MeetingOccurrence.agenda_item_id.in_(bindparam("item_ids", expanding=True))
)
_CHAT_POOLS = (
    select(MeetingChat.team_id, Team.name)
    .join(Team, Team.id == MeetingChat.pool_team_id)
    .where(MeetingChat.team_id.in_(bindparam("chat_ids", expanding=True)), Team.active.is_(True))
)


async def card_pools(session: AsyncSession, item_ids: Collection[int]) -> dict[int, MeetingPool]:
    """For the items that are online meetings' moments (their cards are in the meeting's chat): which pool
    that chat's meetings draw from, as :func:`pool_of` decides it. One statement for the items, one for
    their chats' links; items of no meeting are left out."""
    if not item_ids:
        return {}
    chats: dict[int, int] = {
        item_id: chat_id
        for item_id, chat_id in await session.execute(_ITEM_CHATS, {"item_ids": list(item_ids)})
        if item_id is not None
    }
    if not chats:
        return {}
    linked: dict[int, str] = {
        chat_id: name for chat_id, name in await session.execute(_CHAT_POOLS, {"chat_ids": list(set(chats.values()))})
    }
    return {
        item_id: MeetingPool(linked_to=(linked[chat_id] or "another channel") if chat_id in linked else None)
        for item_id, chat_id in chats.items()
    }
