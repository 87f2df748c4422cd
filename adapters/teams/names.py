"""The names of a team's channels, learned the ways Teams gives them.

A message in a channel carries the channel's and its team's ids but not their names. Names come in
conversationUpdate events (``channelCreated``, ``channelRenamed``, ``teamRenamed``, the bot's own
``teamMemberAdded``) and from the Bot Connector: ``GET /v3/teams/{id}/conversations`` lists a team's
channels (the General channel, whose id is the team's, has no name) and ``GET /v3/teams/{id}`` gives
the team's name. What is learned is kept per team in this process for a while (bounded; safe to lose),
so a busy channel costs one pair of calls an hour. A failed lookup is not repeated for a few minutes;
the message goes on under whatever name the core already has.

A channel is shown as ``Team › Channel`` (``Support Team › General`` for the General channel).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from adapters.teams.activities import Activity, section, teams_team_id, text_of
from adapters.teams.turn import Turn
from bot.ports import DeliveryError

logger = logging.getLogger(__name__)

GENERAL = "General"
MAX_NAME = 200  # teams.name
KEEP_FOR = 3600.0  # seconds a team's names are trusted before they are asked for again
RETRY_AFTER_FAILURE = 300.0  # seconds before a team whose lookup failed is asked about again
MAX_TEAMS = 2048
MAX_CHANNELS = 1000  # per team (Teams allows 1000 channels, archived ones included)
NAME_EVENTS = frozenset({"channelCreated", "channelRenamed", "teamRenamed"})


class TeamSource(Protocol):
    """What the names need from a connector (see :class:`adapters.teams.connector.TeamsConnector`)."""

    async def team_details(self, team_id: str) -> Any: ...

    async def team_channels(self, team_id: str) -> Any: ...


Source = Callable[[], Awaitable[TeamSource]]
Sources = Callable[[str], Awaitable[TeamSource]]  # service URL → connector (the turn's ``Connectors``)


def shown(team_name: str, channel_name: str) -> str:
    """A channel as people see it: ``Support Team › Support``; the nameless General channel as ``General``."""
    return f"{team_name} › {channel_name or GENERAL}"[:MAX_NAME]


@dataclass(slots=True)
class _Team:
    name: str
    channels: dict[str, str] = field(default_factory=dict)  # channel id → its own name ("" for General)
    until: float = 0.0  # monotonic time the names are trusted until (0: never asked; learned from events)

    def full_names(self) -> dict[str, str]:
        return {channel: shown(self.name, name) for channel, name in self.channels.items()} if self.name else {}


class ChannelNames:
    """Per process: Microsoft Teams team → its name and its channels' names."""

    def __init__(
        self,
        *,
        keep_for: float = KEEP_FOR,
        retry_after_failure: float = RETRY_AFTER_FAILURE,
        capacity: int = MAX_TEAMS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._teams: OrderedDict[tuple[str, str], _Team] = OrderedDict()
        self._failed: OrderedDict[tuple[str, str], float] = OrderedDict()  # → when to ask again
        self._keep_for = keep_for
        self._retry_after_failure = retry_after_failure
        self._capacity = capacity
        self._clock = clock

    async def named(self, turn: Turn, connectors: Sources) -> Turn:
        """The turn, its place under the channel's shown name when Teams sent none (a channel message never does)."""
        place, team_id = turn.place, teams_team_id(turn.activity)
        if turn.kind != "channel" or place.channel_name or not team_id or not place.channel_id:
            return turn

        async def source() -> TeamSource:
            return await connectors(turn.service_url)

        name = await self.name(place.workspace_id, team_id, place.channel_id, source)
        return replace(turn, place=replace(place, channel_name=name)) if name else turn

    def known(self, tenant: str, channel_id: str) -> str | None:
        """The shown name of a channel of any team seen in this tenant, if it is known."""
        for (team_tenant, _), team in reversed(self._teams.items()):
            if team_tenant == tenant and channel_id in team.channels and team.name:
                return shown(team.name, team.channels[channel_id])
        return None

    async def name(self, tenant: str, team_id: str, channel_id: str, source: Source) -> str:
        """The shown name of a channel of a team, asking Teams when it is not known; "" when it can't be told."""
        key = (tenant, team_id)
        team = self._teams.get(key)
        now = self._clock()
        # A channel missing from a fresh list (a private one: Teams lists only standard channels) waits too.
        stale = team is None or now >= team.until or not team.name
        if stale and self._failed.get(key, 0.0) <= now:
            team = await self._lookup(tenant, team_id, source) or team
        if team is None or not team.name or channel_id not in team.channels:
            return ""
        return shown(team.name, team.channels[channel_id])

    async def learn(self, activity: Activity, source: Source) -> dict[str, str]:
        """What a team or channel event says about names: the shown names that changed (channel id → name)."""
        data = section(activity, "channelData")
        tenant = text_of(section(data, "tenant"), "id") or text_of(section(activity, "conversation"), "tenantId")
        team_id = text_of(section(data, "team"), "id")
        if not team_id:
            return {}
        event = text_of(data, "eventType")
        team_name = " ".join(text_of(section(data, "team"), "name").split())
        channel = section(data, "channel")
        channel_id = text_of(channel, "id")
        key = (tenant, team_id)
        team = self._teams.get(key)
        if team is None or not team.name:
            team = await self._lookup(tenant, team_id, source) or self._put(key, _Team(team_name))
        if team_name:
            team.name = team_name
        if event in ("channelCreated", "channelRenamed") and channel_id:
            team.channels[channel_id] = "" if channel_id == team_id else " ".join(text_of(channel, "name").split())
            changed = {channel_id: shown(team.name, team.channels[channel_id])} if team.name else {}
        else:  # the team itself was renamed: every channel's shown name changes
            team.channels.setdefault(team_id, "")
            changed = team.full_names()
        logger.info("teams: %s in team %s of %s: %s channel name(s)", event, team_id, tenant, len(changed))
        return changed

    async def _lookup(self, tenant: str, team_id: str, source: Source) -> _Team | None:
        """The team's names from the connector, kept; None (and a pause before asking again) when that fails."""
        key = (tenant, team_id)
        try:
            connector = await source()
            # One after the other: once an hour per team, on the connection already open.
            details = await connector.team_details(team_id)
            listing = await connector.team_channels(team_id)
        except Exception as exc:  # a name is a nicety: the turn goes on with what is known
            self._failed[key] = self._clock() + self._retry_after_failure
            self._failed.move_to_end(key)
            while len(self._failed) > self._capacity:
                self._failed.popitem(last=False)
            logger.warning("teams: names of team %s in %s not fetched (%s)", team_id, tenant, _why(exc))
            return None
        self._failed.pop(key, None)
        team = _Team(_team_name(details), _channels(listing, team_id), self._clock() + self._keep_for)
        known = self._teams.get(key)
        if not team.name and known is not None:
            team.name = known.name
        return self._put(key, team)

    def _put(self, key: tuple[str, str], team: _Team) -> _Team:
        self._teams[key] = team
        self._teams.move_to_end(key)
        while len(self._teams) > self._capacity:
            self._teams.popitem(last=False)
        return team


def _team_name(details: object) -> str:
    return " ".join(text_of(details, "name").split()) if isinstance(details, Mapping) else ""


def _channels(listing: object, team_id: str) -> dict[str, str]:
    found = listing.get("conversations") if isinstance(listing, Mapping) else None
    channels = {team_id: ""}
    for entry in found if isinstance(found, list) else ():
        if isinstance(entry, Mapping) and text_of(entry, "id") and len(channels) < MAX_CHANNELS:
            ident = text_of(entry, "id")
            channels[ident] = "" if ident == team_id else " ".join(text_of(entry, "name").split())
    return channels


def _why(exc: Exception) -> str:
    """A failure in words that carry no names or tokens: the connector's own message, or the error's kind."""
    return str(exc) if isinstance(exc, DeliveryError) else type(exc).__name__
