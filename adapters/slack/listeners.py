"""Bolt listeners: translate → one call into the core → deliver the replies; each acknowledges itself.

Bolt runs a listener before it responds (``process_before_response=True``), so every listener
decides what its acknowledgement carries and hands the rest to a task of its own
(:meth:`adapters.http.inflight.Inflight.spawn`):

* a slash command is answered *in* its acknowledgement when the answer is ready within
  :data:`ACK_WITHIN` seconds — the person sees it at once, and no second request is needed — and on
  its ``response_url`` otherwise; a command that gets no slot in time is acknowledged with "busy";
* button presses, message shortcuts and events are acknowledged at once and handled afterwards;
* a modal submission's inline errors must be in the acknowledgement itself, so the core answers
  before it; what the submission posts follows after.

Messages people write to the bot in its Messages tab are read as commands and answered in that conversation.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.http.inflight import Inflight
from adapters.http.overload import BUSY, Busy
from adapters.slack.channels import ChannelFinder
from adapters.slack.dedupe import DeliveryLog
from adapters.slack.exchange import AckAnswer, Exchange
from adapters.slack.home import HomeContent, home_view
from adapters.slack.incoming import (
    PLATFORM,
    Sender,
    action_incoming,
    command_incoming,
    command_mentions,
    delivery_key,
    form_incoming,
    is_direct_message,
    message_incoming,
    message_mentions,
    place,
    pressed,
    sender_of,
    shortcut_incoming,
    shortcut_mentions,
    tenant_of,
)
from adapters.slack.modals import CALLBACK_ID, answers, decode_origin, input_errors
from adapters.slack.overload import answer_busy, shed
from adapters.slack.people import Directory, Profile
from bot.core import CustomerMoment
from bot.events import Incoming
from bot.replies import Reply

logger = logging.getLogger(__name__)

COMMAND = "/moment"
SHORTCUT = "make_moment"  # the message shortcut "Make it a Customer Moment" (manifest.yml)
SHORTCUT_LOOKUPS = 10  # people looked up by name for a message's mentions; the form must open within 3 s
EXPIRED_FORM = "This form has expired. Please close it and start again."
# Seconds a slash command's acknowledgement waits for the answer to carry it; Slack wants the ack within 3 s.
# Later answers follow on the response_url. A command waits at most ANSWER_WAIT_SECONDS (1 s) for a slot.
ACK_WITHIN = 2.0


class SlackListeners:
    """The listeners of the Bolt app; every one of them speaks to the core only through ``handle``."""

    def __init__(
        self,
        *,
        core: CustomerMoment,
        directory: Directory,
        deliveries: DeliveryLog,
        inflight: Inflight,
        channels: ChannelFinder,
        installation_store: AsyncInstallationStore | None,
        webhook_timeout: int,
    ) -> None:
        self._core = core
        self._directory = directory
        self._deliveries = deliveries
        self._inflight = inflight
        self._channels = channels
        self._installation_store = installation_store
        self._webhook_timeout = webhook_timeout

    def register(self, app: AsyncApp) -> None:
        app.command(COMMAND)(self.command)
        app.action(re.compile(".*"))(self.action)
        app.view_submission(CALLBACK_ID)(self.submission)
        app.message_shortcut(SHORTCUT)(self.shortcut)
        for event, listener in self.events().items():
            app.event(event)(listener)

    def events(self) -> dict[str, Any]:
        """Event type → listener; ``message`` comes from the ``message.im`` subscription. Every message
        event gets a listener, so that Bolt acknowledges the ones ignored (an unmatched one would be retried)."""
        return {
            "app_home_opened": self.home_opened,
            "app_uninstalled": self.uninstalled,
            "tokens_revoked": self.tokens_revoked,
            "message": self.direct_message,
        }

    @staticmethod
    def _sender(body: dict[str, Any]) -> Sender | None:
        """The payload's sender, read once; None (and a log line) when it names no workspace or user."""
        sender = sender_of(body)
        if sender.known:
            return sender
        kind = body.get("type") if isinstance(body.get("type"), str) else "command"
        logger.info("%s without a workspace or a user ignored", kind)
        return None

    async def _first_time(self, body: dict[str, Any]) -> bool:
        key = delivery_key(body)
        return key is None or await self._deliveries.claim(key)

    async def _profile(self, client: AsyncWebClient, sender: Sender) -> Profile:
        return await self._directory.profile(
            client, workspace_id=sender.workspace_id, user_id=sender.user_id, fallback=sender.user_name
        )

    def _exchange(
        self,
        client: AsyncWebClient,
        sender: Sender,
        profile: Profile,
        incoming: Incoming,
        ack: AckAnswer | None = None,
    ) -> Exchange:
        workspace_id = sender.workspace_id

        async def remember(key: str, ref: dict[str, Any]) -> None:
            await self._core.remember_post(platform=PLATFORM, workspace_id=workspace_id, key=key, ref=ref)

        message = incoming.ref.get("message")
        return Exchange(
            client=client,
            workspace_id=workspace_id,
            user_id=profile.user_id,
            channel_id=incoming.place.channel_id,
            channel_name=incoming.place.channel_name,
            direct=incoming.place.direct,
            response_url=str(incoming.ref.get("response_url") or ""),
            trigger_id=str(incoming.ref.get("trigger_id") or ""),
            pressed_message=message if isinstance(message, dict) else None,
            zone=profile.zone,
            remember=remember,
            webhook_timeout=self._webhook_timeout,
            ack=ack,
        )

    def _later(self, body: dict[str, Any], client: AsyncWebClient, work: Coroutine[Any, Any, None]) -> None:
        """``work`` after the acknowledgement, in a task of its own; "busy" on the response_url if it is shed."""

        async def run() -> None:
            try:
                await work
            except Busy:
                await answer_busy(body, session=client.session, seconds=self._webhook_timeout)

        self._inflight.spawn(run())

    async def command(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        sender = self._sender(body)
        if sender is None:
            await ack()
            return
        answer = AckAnswer()
        work = self._inflight.spawn(self._command(body, client, sender, answer))
        await asyncio.wait((answer.ready, work), timeout=ACK_WITHIN, return_when=asyncio.FIRST_COMPLETED)
        carried = answer.close()
        try:
            if work.done() and not work.cancelled() and isinstance(work.exception(), Busy):
                shed(body)
                await ack(response_type="ephemeral", text=BUSY)
            elif carried is not None:
                await ack(carried)
            else:
                await ack()  # the answer, when there is one, follows on the response_url
        finally:
            answer.acknowledged()

    async def _command(self, body: dict[str, Any], client: AsyncWebClient, sender: Sender, answer: AckAnswer) -> None:
        async with self._inflight.slot(give_way=False):  # someone waits on this acknowledgement
            if not await self._first_time(body):
                return
            profile = await self._profile(client, sender)
            people = await self._directory.people(
                client, workspace_id=sender.workspace_id, user_ids=command_mentions(body)
            )
            incoming = command_incoming(body, sender, actor=profile.person(), people=people)
            logger.info(
                "command %r in workspace %s channel %s by user %s (trigger %s)",
                incoming.text.split(" ", 1)[0][:30],
                sender.workspace_id,
                incoming.place.channel_id,
                profile.user_id,
                incoming.ref.get("trigger_id"),
            )
            replies = await self._core.handle(incoming)
            await self._exchange(client, sender, profile, incoming, answer).send(replies)

    async def action(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        press = pressed(body)
        sender = self._sender(body) if press is not None else None
        if press is None or sender is None:
            return
        self._later(body, client, self._action(body, client, sender, press))

    async def _action(self, body: dict[str, Any], client: AsyncWebClient, sender: Sender, press: Any) -> None:
        async with self._inflight.slot():
            if not await self._first_time(body):
                return
            profile = await self._profile(client, sender)
            incoming = action_incoming(body, sender, press, actor=profile.person())
            logger.info(
                "action %s=%s in workspace %s channel %s by user %s (trigger %s)",
                press.action_id,
                press.value[:20],
                sender.workspace_id,
                press.channel_id,
                profile.user_id,
                incoming.ref.get("trigger_id"),
            )
            replies = await self._core.handle(incoming)
            exchange = self._exchange(client, sender, profile, incoming)
            exchange.in_home = press.in_home
            await exchange.send(replies)
            if press.in_home:
                await self._publish_home(client, sender, profile, notice=" ".join(n for n in exchange.notices if n))

    async def direct_message(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        if not is_direct_message(event):
            return  # edits, joins, bots' posts (the bot's own answers too) and anything outside a DM
        sender = self._sender({**body, "user": event.get("user")})  # the envelope names no user; the event does
        if sender is None:
            return
        self._later(body, client, self._direct_message(event, body, client, sender, context.bot_user_id))

    async def _direct_message(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, sender: Sender, bot: str | None
    ) -> None:
        async with self._inflight.slot():
            if not await self._first_time(body):
                return
            profile = await self._profile(client, sender)
            people = await self._directory.people(
                client, workspace_id=sender.workspace_id, user_ids=message_mentions(event)
            )
            incoming = message_incoming(event, sender, actor=profile.person(), people=people, bot_user_id=bot)
            logger.info(  # what people write to the bot is theirs: only where and who is logged
                "direct message in workspace %s channel %s by user %s",
                sender.workspace_id,
                incoming.place.channel_id,
                profile.user_id,
            )
            replies = await self._core.handle(incoming)
            exchange = self._exchange(client, sender, profile, incoming)
            exchange.reply_in = str(incoming.place.channel_id)
            await exchange.send(replies)

    async def shortcut(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """ "Make it a Customer Moment" on a message: the core picks the form; it opens on the trigger (3 s)."""
        await ack()
        sender = self._sender(body)
        if sender is None:
            return
        self._later(body, client, self._shortcut(body, client, sender))

    async def _shortcut(self, body: dict[str, Any], client: AsyncWebClient, sender: Sender) -> None:
        async with self._inflight.slot():
            if not await self._first_time(body):
                return
            profile = await self._profile(client, sender)
            people = await self._directory.people(
                client, workspace_id=sender.workspace_id, user_ids=shortcut_mentions(body, SHORTCUT_LOOKUPS)
            )
            incoming = shortcut_incoming(body, sender, actor=profile.person(), people=people)
            logger.info(
                "message shortcut in workspace %s channel %s by user %s (trigger %s)",
                sender.workspace_id,
                incoming.place.channel_id,
                profile.user_id,
                incoming.ref.get("trigger_id"),
            )
            replies = await self._core.handle(incoming)
            await self._exchange(client, sender, profile, incoming).send(replies)

    async def submission(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        origin = decode_origin(str(view.get("private_metadata") or ""))
        if origin is None:
            await ack(response_action="errors", errors=input_errors({"form": EXPIRED_FORM}, view))
            return
        sender = self._sender(body)
        if sender is None or not await self._first_time(body):
            await ack()
            return
        async with self._inflight.slot(waiting=False):
            profile = await self._profile(client, sender)
            found = answers(view)
            people = await self._directory.people(
                client, workspace_id=sender.workspace_id, user_ids={f"@{u}": "" for u in found.users}
            )
            incoming = form_incoming(body, sender, origin, found, actor=profile.person(), people=people)
            logger.info(
                "form %s submitted in workspace %s channel %s by user %s",
                origin.form_id,
                sender.workspace_id,
                incoming.place.channel_id,
                profile.user_id,
            )
            replies = await self._core.handle(incoming)
            errors: dict[str, str] = {}
            for reply in replies:
                errors.update(reply.errors)
            if errors:
                await ack(response_action="errors", errors=input_errors(errors, view))
                return
            await ack()
            self._inflight.spawn(self._exchange(client, sender, profile, incoming).send(replies))

    async def home_opened(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab") != "home":
            return
        sender = self._sender({**body, "user": event.get("user")})  # the envelope names no user; the event does
        if sender is None:
            return
        self._later(body, client, self._home_opened(body, client, sender))

    async def _home_opened(self, body: dict[str, Any], client: AsyncWebClient, sender: Sender) -> None:
        async with self._inflight.slot():
            if not await self._first_time(body):
                return
            profile = await self._profile(client, sender)
            await self._publish_home(client, sender, profile, notice="")

    async def _publish_home(self, client: AsyncWebClient, sender: Sender, profile: Profile, *, notice: str) -> None:
        actor = profile.person()
        workspace_id = sender.workspace_id
        alone = place(sender, None)
        mine = await self._core.handle(Incoming(place=alone, actor=actor, text="mine"))
        channels = await self._channels.for_home(client, workspace_id=workspace_id, user_id=profile.user_id)
        queues: list[Reply] = []
        for channel in channels:
            queues += await self._core.handle(
                Incoming(place=place(sender, channel.id, channel.name), actor=actor, text="queue")
            )
        review = await self._core.handle(Incoming(place=alone, actor=actor, text="review"))
        view = home_view(HomeContent(mine=mine, queues=queues, review=review, notice=notice))
        await client.views_publish(user_id=profile.user_id, view=view)
        logger.info("published the Home of user %s in workspace %s", profile.user_id, workspace_id)

    async def uninstalled(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        tenant = tenant_of(body)
        if not tenant.workspace_id:
            logger.info("app_uninstalled without a workspace ignored")
            return
        # Done before the acknowledgement and never shed: the installation must go (a failure is retried).
        self._directory.forget(tenant.workspace_id)
        if self._installation_store is not None:
            await self._installation_store.async_delete_all(
                enterprise_id=context.enterprise_id, team_id=context.team_id
            )
        logger.info("app uninstalled from workspace %s; its installation is deleted", tenant.workspace_id)

    async def tokens_revoked(self, event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext) -> None:
        tenant = tenant_of(body)
        tokens = event.get("tokens")
        if not tenant.workspace_id or not isinstance(tokens, dict):
            logger.info("tokens_revoked without a workspace or tokens ignored")
            return
        users = tokens.get("oauth")
        # Done before the acknowledgement and never shed: revoked tokens must go (a failure is retried).
        if self._installation_store is not None:
            for user_id in users if isinstance(users, list) else ():
                if not isinstance(user_id, str):
                    continue
                await self._installation_store.async_delete_installation(
                    enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=user_id
                )
            if tokens.get("bot"):
                await self._installation_store.async_delete_bot(
                    enterprise_id=context.enterprise_id, team_id=context.team_id
                )
        logger.info("tokens revoked in workspace %s: %s", tenant.workspace_id, sorted(tokens))
