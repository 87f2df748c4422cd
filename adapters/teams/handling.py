"""What the bot does with each kind of Teams activity, over the plain activity JSON.

No SDK types here: the SDK-facing bot (:mod:`adapters.teams.bot`) hands over the wire dict and a way
to reach the connector. A message runs one core call, under its channel's name (``names.py``: Teams
sends none with a message); installs and removals keep the stored conversation references current,
team and channel renames the stored names; a file consent answer finishes an export (``exports.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any

from adapters.http.answer_time import answered
from adapters.teams import origins, routing
from adapters.teams.activities import (
    PLATFORM,
    TEAMS_CHANNEL,
    Activity,
    is_bot_account,
    person_id,
    place_of,
    section,
    teams_team_id,
    text_of,
)
from adapters.teams.capture import Capture
from adapters.teams.conversations import ConversationStore
from adapters.teams.exports import Exports, Upload
from adapters.teams.files import Consents
from adapters.teams.meetings import Meetings
from adapters.teams.names import NAME_EVENTS, ChannelNames, TeamSource
from adapters.teams.outbox import Connectors, Outbox, Where
from adapters.teams.outgoing import welcome
from adapters.teams.roster import Directory
from adapters.teams.turn import Turn, incoming_of, read_turn
from bot import commands
from bot.core import CustomerMoment
from bot.events import Incoming, Person
from bot.ports import DeliveryError, OneTimeClaims
from bot.replies import Form, say

logger = logging.getLogger(__name__)

UNKNOWN_PERSON = "I can't tell who you are in this conversation, so I can't act on that."
# Someone (or the app itself) taken out of one private or shared channel alone, not out of its team: Teams
# names the channel in ``channelData.channel`` and its host team in ``channelData.team``.
CHANNEL_MEMBER_REMOVED = "channelMemberRemoved"


def where_of(
    turn: Turn, incoming: Incoming | None = None, used_form: Form | None = None, shared: origins.Shared | None = None
) -> Where:
    """``shared``: the shared conversation a form submitted from the 1:1 chat came from (else the turn's own)."""
    return Where(
        tenant=turn.place.workspace_id,
        service_url=turn.service_url,
        conversation_id=turn.conversation_id,
        channel_id=turn.place.channel_id,
        bot=turn.bot,
        actor_account=text_of(turn.sender, "id") or None,
        pressed_id=turn.pressed_id,
        roster_id=turn.roster_id,
        command=incoming.text if incoming is not None else "",
        channel_name=turn.place.channel_name,
        used_form=used_form,
        form_values=dict(incoming.form_values) if incoming is not None else {},
        shared=shared or origins.shared_of(turn),
    )


def situation_of(turn: Turn, incoming: Incoming) -> routing.Situation:
    return routing.Situation(
        kind=turn.kind,
        channel_id=turn.place.channel_id,
        actor_id=incoming.actor.external_id,
        action=incoming.action,
        action_value=incoming.action_value,
        form_id=incoming.form_id,
        pressed=turn.pressed_id is not None,
    )


def used_form(turn: Turn) -> Form | None:
    """The form a card submit came from, if it is one of the core's."""
    submitted = turn.submitted
    if submitted is None or submitted.form_id is None:
        return None
    return commands.form_for(submitted.form_id, submitted.context)


class Handler:
    def __init__(
        self,
        *,
        core: CustomerMoment,
        store: ConversationStore,
        directory: Directory,
        upload: Upload,
        allow_http_uploads: bool,
        consents: Consents,
        claims: OneTimeClaims,
        public_url: str = "",
        work: Callable[[], AbstractAsyncContextManager[object]],
        names: ChannelNames | None = None,
    ) -> None:
        """``claims``: where answered file offers are recorded (:mod:`adapters.teams.exports`); ``work``:
        entered around a message's core call alone (one of the process's turn slots,
        :class:`adapters.teams.endpoint.TurnSlots`): the lookups in Teams before it and the replies sent
        after it do not hold one."""
        self._core = core
        self._work = work
        self._names = names or ChannelNames()
        self._store = store
        self._directory = directory
        self._consents = consents
        self._exports = Exports(
            core=core, upload=upload, allow_http_uploads=allow_http_uploads, consents=consents, claims=claims
        )
        self._meetings = Meetings(core=core, store=store, directory=directory, public_url=public_url)
        # the message action's invokes
        self.capture = Capture(core=core, store=store, directory=directory, names=self._names)

    def _outbox(self, where: Where, connectors: Connectors) -> Outbox:
        return Outbox(
            where=where, connectors=connectors, store=self._store, directory=self._directory, consents=self._consents
        )

    async def message(self, activity: Activity, connectors: Connectors) -> None:
        """Someone wrote to the bot or used one of its cards: one core call, its replies, where they went."""
        turn = await self._names.named(read_turn(activity), connectors)
        place = turn.place
        self._directory.note(place.workspace_id, turn.sender)
        form = used_form(turn)
        # A form sent back to the 1:1 chat acts where it was first submitted (``origins.py``); the turn stays
        # the 1:1 chat's for everything else (where answers go, whose reference is kept).
        acting, shared = turn, None
        raw = origins.carried(turn)
        if raw is not None:
            origin = origins.read(self._consents, turn, raw)
            if isinstance(origin, origins.Refusal):
                logger.warning("teams: a form's origin from %s refused: %s", place.workspace_id, origin.name)
                await self._outbox(where_of(turn), connectors).send([routing.Step(routing.HERE, say(origin.told))])
                answered(surface=PLATFORM, kind="turn")
                return
            shared = origin.shared
            acting = replace(turn, place=shared.place(place.workspace_id), roster_id=shared.roster_id)
        incoming = await self._incoming(acting, form, connectors)
        if incoming is None:
            await self._outbox(where_of(turn), connectors).send([routing.Step(routing.HERE, say(UNKNOWN_PERSON))])
            answered(surface=PLATFORM, kind="turn")
            return
        logger.info(
            "teams: %s from %s in %s/%s",
            _what(incoming),
            incoming.actor.external_id,
            place.workspace_id,
            acting.place.channel_id or "1:1",
        )
        async with self._work():  # past the wait bound: Busy, before anything of the message is stored
            replies = await self._core.handle(incoming)
        steps = routing.route(replies, situation_of(acting, incoming))
        refs = await self._outbox(where_of(acting, incoming, form, shared), connectors).send(steps)
        answered(surface=PLATFORM, kind="turn")  # what follows (where cards went, a meeting's moment) is not waited on
        try:
            await self._core.remember_posts(
                platform=PLATFORM, workspace_id=place.workspace_id, replies=replies, refs=refs
            )
        except Exception:  # the posts stand; an agenda card not recorded is posted anew when it next changes
            logger.exception("teams: could not record where the cards of a turn in %s went", place.workspace_id)
        if not place.direct:
            try:
                await self._store.refresh(place, turn.reference)
            except Exception:  # the answer went out; the reference is refreshed on the next message
                logger.exception("teams: conversation reference of %s not stored", place.channel_id)
        await self._meetings.ahead(activity, connectors)  # in a meeting's chat: prepare its moment

    async def _incoming(self, turn: Turn, form: Form | None, connectors: Connectors) -> Incoming | None:
        """The neutral event, with mentioned people (and people picked in a form) resolved through Teams."""
        tenant = turn.place.workspace_id
        unresolved = [m.account_id for m in turn.mentioned if m.person is None and not m.channel]
        directory: dict[str, Person] = {}
        if unresolved and turn.activity.get("value") is None:
            connector = await connectors(turn.service_url)
            directory = await self._directory.resolve(connector, turn.lookup_in, tenant, unresolved)
        channels = {m.account_id: self._names.known(tenant, m.account_id) or "" for m in turn.mentioned if m.channel}
        incoming = incoming_of(turn, directory=directory, channels=channels)
        if incoming is None or incoming.form_id is None:
            return incoming
        picked = [f.name for f in form.fields if f.kind == "people"] if form is not None else []
        if not picked or turn.roster_id is None:
            return incoming
        people = dict(incoming.people)
        try:
            connector = await connectors(turn.service_url)
            roster = await self._directory.roster(connector, turn.lookup_in, tenant)
        except DeliveryError as exc:
            logger.warning("teams: roster unavailable for a %s form: %s", incoming.form_id, exc)
            return incoming
        names = {option.value: option.label for option in roster}
        for name in picked:
            for value in str(incoming.form_values.get(name) or "").split(","):
                if value.strip() in names:
                    people[value.strip()] = Person(value.strip(), names[value.strip()])
        return replace(incoming, people=people)

    async def installed(self, activity: Activity, connectors: Connectors, *, greet: bool) -> None:
        """The app was added to a team, group chat or personal scope."""
        turn = read_turn(activity)
        place, installer = turn.place, turn.actor
        self._directory.note(place.workspace_id, turn.sender)
        if not place.direct and installer is not None:
            await self._store.install(place, installer, turn.reference)
        elif not place.direct:
            logger.warning("teams: install in %s/%s by an unknown person", place.workspace_id, place.channel_id)
        if greet:
            target = place.channel_id or turn.conversation_id
            connector = await connectors(turn.service_url)
            try:
                await connector.send(target, welcome())
            except DeliveryError as exc:
                logger.warning("teams: welcome in %s not delivered: %s", place.workspace_id, exc)
        await self._meetings.ahead(activity, connectors)

    async def removed(self, activity: Activity) -> None:
        """The app was removed from a team (every channel of it), a group chat, one private or shared channel
        (that channel alone) or a personal scope."""
        place = place_of(activity)
        if place.direct:
            return
        channels = [place.channel_id] if place.channel_id else []
        team = None if channel_event(activity) == CHANNEL_MEMBER_REMOVED else teams_team_id(activity)
        await self._store.uninstall(place.workspace_id, channels, team)

    async def members_removed(self, activity: Activity) -> None:
        """People were removed from a team, a group chat or one private or shared channel, or left it: no
        longer the people of its channels (for a team, of every channel of it the bot knows; for a channel of
        its own membership, of that channel alone). The bot's own removal is :meth:`removed`."""
        place = place_of(activity)
        removed = activity.get("membersRemoved")
        if place.direct or not place.channel_id or not isinstance(removed, list):
            return
        ids = [person_id(m) for m in removed if isinstance(m, Mapping) and not is_bot_account(activity, m)]
        people = [p for p in dict.fromkeys(ids) if p]
        if None in ids:
            logger.info("teams: %s removed member(s) without an Entra id ignored", ids.count(None))
        if not people:
            return
        team = None if channel_event(activity) == CHANNEL_MEMBER_REMOVED else teams_team_id(activity)
        channels: set[str] = set()
        try:
            channels = await self._store.of_team(place.workspace_id, team)
        except Exception:  # the conversation itself is still forgotten
            logger.exception("teams: the channels of team %s in %s not read", team, place.workspace_id)
        ended = await self._core.left(place, people, channels=sorted(channels - {place.channel_id}))
        logger.info(
            "teams: %s member(s) removed from %s in %s (%s membership(s) ended)",
            len(people),
            team or place.channel_id,
            place.workspace_id,
            ended,
        )

    async def team_event(self, activity: Activity, connectors: Connectors) -> None:
        """Archiving, restoring or deleting a team or channel changes where the bot may post; renaming one,
        what its channels are called."""
        data = section(activity, "channelData")
        event, tenant = text_of(data, "eventType"), place_of(activity).workspace_id
        team = text_of(section(data, "team"), "id")
        if event in NAME_EVENTS:

            async def source() -> TeamSource:
                return await connectors(text_of(activity, "serviceUrl"))

            try:
                await self._store.rename(tenant, await self._names.learn(activity, source))
            except Exception:  # a name is a nicety: the next message's lookup brings it
                logger.exception("teams: %s in team %s of %s not stored", event, team, tenant)
        elif event == "channelDeleted":
            channel = text_of(section(data, "channel"), "id")
            if channel:
                await self._store.uninstall(tenant, [channel], None)
        elif event in ("teamDeleted", "teamHardDeleted") and team:
            await self._store.uninstall(tenant, [team], team)
        elif event in ("teamArchived", "teamUnarchived", "teamRestored") and team:
            await self._store.set_active(tenant, team, event != "teamArchived")

    async def meeting(self, activity: Activity, connectors: Connectors) -> None:
        """A meeting started or ended in a chat or channel the app is in (see :mod:`adapters.teams.meetings`)."""
        await self._meetings.event(activity, connectors)

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
