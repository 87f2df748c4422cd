"""Carrying out a routing plan: posting, updating cards in place, opening 1:1 chats.

Used both inside a turn (answering someone) and proactively (the scheduler posting an agenda card),
always through a :class:`Connector` (the Bot Connector API in plain JSON, see ``connector.py``).
:meth:`Outbox.send` returns a reference per step; whoever asked records where keyed cards went (the
scheduler for its posts, the turn handler through ``CustomerMoment.remember_posts``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from adapters.teams import origins, routing
from adapters.teams.conversations import ConversationStore
from adapters.teams.files import Consents, consent_activity
from adapters.teams.names import TeamSource
from adapters.teams.outgoing import render
from adapters.teams.roster import Directory, MemberSource
from bot.ports import ChannelGone, DeliveryError
from bot.replies import Form, Option, Reply, say

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]


class Connector(MemberSource, TeamSource, Protocol):
    """The Bot Connector calls replies need, in plain JSON (implemented over botbuilder in ``connector.py``)."""

    async def send(self, conversation_id: str, activity: JsonDict, *, reply_to: str | None = None) -> str | None: ...

    async def update(self, conversation_id: str, activity_id: str, activity: JsonDict) -> None: ...

    async def create_personal(self, *, account_id: str, tenant_id: str, bot: dict[str, Any]) -> str: ...


Connectors = Callable[[str], Awaitable[Connector]]  # service URL → connector with the right credentials

NO_PRIVATE_CHAT = (
    "I couldn't open our 1:1 chat to send you that. Open Customer Moment from Apps in Teams and ask me there."
)


@dataclass(slots=True)
class Where:
    """The conversation replies belong to: the turn's conversation, or the channel a proactive post goes to."""

    tenant: str
    service_url: str
    conversation_id: str  # replies "here" go to this conversation (a channel thread keeps its ;messageid)
    channel_id: str | None
    bot: JsonDict
    thread_id: str | None = None  # posts to ``channel_id`` go to this thread of it (a channel meeting's chat)
    actor_account: str | None = None  # the acting person's conversation member id (29:…)
    pressed_id: str | None = None  # the card that was used (replyToId)
    roster_id: str | None = None  # whose members a people field offers (the team, or the chat)
    command: str = ""  # what was asked, for a file consent to run it again
    channel_name: str = ""
    used_form: Form | None = None  # the form submitted, when a card's form was used
    form_values: dict[str, Any] = field(default_factory=dict)
    # the shared conversation a form shown again acts in when submitted from the person's 1:1 chat: the turn's
    # own (a channel, group chat or meeting chat), or the one a form submitted from the 1:1 chat came from
    shared: origins.Shared | None = None


def reference(service_url: str, conversation_id: str, activity_id: str | None, tenant: str) -> JsonDict | None:
    if not activity_id:
        return None
    return {"serviceUrl": service_url, "conversationId": conversation_id, "activityId": activity_id, "tenantId": tenant}


