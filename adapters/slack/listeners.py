"""Bolt listeners: ack first, then translate → one call into the core → deliver the replies.

Commands, button presses and message shortcuts are acknowledged before anything else happens (already
before their listener starts: :mod:`adapters.slack.ackfirst`; the listener's own ``ack()`` only repeats
it); the core call and all Web API calls run after the acknowledgement (Bolt runs the listener on after
the response with ``process_before_response=False``). Over HTTP, ``/moment`` and button presses skip
Bolt's dispatch: :mod:`adapters.slack.fastpath` acknowledges them and calls ``answer_command`` and
``answer_press`` itself. A modal submission is the one exception: its inline errors
must be in the acknowledgement itself, so the core answers before the ack. Messages people write to
the bot in its Messages tab are read as commands and answered in that conversation.

An answer's work (the core's call, its reads and writes) holds one of the few work slots
(:meth:`adapters.http.inflight.Inflight.work`); sending the answer to Slack happens after the slot is
given back, so a slow round trip to Slack does not keep the next commands waiting; so do the lookups
before it (people the bot has not seen lately, the channels the Home tab shows; a modal submission's
lookups happen before its form slot too). Nothing calls Slack inside a slot: a press in the Home tab
sends its replies after its slot, then takes a slot again to draw the tab (core work that shows what
sending them said; :meth:`adapters.http.inflight.Inflight.follow_up`, never shed).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.http.answer_time import answered
from adapters.http.inflight import Inflight, off_slack_clock
from adapters.http.overload import BUSY, Busy, count_shed
from adapters.slack.acknowledgement import Acknowledgement
from adapters.slack.channels import Channel, ChannelFinder
from adapters.slack.dedupe import DeliveryLog
from adapters.slack.exchange import Exchange
from adapters.slack.home import HomeContent, home_view
from adapters.slack.incoming import (
    PLATFORM,
    Sender,
    action_incoming,
    command_incoming,
    command_mentions,
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
from adapters.slack.modals import CALLBACK_ID, FormOrigin, answers, decode_origin, input_errors
from adapters.slack.overload import kind_of
from adapters.slack.people import Directory, Profile, unlooked
from bot.core import CustomerMoment
from bot.events import Incoming
from bot.replies import Reply

logger = logging.getLogger(__name__)

COMMAND = "/moment"
SHORTCUT = "make_moment"  # the message shortcut "Make it a Customer Moment" (manifest.yml)
SHORTCUT_LOOKUPS = 10  # people looked up by name for a message's mentions; the form must open within 3 s
# How long a modal submission's lookups in Slack may take: with at most the form slot's wait (1 s) and its
# work after them, Slack's 3 seconds for the answer still hold.
FORM_LOOKUP_SECONDS = 1.5
EXPIRED_FORM = "This form has expired. Please close it and start again."


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
    ) -> None:
        self._core = core
        self._directory = directory
        self._deliveries = deliveries
        self._inflight = inflight
        self._channels = channels
        self._installation_store = installation_store

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
            "member_left_channel": self.member_left,
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
        return await self._deliveries.claim(body)

    async def _profile(self, client: AsyncWebClient, sender: Sender) -> Profile:
        return await self._directory.profile(
            client, workspace_id=sender.workspace_id, user_id=sender.user_id, fallback=sender.user_name
        )

    def _exchange(self, client: AsyncWebClient, sender: Sender, profile: Profile, incoming: Incoming) -> Exchange:
        workspace_id = sender.workspace_id

        async def remember(key: str, ref: dict[str, Any]) -> None:
            with off_slack_clock():  # a database write between calls to Slack: a slow database is not a slow Slack
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
        )

    async def command(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await self.answer_command(body, client)

    async def _answer(
        self,
        client: AsyncWebClient,
        sender: Sender,
        body: dict[str, Any],
        read: Callable[[Profile], Awaitable[Incoming]],
        *,
        reply_in_place: bool = False,
        in_home: bool = False,
        acknowledgement: Acknowledgement | None = None,
    ) -> None:
        """Answer an acknowledged request once. Before its work slot, what Slack is asked: who sent it and
        whom it mentions (``read``, which logs it; people not seen lately are looked up), and for a press in
        the Home tab the channels to draw there. In the slot: whether it is the first delivery (a database
        write for events), and the core's call. After it: the replies are sent. In the Home tab the tab is
        then drawn again (core work, in a slot again, never shed: it shows what sending the replies said)
        and published.
        ``reply_in_place``: answer in the conversation the request came from (a direct message).
        ``acknowledgement``: a command's, not sent yet, to carry the first answer only the person sees."""
        async with self._inflight.tracked():
            self._inflight.admit()  # before any call to Slack for an answer that would be shed
            with self._inflight.on_slack():
                profile = await self._profile(client, sender)
                incoming = await read(profile)
                channels = await self._home_channels(client, sender, profile) if in_home else None
            # A command's work starts while its acknowledgement can still carry the answer, or is shed.
            within = acknowledgement.slot_wait() if acknowledgement is not None else None
            async with self._inflight.work(acknowledged_within=within):
                if not await self._first_time(body):
                    return
                replies = await self._core.handle(incoming)
            exchange = self._exchange(client, sender, profile, incoming)
            exchange.acknowledgement = acknowledgement
            if channels is not None:
                exchange.in_home = True
                with self._inflight.on_slack():
                    await exchange.send(replies)
                notice = " ".join(n for n in exchange.notices if n)
                async with self._inflight.follow_up():
                    view = await self._home_view(sender, profile, channels, notice=notice)
                with self._inflight.on_slack():
                    await self._publish_home(client, sender, profile, view)
                answered(surface=PLATFORM, kind=kind_of(body))
                return
            if reply_in_place:
                exchange.reply_in = str(incoming.place.channel_id)
            with self._inflight.on_slack():
                try:
                    await exchange.send(replies)
                finally:  # timed as it reached the person, whatever happens to the replies after it
                    if exchange.answered_at is not None:
                        answered(surface=PLATFORM, kind=kind_of(body), at=exchange.answered_at)

    async def answer_command(
        self, body: dict[str, Any], client: AsyncWebClient, acknowledgement: Acknowledgement | None = None
    ) -> None:
        """The answer to a ``/moment``: acknowledged already (through Bolt), or with an acknowledgement
        still to carry it (:mod:`adapters.slack.fastpath` calls this directly)."""
        sender = self._sender(body)
        if sender is None:
            return

        async def read(profile: Profile) -> Incoming:
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
            return incoming

        await self._answer(client, sender, body, read, acknowledgement=acknowledgement)

    async def action(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await self.answer_press(body, client)

    async def answer_press(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        """The answer to an acknowledged button press (:mod:`adapters.slack.fastpath` calls this directly)."""
        press = pressed(body)
        sender = self._sender(body) if press is not None else None
        if press is None or sender is None:
            return

        async def read(profile: Profile) -> Incoming:
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
            return incoming

        await self._answer(client, sender, body, read, in_home=press.in_home)

    async def direct_message(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        if not is_direct_message(event):
            return  # edits, joins, bots' posts (the bot's own answers too) and anything outside a DM
        sender = self._sender({**body, "user": event.get("user")})  # the envelope names no user; the event does
        if sender is None:
            return

        async def read(profile: Profile) -> Incoming:
            people = await self._directory.people(
                client, workspace_id=sender.workspace_id, user_ids=message_mentions(event)
            )
            incoming = message_incoming(
                event, sender, actor=profile.person(), people=people, bot_user_id=context.bot_user_id
            )
            logger.info(  # what people write to the bot is theirs: only where and who is logged
                "direct message in workspace %s channel %s by user %s",
                sender.workspace_id,
                incoming.place.channel_id,
                profile.user_id,
            )
            return incoming

        await self._answer(client, sender, body, read, reply_in_place=True)

    async def shortcut(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """ "Make it a Customer Moment" on a message: the core picks the form; it opens on the trigger (3 s)."""
        await ack()
        sender = self._sender(body)
        if sender is None:
            return

        async def read(profile: Profile) -> Incoming:
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
            return incoming

        await self._answer(client, sender, body, read)

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
        async with self._inflight.tracked():
            try:
                self._inflight.admit()
                with self._inflight.on_slack():  # who submitted it and whom it names: before the form slot
                    profile, incoming = await self._read_form(body, view, client, sender, origin)
                async with self._inflight.form():  # held while it is handled, not while its replies go out
                    replies = await self._submitted(ack, view, incoming)
            except Busy:  # raised before the submission was handled: nothing of it was stored
                count_shed(surface=PLATFORM, kind="form")
                await ack(response_action="errors", errors=input_errors({"form": BUSY}, view))
                return
            if replies is not None:
                with self._inflight.on_slack():
                    await self._exchange(client, sender, profile, incoming).send(replies)

    async def _read_form(
        self, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, sender: Sender, origin: FormOrigin
    ) -> tuple[Profile, Incoming]:
        """Who submitted the form and what it says, with the people it names looked up (and logged). Slack
        waits for the answer to a submission: past ``FORM_LOOKUP_SECONDS`` the lookups give way to what the
        payload says (the sender's user name, the people's ids), so that it is answered within 3 s."""
        found = answers(view)
        named = {f"@{u}": "" for u in found.users}
        profile = unlooked(sender.user_id, sender.user_name)
        people = {token: unlooked(token.removeprefix("@"), label).person() for token, label in named.items()}
        try:
            async with asyncio.timeout(FORM_LOOKUP_SECONDS):
                profile = await self._profile(client, sender)
                people = await self._directory.people(client, workspace_id=sender.workspace_id, user_ids=named)
        except TimeoutError:
            logger.warning(
                "looking up who is on the form of user %s in workspace %s took over %.1f s; going on without",
                sender.user_id,
                sender.workspace_id,
                FORM_LOOKUP_SECONDS,
            )
        incoming = form_incoming(body, sender, origin, found, actor=profile.person(), people=people)
        logger.info(
            "form %s submitted in workspace %s channel %s by user %s",
            origin.form_id,
            sender.workspace_id,
            incoming.place.channel_id,
            profile.user_id,
        )
        return profile, incoming

    async def _submitted(self, ack: AsyncAck, view: dict[str, Any], incoming: Incoming) -> list[Reply] | None:
        """Handle a submission and acknowledge it; what is left to send once acknowledged (None: the form's
        errors went back in the acknowledgement)."""
        replies = await self._core.handle(incoming)
        errors: dict[str, str] = {}
        for reply in replies:
            errors.update(reply.errors)
        if errors:
            await ack(response_action="errors", errors=input_errors(errors, view))
            answered(surface=PLATFORM, kind="form")
            return None
        await ack()
        answered(surface=PLATFORM, kind="form")
        return replies

    async def home_opened(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab") != "home":
            return
        sender = self._sender({**body, "user": event.get("user")})  # the envelope names no user; the event does
        if sender is None:
            return
        async with self._inflight.tracked():
            self._inflight.admit()
            with self._inflight.on_slack():
                profile = await self._profile(client, sender)
                channels = await self._home_channels(client, sender, profile)
            async with self._inflight.work():
                if not await self._first_time(body):
                    return
                view = await self._home_view(sender, profile, channels, notice="")
            with self._inflight.on_slack():
                await self._publish_home(client, sender, profile, view)
            answered(surface=PLATFORM, kind="event")

    async def _home_channels(self, client: AsyncWebClient, sender: Sender, profile: Profile) -> list[Channel]:
        """The channels the Home tab shows queues for: the person's that the bot is in too."""
        return await self._channels.for_home(client, workspace_id=sender.workspace_id, user_id=profile.user_id)

    async def _home_view(
        self, sender: Sender, profile: Profile, channels: list[Channel], *, notice: str
    ) -> dict[str, Any]:
        """The Home tab as the core sees it now: the person's moments, their channels' queues, their reviews."""
        actor = profile.person()
        alone = place(sender, None)
        mine = await self._core.handle(Incoming(place=alone, actor=actor, text="mine"))
        queues: list[Reply] = []
        for channel in channels:
            queues += await self._core.handle(
                Incoming(place=place(sender, channel.id, channel.name), actor=actor, text="queue")
            )
        review = await self._core.handle(Incoming(place=alone, actor=actor, text="review"))
        return home_view(HomeContent(mine=mine, queues=queues, review=review, notice=notice))

    async def _publish_home(
        self, client: AsyncWebClient, sender: Sender, profile: Profile, view: dict[str, Any]
    ) -> None:
        await client.views_publish(user_id=profile.user_id, view=view)
        logger.info("published the Home of user %s in workspace %s", profile.user_id, sender.workspace_id)

    async def member_left(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """Someone left a channel the bot is in, or was removed from it: no longer one of its people. Nobody
        waits on this, and it must not be lost: never shed, and a repeated delivery ends nothing more."""
        user, channel = event.get("user"), event.get("channel")
        sender = sender_of({**body, "user": user})  # the envelope names no user; the event does
        if not sender.known or not isinstance(channel, str) or not channel:
            logger.info("member_left_channel without a workspace, user or channel ignored")
            return
        async with self._inflight.tracked(), self._inflight.follow_up():
            ended = await self._core.left(place(sender, channel), [sender.user_id])
        logger.info(
            "user %s left channel %s in workspace %s (%s membership ended)",
            sender.user_id,
            channel,
            sender.workspace_id,
            ended,
        )

    async def uninstalled(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        tenant = tenant_of(body)
        if not tenant.workspace_id:
            logger.info("app_uninstalled without a workspace ignored")
            return
        async with self._inflight.tracked():  # never shed: the installation must go
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
        async with self._inflight.tracked():  # never shed: revoked tokens must go
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
