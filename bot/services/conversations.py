"""Where surfaces may post unasked: the references they keep per channel (:class:`bot.ports.Conversations`).

A reference lives in the ``conversation`` column of the channel's team row, opaque to the core. It is
written when the app is installed in a channel or someone talks to the bot there, and dropped — with
the team marked inactive — when the app is removed. Each method is one short transaction of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.events import Incoming, Person, Place
from bot.replies import agenda_id
from bot.services.context import resolve
from bot.storage.engine import Transaction
from bot.storage.models import AgendaItem, Team, Workspace

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]
Clock = Callable[[], datetime]


def _teams(platform: str, workspace_id: str) -> Select[Team]:
    return (
        select(Team)
        .join(Workspace, Workspace.id == Team.workspace_id)
        .where(Workspace.platform == platform, Workspace.external_id == workspace_id)
    )


class StoredConversations:
    """The core's implementation of :class:`bot.ports.Conversations`, on the teams table."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def install(self, place: Place, installer: Person, reference: JsonDict) -> None:
        if place.channel_id is None or place.direct:
            return
        async with Transaction(self._sessions) as session:
            ctx = await resolve(session, Incoming(place=place, actor=installer), self._clock())
            assert ctx.team is not None
            ctx.team.conversation = dict(reference)
            ctx.team.active = True
        logger.info("%s: installed in %s/%s", place.platform, place.workspace_id, place.channel_id)

    async def stored(self, *, platform: str, workspace_id: str, channel_id: str) -> JsonDict | None:
        async with self._sessions() as session:
            team = await session.scalar(_teams(platform, workspace_id).where(Team.external_id == channel_id))
            return dict(team.conversation) if team is not None and team.conversation else None

    async def keep(self, *, platform: str, workspace_id: str, channel_id: str, reference: JsonDict) -> bool:
        async with Transaction(self._sessions) as session:
            team = await session.scalar(_teams(platform, workspace_id).where(Team.external_id == channel_id))
            if team is None:
                return False
            team.conversation = dict(reference)
        logger.info("%s: conversation reference of %s/%s stored", platform, workspace_id, channel_id)
        return True

    async def kept(self, *, platform: str, workspace_id: str) -> dict[str, JsonDict]:
        async with self._sessions() as session:
            teams = await session.scalars(_teams(platform, workspace_id).where(Team.conversation.is_not(None)))
            return {team.external_id: dict(team.conversation) for team in teams if team.conversation}

    async def forget(self, *, platform: str, workspace_id: str, channel_ids: Collection[str]) -> int:
        if not channel_ids:
            return 0
        async with Transaction(self._sessions) as session:
            gone = list(await session.scalars(_teams(platform, workspace_id).where(Team.external_id.in_(channel_ids))))
            for team in gone:
                team.conversation, team.active = None, False
        logger.info("%s: removed from %s channel(s) in %s", platform, len(gone), workspace_id)
        return len(gone)

    async def set_active(self, *, platform: str, workspace_id: str, channel_ids: Collection[str], active: bool) -> None:
        if not channel_ids:
            return
        async with Transaction(self._sessions) as session:
            for team in await session.scalars(_teams(platform, workspace_id).where(Team.external_id.in_(channel_ids))):
                team.active = active

    async def reference(self, *, platform: str, workspace_id: str, channel_id: str) -> JsonDict | None:
        async with self._sessions() as session:
            team = await session.scalar(_teams(platform, workspace_id).where(Team.external_id == channel_id))
            if team is None or not team.active or not team.conversation:
                return None
            return dict(team.conversation)

    async def rename(self, *, platform: str, workspace_id: str, names: Mapping[str, str]) -> int:
        wanted = {channel: " ".join(name.split())[:200] for channel, name in names.items() if name.strip()}
        if not wanted:
            return 0
        changed = 0
        async with Transaction(self._sessions) as session:
            for team in await session.scalars(_teams(platform, workspace_id).where(Team.external_id.in_(wanted))):
                if team.name != wanted[team.external_id]:
                    team.name, changed = wanted[team.external_id], changed + 1
        if changed:
            logger.info("%s: %s channel(s) renamed in %s", platform, changed, workspace_id)
        return changed

    async def references(self, *, platform: str, workspace_id: str, limit: int = 3) -> list[JsonDict]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Team.conversation)
                .join(Workspace, Workspace.id == Team.workspace_id)
                .where(
                    Workspace.platform == platform,
                    Workspace.external_id == workspace_id,
                    Team.active.is_(True),
                    Team.conversation.is_not(None),
                )
                .order_by(Team.id)
                .limit(limit)
            )
            return [dict(row) for row in rows if row]

    async def posted(self, *, platform: str, workspace_id: str, channel_id: str, key: str) -> JsonDict | None:
        item_id = agenda_id(key)
        if item_id is None:
            return None
        async with self._sessions() as session:
            team = await session.scalar(_teams(platform, workspace_id).where(Team.external_id == channel_id))
            item = await session.get(AgendaItem, item_id)
            if team is None or item is None or item.team_id != team.id or not item.post_ref:
                return None
            return dict(item.post_ref)