class Outbox:
    """Sends one batch of steps for one conversation. ``strict``: channel posts raise instead of logging."""

    def __init__(
        self,
        *,
        where: Where,
        connectors: Connectors,
        store: ConversationStore,
        directory: Directory,
        strict: bool = False,
        consents: Consents | None = None,
    ) -> None:
        """``consents``: signs file offers (a turn's outbox; proactive posts carry no files)."""
        self._where = where
        self._connectors = connectors
        self._store = store
        self._directory = directory
        self._strict = strict
        self._consents = consents
        self._personal: dict[str, str] = {}
        self._people: list[Option] | None = None

    async def send(self, steps: Sequence[routing.Step]) -> list[JsonDict | None]:
        refs: list[JsonDict | None] = []
        failed: set[str] = set()
        for step in steps:
            if step.note_for is not None and failed & {routing.PRIVATE, routing.FILE}:
                step = routing.Step(routing.HERE, say(NO_PRIVATE_CHAT))
            try:
                refs.append(await self._step(step))
            except Exception as exc:  # one reply failing must not cost the others
                if self._strict and step.target in (routing.CHANNEL, routing.UPDATE):
                    if isinstance(exc, DeliveryError):
                        raise
                    raise DeliveryError(f"posting failed: {exc}", retryable=True) from exc
                if isinstance(exc, DeliveryError):
                    logger.warning("teams: %s reply in %s not delivered: %s", step.target, self._where.tenant, exc)
                else:
                    logger.exception("teams: %s reply in %s failed", step.target, self._where.tenant)
                failed.add(step.target)
                refs.append(None)
        return refs

    async def _connector(self, service_url: str | None = None) -> Connector:
        return await self._connectors(service_url or self._where.service_url)

    async def _render(self, step: routing.Step, conversation_id: str) -> JsonDict:
        """``conversation_id``: where the activity goes (a form shown again there is bound to it)."""
        where, reply = self._where, step.reply
        shown = reply.retry_form if step.mode == "reshow" else reply.form
        people = await self._roster() if shown is not None and any(f.kind == "people" for f in shown.fields) else None
        origin = None
        if step.mode == "reshow" and reply.retry_form is not None and where.shared is not None:
            if self._consents is None or not where.actor_account:
                raise DeliveryError("a form to show again has no one to sign it for", retryable=False)
            origin = origins.sign(
                self._consents,
                tenant=where.tenant,
                person=where.actor_account,
                conversation=conversation_id,
                shared=where.shared,
                form=reply.retry_form.form_id,
                context=reply.retry_form.context,
            )
        return render(
            reply,
            mode=step.mode,
            people=people,
            used_form=where.used_form,
            submitted_values=where.form_values,
            origin=origin,
        )

    async def _roster(self) -> list[Option] | None:
        if self._people is None and self._where.roster_id:
            try:
                connector = await self._connector()
                self._people = await self._directory.roster(connector, self._where.roster_id, self._where.tenant)
            except (DeliveryError, ValueError) as exc:
                logger.warning("teams: roster of %s unavailable: %s", self._where.roster_id, exc)
                self._people = []
        return self._people or None

    async def _step(self, step: routing.Step) -> JsonDict | None:
        where, reply = self._where, step.reply
        if step.target == routing.DROP:
            return None
        if reply.attachment is not None:
            return await self._file(reply, private=step.target == routing.FILE)
        if step.target == routing.PRIVATE and where.actor_account:
            conversation_id = await self._personal_chat(where.actor_account)
            activity = await self._render(step, conversation_id)
            connector = await self._connector()
            return reference(
                where.service_url, conversation_id, await connector.send(conversation_id, activity), where.tenant
            )
        if step.target == routing.PRIVATE:
            raise DeliveryError("no 1:1 chat for a reply to someone unknown", retryable=False)
        activity = await self._render(step, where.conversation_id)
        if step.target == routing.HERE:
            connector = await self._connector()
            return reference(
                where.service_url,
                where.conversation_id,
                await connector.send(where.conversation_id, activity),
                where.tenant,
            )
        if step.target == routing.PRESSED and where.pressed_id:
            connector = await self._connector()
            await connector.update(where.conversation_id, where.pressed_id, activity)
            return reference(where.service_url, where.conversation_id, where.pressed_id, where.tenant)
        if step.target == routing.UPDATE:
            return await self._update(reply, activity)
        if step.target == routing.CHANNEL and step.channel_id:
            return await self._post(step.channel_id, activity)
        if step.target == routing.MEMBER and step.member_id:
            return await self._direct(step.member_id, activity)
        logger.warning("teams: nowhere to send a %s reply in %s", step.target, where.tenant)
        return None

    async def _post(self, channel_id: str, activity: JsonDict) -> JsonDict | None:
        """A new top-level post in a channel or group chat (a new thread in a channel), or one in the channel
        thread the turn names as its own (``Where.thread_id``)."""
        where = self._where
        service_url = where.service_url
        conversation_id = channel_id
        if channel_id != where.channel_id:
            stored = await self._store.reference(where.tenant, channel_id)
            if stored is None:
                raise ChannelGone(f"no Teams conversation is stored for channel {channel_id}")
            service_url = str(stored.get("serviceUrl") or service_url)
        elif where.thread_id:
            conversation_id = where.thread_id
        connector = await self._connector(service_url)
        return reference(service_url, conversation_id, await connector.send(conversation_id, activity), where.tenant)

    async def _update(self, reply: Reply, activity: JsonDict) -> JsonDict | None:
        """Update a keyed message in place; if it is gone (deleted), post it again."""
        assert reply.message is not None and reply.message.ref is not None
        old = reply.message.ref
        service_url = str(old.get("serviceUrl") or self._where.service_url)
        conversation_id, activity_id = str(old.get("conversationId") or ""), str(old.get("activityId") or "")
        if conversation_id and activity_id:
            connector = await self._connector(service_url)
            try:
                await connector.update(conversation_id, activity_id, activity)
                return dict(old)
            except ChannelGone:
                logger.info("teams: %s was deleted; posting it again", reply.message.key)
        channel_id = reply.to_team or self._where.channel_id
        if not channel_id:
            return None
        return await self._post(channel_id, activity)

    async def _direct(self, member_id: str, activity: JsonDict) -> JsonDict | None:
        where = self._where
        connector = await self._connector()
        account = self._directory.account_of(where.tenant, member_id)
        if account is None:
            places = [where.roster_id] if where.roster_id else []
            places += [_conversation_id(r) for r in await self._store.references(where.tenant) if _conversation_id(r)]
            account = await self._directory.account_for(connector, where.tenant, member_id, list(dict.fromkeys(places)))
        # Without a shared conversation, Teams still opens a 1:1 chat by Entra id if the person has the app.
        conversation_id = await self._personal_chat(account or member_id)
        return reference(
            where.service_url, conversation_id, await connector.send(conversation_id, activity), where.tenant
        )

    async def _personal_chat(self, account_id: str) -> str:
        if account_id not in self._personal:
            connector = await self._connector()
            self._personal[account_id] = await connector.create_personal(
                account_id=account_id, tenant_id=self._where.tenant, bot=self._where.bot
            )
        return self._personal[account_id]

    async def _file(self, reply: Reply, *, private: bool) -> JsonDict | None:
        where = self._where
        assert reply.attachment is not None
        if self._consents is None:
            raise DeliveryError("files are offered only in answer to someone", retryable=False)
        connector = await self._connector()
        if private:
            if not where.actor_account:
                return None
            conversation_id = await self._personal_chat(where.actor_account)
        else:
            conversation_id = where.conversation_id
        offer = self._consents.offer(
            tenant=where.tenant,
            person=where.actor_account or "",
            conversation=conversation_id,
            command=where.command,
            channel_id=where.channel_id,
            channel_name=where.channel_name,
        )
        activity = consent_activity(reply.text, reply.attachment, offer=offer, consents=self._consents)
        return reference(
            where.service_url, conversation_id, await connector.send(conversation_id, activity), where.tenant
        )


def _conversation_id(stored: JsonDict) -> str:
    conversation = stored.get("conversation")
    return str(conversation.get("id") or "") if isinstance(conversation, dict) else ""
