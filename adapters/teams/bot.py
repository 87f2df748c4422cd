"""The Teams activity handler: botbuilder's dispatch by activity type, handing each one to :class:`Handler`.

Messages (commands and ``Action.Submit`` card submits), the message action's invokes (``capture.py``),
installs and removals (``installationUpdate`` and ``conversationUpdate``), people removed from a team, a
group chat or one private or shared channel, team and channel events, meeting start and end, and file
consent answers. Everything else is acknowledged and ignored.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler

from adapters.teams.activities import has_bot
from adapters.teams.capture import INVOKES as CAPTURE_INVOKES
from adapters.teams.handling import Handler, channel_event, greets_on_conversation_update
from adapters.teams.meetings import MEETING_EVENTS
from adapters.teams.names import NAME_EVENTS
from adapters.teams.outbox import Connectors
from adapters.teams.sdk import ConnectorOptions, raw_activity, turn_connectors
from adapters.teams.transport import Transport

logger = logging.getLogger(__name__)

TEAM_EVENTS = frozenset(
    {"channelDeleted", "teamDeleted", "teamHardDeleted", "teamArchived", "teamUnarchived", "teamRestored"} | NAME_EVENTS
)


class TeamsBot(TeamsActivityHandler):  # type: ignore[misc]
    def __init__(self, *, handler: Handler, options: ConnectorOptions, transport: Transport) -> None:
        super().__init__()
        self._handler = handler
        self._options = options
        self._transport = transport

    def _connectors(self, turn_context: TurnContext) -> Connectors:
        return turn_connectors(turn_context, self._options, self._transport)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await self._handler.message(raw_activity(turn_context), self._connectors(turn_context))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        # The message action is read from the wire JSON: the SDK's models raise on a malformed value.
        activity = raw_activity(turn_context)
        if activity.get("name") in CAPTURE_INVOKES:
            answer = await self._handler.capture.answer(activity, self._connectors(turn_context))
            return InvokeResponse(status=200, body=answer)
        return await super().on_invoke_activity(turn_context)

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        # Replaces the SDK's version, which looks every added member up one by one.
        activity = raw_activity(turn_context)
        if has_bot(activity, "membersAdded"):
            connectors = self._connectors(turn_context)
            await self._handler.installed(activity, connectors, greet=greets_on_conversation_update(activity))
        elif has_bot(activity, "membersRemoved"):
            await self._handler.removed(activity)
        elif activity.get("membersRemoved"):  # people other than the bot left a team, group chat or channel
            await self._handler.members_removed(activity)
        elif channel_event(activity) in TEAM_EVENTS:
            await self._handler.team_event(activity, self._connectors(turn_context))

    async def on_event_activity(self, turn_context: TurnContext) -> None:
        # Meeting start and end are read from the wire JSON; the SDK's models would drop what is not theirs.
        activity = raw_activity(turn_context)
        if activity.get("name") in MEETING_EVENTS:
            await self._handler.meeting(activity, self._connectors(turn_context))

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        activity = raw_activity(turn_context)
        connectors = self._connectors(turn_context)
        await self._handler.installed(activity, connectors, greet=activity.get("action") == "add")

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self._handler.removed(raw_activity(turn_context))

    async def on_teams_file_consent_accept(self, turn_context: TurnContext, _response: Any) -> None:
        connectors = self._connectors(turn_context)
        await self._handler.file_consent(raw_activity(turn_context), connectors, accepted=True)

    async def on_teams_file_consent_decline(self, turn_context: TurnContext, _response: Any) -> None:
        connectors = self._connectors(turn_context)
        await self._handler.file_consent(raw_activity(turn_context), connectors, accepted=False)
