"""Where the bot can post without being asked: stored conversation references of Teams channels and chats.

The only SQL of the Teams surface. A reference lives in the ``teams.conversation`` column of the
channel's (or group chat's) team row; it is written when the app is installed there or when someone
talks to the bot there, and cleared — with the team marked inactive — when the app is removed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.teams.activities import PLATFORM
from bot.events import Incoming, Person, Place
from bot.replies import agenda_id
from bot.services.context import resolve
from bot.storage.models import AgendaItem, Team, Workspace

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]
Clock = Callable[[], datetime]

TEAM_ID_KEY = "teamsTeamId"


class ConversationStore:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._known: dict[tuple[str, str], str] = {}  # (tenant, channel) -> service URL known to be stored

    async def install(self, place: Place, installer: Person, reference: JsonDict) -> None:
        """The app was added to a channel's team or a group chat: remember it and mark it active.

        Creates the workspace, team and installer (the first person of a workspace is its admin) in
        the same transaction.
        """
        if place.channel_id is None or place.direct:
            return
        async with self._sessions.begin() as session:
            ctx = await resolve(session, Incoming(place=place, actor=installer), self._clock())
            assert ctx.team is not None
            ctx.team.conversation = dict(reference)
            ctx.team.active = True
        self._known[(place.workspace_id, place.channel_id)] = str(reference.get("serviceUrl", ""))
        logger.info("teams: installed in %s/%s", place.workspace_id, place.channel_id)

    async def refresh(self, place: Place, reference: JsonDict) -> None:
        """After a message: store the reference if this channel has none yet or its service URL moved."""
        if place.channel_id is None or place.direct:
            return
        key = (place.workspace_id, place.channel_id)
        service_url = str(reference.get("serviceUrl", ""))
        if self._known.get(key) == service_url:
            return
        async with self._sessions.begin() as session:
            team = await self._team(session, place.workspace_id, place.channel_id)
            if team is None:
                return
            stored = team.conversation or {}
            if stored.get("serviceUrl") != service_url or not stored.get("conversation"):
                kept = {TEAM_ID_KEY: stored[TEAM_ID_KEY]} if TEAM_ID_KEY in stored else {}
                team.conversation = {**kept, **reference}
                logger.info("teams: conversation reference of %s/%s stored", *key)
        self._known[key] = service_url

    async def uninstall(self, tenant: str, channel_ids: Sequence[str], teams_team_id: str | None) -> int:
        """The app was removed: forget these channels (and every channel of that team); returns how many."""
        async with self._sessions.begin() as session:
            teams = list(
                await session.scalars(
                    select(Team)
                    .join(Workspace, Workspace.id == Team.workspace_id)
                    .where(Workspace.platform == PLATFORM, Workspace.external_id == tenant)
                )
            )
            gone = [
                team
                for team in teams
                if team.external_id in channel_ids
                or (teams_team_id is not None and (team.conversation or {}).get(TEAM_ID_KEY) == teams_team_id)
            ]
            for team in gone:
                team.conversation, team.active = None, False
                self._known.pop((tenant, team.external_id), None)
        logger.info("teams: removed from %s channel(s) in %s", len(gone), tenant)
        return len(gone)

    async def set_active(self, tenant: str, teams_team_id: str, active: bool) -> None:
        """A team was archived (no posting) or unarchived/restored (posting again where a reference is kept)."""
        async with self._sessions.begin() as session:
            teams = await session.scalars(
                select(Team)
                .join(Workspace, Workspace.id == Team.workspace_id)
                .where(Workspace.platform == PLATFORM, Workspace.external_id == tenant)
            )
            for team in teams:
                if (team.conversation or {}).get(TEAM_ID_KEY) == teams_team_id:
                    team.active = active

    async def reference(self, tenant: str, channel_id: str) -> JsonDict | None:
        """The stored reference of an active channel or group chat."""
        async with self._sessions() as session:
            team = await self._team(session, tenant, channel_id)
            if team is None or not team.active or not team.conversation:
                return None
            return dict(team.conversation)

    async def references(self, tenant: str, *, limit: int = 3) -> list[JsonDict]:
        """Some active conversations of a tenant: where to look members up when no channel is given."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Team.conversation)
                .join(Workspace, Workspace.id == Team.workspace_id)
                .where(
                    Workspace.platform == PLATFORM,
                    Workspace.external_id == tenant,
                    Team.active.is_(True),
                    Team.conversation.is_not(None),
                )
                .order_by(Team.id)
                .limit(limit)
            )
            return [dict(row) for row in rows if row]

    async def posted(self, tenant: str, channel_id: str, key: str) -> JsonDict | None:
        """The reference recorded for a keyed post (``agenda:<id>``) of this channel, if any."""
        item_id = agenda_id(key)
        if item_id is None:
            return None
        async with self._sessions() as session:
            team = await self._team(session, tenant, channel_id)
            item = await session.get(AgendaItem, item_id)
            if team is None or item is None or item.team_id != team.id or not item.post_ref:
                return None
            return dict(item.post_ref)

    @staticmethod
    async def _team(session: AsyncSession, tenant: str, channel_id: str) -> Team | None:
        return await session.scalar(
            select(Team)
            .join(Workspace, Workspace.id == Team.workspace_id)
            .where(Workspace.platform == PLATFORM, Workspace.external_id == tenant, Team.external_id == channel_id)
        )
