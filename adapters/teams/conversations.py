"""Where the bot can post without being asked: Teams' conversation references, kept through the core's port.

A Teams reference is written when the app is installed in a channel or group chat, or when someone
talks to the bot there (only if none is kept yet or its service URL moved), and dropped when the app
is removed. The references are Teams' own JSON; ``teamsTeamId`` in one names the Microsoft Teams team
the channel belongs to, so that removing the app from a team forgets every channel of it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from adapters.teams.activities import PLATFORM, JsonDict
from bot.events import Person, Place
from bot.ports import Conversations

logger = logging.getLogger(__name__)

TEAM_ID_KEY = "teamsTeamId"


def refreshed(stored: JsonDict | None, reference: JsonDict) -> JsonDict | None:
    """The reference to keep after a message, or None when the stored one still holds.

    A message's reference may lack the team id an install carried: that one is kept.
    """
    stored = stored or {}
    if stored.get("serviceUrl") == reference.get("serviceUrl") and stored.get("conversation"):
        return None
    kept = {TEAM_ID_KEY: stored[TEAM_ID_KEY]} if TEAM_ID_KEY in stored else {}
    return {**kept, **reference}


class ConversationStore:
    """Teams' view of the core's :class:`bot.ports.Conversations`, remembering which references are current."""

    def __init__(self, conversations: Conversations) -> None:
        self._port = conversations
        self._known: dict[tuple[str, str], str] = {}  # (tenant, channel) -> service URL known to be stored

    async def install(self, place: Place, installer: Person, reference: JsonDict) -> None:
        """The app was added to a channel's team or a group chat: remember it and mark it active."""
        if place.channel_id is None or place.direct:
            return
        await self._port.install(place, installer, reference)
        self._known[(place.workspace_id, place.channel_id)] = str(reference.get("serviceUrl", ""))

    async def refresh(self, place: Place, reference: JsonDict) -> None:
        """After a message: store the reference if this channel has none yet or its service URL moved."""
        if place.channel_id is None or place.direct:
            return
        key = (place.workspace_id, place.channel_id)
        service_url = str(reference.get("serviceUrl", ""))
        if self._known.get(key) == service_url:
            return
        channel = {"platform": PLATFORM, "workspace_id": place.workspace_id, "channel_id": place.channel_id}
        changed = refreshed(await self._port.stored(**channel), reference)
        if changed is None or await self._port.keep(**channel, reference=changed):
            self._known[key] = service_url

    async def uninstall(self, tenant: str, channel_ids: Sequence[str], teams_team_id: str | None) -> int:
        """The app was removed: forget these channels (and every channel of that team); returns how many."""
        gone = set(channel_ids) | await self._of_team(tenant, teams_team_id)
        for channel_id in gone:
            self._known.pop((tenant, channel_id), None)
        return await self._port.forget(platform=PLATFORM, workspace_id=tenant, channel_ids=gone)

    async def set_active(self, tenant: str, teams_team_id: str, active: bool) -> None:
        """A team was archived (no posting) or unarchived/restored (posting again where a reference is kept)."""
        channels = await self._of_team(tenant, teams_team_id)
        await self._port.set_active(platform=PLATFORM, workspace_id=tenant, channel_ids=channels, active=active)

    async def rename(self, tenant: str, names: Mapping[str, str]) -> int:
        """Channels Teams says are now called so (channel id → shown name); how many known ones changed."""
        return await self._port.rename(platform=PLATFORM, workspace_id=tenant, names=names) if names else 0

    async def of_team(self, tenant: str, teams_team_id: str | None) -> set[str]:
        """The channels of a Microsoft Teams team whose references are kept (active or not)."""
        return await self._of_team(tenant, teams_team_id)

    async def _of_team(self, tenant: str, teams_team_id: str | None) -> set[str]:
        if teams_team_id is None:
            return set()
        kept = await self._port.kept(platform=PLATFORM, workspace_id=tenant)
        return {channel for channel, reference in kept.items() if reference.get(TEAM_ID_KEY) == teams_team_id}

    async def reference(self, tenant: str, channel_id: str) -> JsonDict | None:
        """The stored reference of an active channel or group chat."""
        return await self._port.reference(platform=PLATFORM, workspace_id=tenant, channel_id=channel_id)

    async def references(self, tenant: str, *, limit: int = 3) -> list[JsonDict]:
        """Some active conversations of a tenant: where to look members up when no channel is given."""
        return await self._port.references(platform=PLATFORM, workspace_id=tenant, limit=limit)

    async def posted(self, tenant: str, channel_id: str, key: str) -> JsonDict | None:
        """The reference recorded for a keyed post of this channel, if any."""
        return await self._port.posted(platform=PLATFORM, workspace_id=tenant, channel_id=channel_id, key=key)
