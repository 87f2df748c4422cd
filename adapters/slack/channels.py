"""Which channels to show someone on the App Home: the channels they share with the bot.

Two users.conversations calls: the person's channels, and the bot's own (cached briefly per workspace).
The intersection is where the person's team uses Customer Moment.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.delivery import SEND_FAILURES

logger = logging.getLogger(__name__)

TYPES = "public_channel,private_channel"
PAGE = 200
BOT_CHANNELS_TTL = 60.0
MAX_HOME_CHANNELS = 5


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    name: str


def channels_in(response: Any) -> list[Channel]:
    found = []
    for channel in response.get("channels") or ():
        if isinstance(channel, dict) and isinstance(channel.get("id"), str):
            found.append(Channel(id=channel["id"], name=str(channel.get("name") or "")))
    return found


def shared(mine: list[Channel], bots: list[Channel], limit: int = MAX_HOME_CHANNELS) -> list[Channel]:
    """The person's channels the bot is also in, by name, at most ``limit``."""
    ours = {c.id for c in bots}
    return sorted((c for c in mine if c.id in ours), key=lambda c: (c.name, c.id))[:limit]


class ChannelFinder:
    def __init__(self, *, ttl: float = BOT_CHANNELS_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._bot_channels: dict[str, tuple[float, list[Channel]]] = {}

    async def _list(self, client: AsyncWebClient, **args: Any) -> list[Channel]:
        response = await client.users_conversations(types=TYPES, exclude_archived=True, limit=PAGE, **args)
        return channels_in(response)

    async def for_home(self, client: AsyncWebClient, *, workspace_id: str, user_id: str) -> list[Channel]:
        try:
            cached = self._bot_channels.get(workspace_id)
            if cached is None or cached[0] < self._clock():
                cached = (self._clock() + self._ttl, await self._list(client))
                self._bot_channels[workspace_id] = cached
            mine = await self._list(client, user=user_id)
        except SEND_FAILURES as exc:
            logger.warning("channels for the Home of user %s in %s unavailable: %s", user_id, workspace_id, exc)
            return []
        return shared(mine, cached[1])
