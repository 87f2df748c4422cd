"""What the bot does with each kind of Teams activity, over the plain activity JSON.

No SDK types here: the SDK-facing bot (:mod:`adapters.teams.bot`) hands over the wire dict and a way
to reach the connector. A message runs one core call; installs and removals keep the stored
conversation references current; a file consent answer finishes an export (``exports.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from adapters.teams import routing
from adapters.teams.activities import (
    TEAMS_CHANNEL,
    Activity,
    actor_of,
    conversation_reference,
    conversation_type,
    place_of,
    section,
    teams_team_id,
    text_of,
)
from adapters.teams.conversations import ConversationStore
from adapters.teams.exports import Exports, Upload
from adapters.teams.mentions import mentions
from adapters.teams.outbox import Connectors, Outbox, Where
from adapters.teams.outgoing import welcome
from adapters.teams.roster import Directory
from adapters.teams.submits import incoming_from, submission
from bot.commands import form_for
from bot.core import CustomerMoment
from bot.events import Incoming, Person, Place
from bot.ports import DeliveryError
from bot.replies import say

logger = logging.getLogger(__name__)

UNKNOWN_PERSON = "I can't tell who you are in this conversation, so I can't act on that."


def roster_id(activity: Activity) -> str | None:
    """Whose members a people field offers: the whole team for a channel, the chat for a group chat."""
    kind = conversation_type(activity)
    if kind == "personal":
        return None
    if kind == "channel":
        return teams_team_id(activity) or text_of(section(activity, "conversation"), "id").split(";", 1)[0]
    return text_of(section(activity, "conversation"), "id")


def where_of(activity: Activity, incoming: Incoming | None = None) -> Where:
    place = place_of(activity)
    pressed = submission(activity.get("value")) is not None and text_of(activity, "replyToId")
    return Where(
        tenant=place.workspace_id,
        service_url=text_of(activity, "serviceUrl"),
        conversation_id=text_of(section(activity, "conversation"), "id"),
        channel_id=place.channel_id,
        bot=dict(section(activity, "recipient")),
        actor_account=text_of(section(activity, "from"), "id") or None,
        pressed_id=text_of(activity, "replyToId") if pressed else None,
        roster_id=roster_id(activity),
        command=incoming.text if incoming is not None else "",
        channel_name=place.channel_name,
        form_id=incoming.form_id if incoming is not None else None,
        form_context=incoming.form_context if incoming is not None else "",
        form_values=dict(incoming.form_values) if incoming is not None else {},
    )


def situation_of(activity: Activity, incoming: Incoming) -> routing.Situation:
    where = where_of(activity, incoming)
    return routing.Situation(
        kind=conversation_type(activity),
        channel_id=where.channel_id,
        actor_id=incoming.actor.external_id,
        action=incoming.action,
        action_value=incoming.action_value,
        form_id=incoming.form_id,
        pressed=where.pressed_id is not None,
    )


class Handler:
    def __init__(
        self,
        *,
        core: CustomerMoment,
        store: ConversationStore,
        directory: Directory,
        upload: Upload,
        allow_http_uploads: bool,
    ) -> None:
        self._core = core
        self._store = store
        self._directory = directory
        self._exports = Exports(core=core, upload=upload, allow_http_uploads=allow_http_uploads)

    def _outbox(self, where: Where, connectors: Connectors) -> Outbox:
        return Outbox(where=where, connectors=connectors, store=self._store, directory=self._directory, core=self._core)

    async def message(self, activity: Activity, connectors: Connectors) -> None:
        """Someone wrote to the bot or used one of its cards."""
        place = place_of(activity)
        self._directory.note(place.workspace_id, section(activity, "from"))
        incoming = await self._incoming(activity, place, connectors)
        if incoming is None:
            await self._outbox(where_of(activity), connectors).send([routing.Step(routing.HERE, say(UNKNOWN_PERSON))])
            return
        logger.info(
            "teams: %s from %s in %s/%s",
            _what(incoming),
            incoming.actor.external_id,
            place.workspace_id,
            place.channel_id or "1:1",
        )
        replies = await self._core.handle(incoming)
        steps = routing.route(replies, situation_of(activity, incoming))
        await self._outbox(where_of(activity, incoming), connectors).send(steps)
        if not place.direct:
            try:
                await self._store.refresh(place, conversation_reference(activity))
            except Exception:  # the answer went out; the reference is refreshed on the next message
                logger.exception("teams: conversation reference of %s not stored", place.channel_id)

    async def _incoming(self, activity: Activity, place: Place, connectors: Connectors) -> Incoming | None:
        """The neutral event, with mentioned people (and people picked in a form) resolved through Teams."""
        unresolved = [m.account_id for m in mentions(activity) if m.person is None]
        directory: dict[str, Person] = {}
        lookup_in = roster_id(activity) or text_of(section(activity, "conversation"), "id")
        if unresolved and activity.get("value") is None:
            connector = await connectors(text_of(activity, "serviceUrl"))
            directory = await self._directory.resolve(connector, lookup_in, place.workspace_id, unresolved)
        incoming = incoming_from(activity, directory=directory)
        if incoming is None or incoming.form_id is None:
            return incoming
        form = form_for(incoming.form_id, incoming.form_context)
        picked = [f.name for f in form.fields if f.kind == "people"] if form is not None else []
        if not picked or roster_id(activity) is None:
            return incoming
        people = dict(incoming.people)
        try:
            connector = await connectors(text_of(activity, "serviceUrl"))
            roster = await self._directory.roster(connector, lookup_in, place.workspace_id)
        except DeliveryError as exc:
            logger.warning("teams: roster unavailable for a %s form: %s", incoming.form_id, exc)
            return incoming
        names = {option.value: option.label for option in roster}
        for name in picked:
            for value in str(incoming.form_values.get(name) or "").split(","):
                if value.strip() in names:
                    people[value.strip()] = Person(value.strip(), names[value.strip()])
        return Incoming(
            place=incoming.place,
            actor=incoming.actor,
            form_id=incoming.form_id,
            form_values=incoming.form_values,
            form_context=incoming.form_context,
            people=people,
            ref=incoming.ref,
        )

    async def installed(self, activity: Activity, connectors: Connectors, *, greet: bool) -> None:
        """The app was added to a team, group chat or personal scope."""
        place = place_of(activity)
        installer = actor_of(activity)
        self._directory.note(place.workspace_id, section(activity, "from"))
        if not place.direct and installer is not None:
            await self._store.install(place, installer, conversation_reference(activity))
        elif not place.direct:
            logger.warning("teams: install in %s/%s by an unknown person", place.workspace_id, place.channel_id)
        if greet:
            where = where_of(activity)
            target = place.channel_id or where.conversation_id
            connector = await connectors(where.service_url)
            try:
                await connector.send(target, welcome())
            except DeliveryError as exc:
                logger.warning("teams: welcome in %s not delivered: %s", place.workspace_id, exc)

    async def removed(self, activity: Activity) -> None:
        """The app was removed from a team, group chat or personal scope."""
        place = place_of(activity)
        if place.direct:
            return
        channels = [place.channel_id] if place.channel_id else []
        await self._store.uninstall(place.workspace_id, channels, teams_team_id(activity))

    async def team_event(self, activity: Activity) -> None:
        """Archiving, restoring or deleting a team or channel changes where the bot may post."""
        data = section(activity, "channelData")
        event, tenant = text_of(data, "eventType"), place_of(activity).workspace_id
        team = text_of(section(data, "team"), "id")
        if event == "channelDeleted":
            channel = text_of(section(data, "channel"), "id")
            if channel:
                await self._store.uninstall(tenant, [channel], None)
        elif event in ("teamDeleted", "teamHardDeleted") and team:
            await self._store.uninstall(tenant, [team], team)
        elif event in ("teamArchived", "teamUnarchived", "teamRestored") and team:
            await self._store.set_active(tenant, team, event != "teamArchived")

    async def file_consent(self, activity: Activity, connectors: Connectors, *, accepted: bool) -> None:
        """The person answered a file consent card (see :mod:`adapters.teams.exports`)."""
        await self._exports.answer(activity, connectors, accepted=accepted)


def _what(incoming: Incoming) -> str:
    if incoming.action:
        return f"action {incoming.action}"
    if incoming.form_id:
        return f"form {incoming.form_id}"
    return "command"


def channel_event(activity: Mapping[str, Any]) -> str:
    """The Teams event a conversationUpdate carries (``channelDeleted``, ``teamArchived``, …), if any."""
    return text_of(section(activity, "channelData"), "eventType")


def greets_on_conversation_update(activity: Mapping[str, Any]) -> bool:
    """Teams also sends an installationUpdate (which greets); other channels (the Emulator) only this."""
    return text_of(activity, "channelId") != TEAMS_CHANNEL
