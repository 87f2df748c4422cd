"""Answering one interaction: the core's replies delivered where the person who acted expects them.

Ephemeral answers go back in a command's acknowledgement while it is not sent yet, then through the
interaction's ``response_url`` (or chat.postEphemeral);
forms open as modals on the interaction's trigger; a direct message to the bot is answered in that
conversation, where a form opens from a button; keyed cards update the message they live in;
channel posts carry metadata and are remembered for later updates; exports become files in the
person's DM with the bot.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.http import answer_time
from adapters.slack import delivery
from adapters.slack.acknowledgement import Acknowledgement
from adapters.slack.blocks import message
from adapters.slack.modals import FormOrigin, modal
from adapters.slack.respond import respond
from bot.replies import Audience, Button, Card, Reply

logger = logging.getLogger(__name__)

Remember = Callable[[str, dict[str, Any]], Awaitable[None]]

# The buttons that open a form where there is no trigger to open it on (a message has none).
OPENERS = {"story": "open.story", "shoutout": "open.shoutout"}


@dataclass(slots=True)
class Exchange:
    """Where one interaction came from and how to answer it."""

    client: AsyncWebClient
    workspace_id: str
    user_id: str
    channel_id: str | None = None
    channel_name: str = ""
    direct: bool = False
    response_url: str = ""
    trigger_id: str = ""
    pressed_message: dict[str, Any] | None = None
    in_home: bool = False
    zone: str | None = None
    remember: Remember | None = None
    reply_in: str = ""  # a conversation to answer in (the DM a message to the bot came from)
    acknowledgement: Acknowledgement | None = None  # a command's, not sent yet: carries the first answer
    notices: list[str] = field(default_factory=list)
    # When the first reply the person who acted sees was handed over to Slack (answer_time.now()); None
    # until then. A direct message to someone else (a shout-out's recipient) is not their answer.
    answered_at: float | None = None

    async def send(self, replies: Sequence[Reply]) -> None:
        for reply in replies:
            try:
                await self._send_one(reply)
            except delivery.SEND_FAILURES as exc:
                logger.warning(
                    "reply to user %s in workspace %s channel %s not delivered: %s",
                    self.user_id,
                    self.workspace_id,
                    self.channel_id,
                    exc,
                )
                continue
            if self.answered_at is None and (reply.audience is not Audience.DIRECT or reply.to_member == self.user_id):
                self.answered_at = answer_time.now()

    async def _send_one(self, reply: Reply) -> None:
        if reply.form is not None:
            await self._open_form(reply)
            return
        if reply.attachment is not None:
            await self._share_file(reply)
            return
        if reply.audience is Audience.CHANNEL:
            await self._to_channel(reply)
        elif reply.audience is Audience.DIRECT:
            if reply.to_member:
                await delivery.direct(self.client, user=reply.to_member, reply=reply)
        else:
            await self.tell(reply)

    async def _open_form(self, reply: Reply) -> None:
        assert reply.form is not None
        origin = FormOrigin(
            form_id=reply.form.form_id,
            context=reply.form.context,
            channel_id=None if self.direct else self.channel_id,
            channel_name=self.channel_name,
        )
        if not self.trigger_id:
            opener = OPENERS.get(reply.form.form_id)
            if self.reply_in and opener:
                button = Button("Open the form", opener, "", "primary")
                await self.tell(Reply(card=Card(title=reply.form.title, buttons=(button,))))
                return
            await self.tell(Reply(text="Please start again with the command; I can't open a form from here."))
            return
        try:
            await self.client.views_open(trigger_id=self.trigger_id, view=modal(reply.form, origin, zone=self.zone))
            logger.info("opened form %s for user %s (trigger %s)", reply.form.form_id, self.user_id, self.trigger_id)
        except SlackApiError as exc:
            logger.warning("views.open for form %s failed: %s", reply.form.form_id, delivery.api_error(exc))
            await self.tell(Reply(text="That took a moment too long for Slack — please try again."))

    async def _share_file(self, reply: Reply) -> None:
        """A file only ever goes to the person who asked, in their DM with the bot: never into a channel."""
        assert reply.attachment is not None
        await delivery.upload_direct(self.client, user=self.user_id, attachment=reply.attachment, comment=reply.text)
        if self.channel_id and not self.direct:
            await self.tell(Reply(text=f"I've sent {reply.attachment.filename} to you in a direct message."))

    async def _to_channel(self, reply: Reply) -> None:
        channel = reply.to_team or self.channel_id
        if channel is None:
            await self.tell(reply)
            return
        if reply.message is None:
            await delivery.post(self.client, channel=channel, reply=reply)
            return
        # The pressed message stands in for a keyed message not remembered yet only where the keyed message
        # goes: a button on a review card in a direct message must not turn that card into a channel post.
        pressed = self.pressed_message
        target = reply.message.ref or (pressed if pressed is not None and pressed.get("channel") == channel else None)
        ref, anew = await delivery.update_or_post(self.client, ref=target, channel=channel, reply=reply)
        if (anew or reply.message.ref != ref) and self.remember is not None:
            await self.remember(reply.message.key, ref)

    async def tell(self, reply: Reply) -> None:
        """An answer only the person who acted sees."""
        if self.in_home:
            self.notices.append(reply.text or (reply.card.title if reply.card else ""))
            if reply.card is None:
                return
        if self.reply_in:
            await delivery.post(self.client, channel=self.reply_in, reply=reply)
            return
        answer = {"response_type": "ephemeral", **message(reply)}
        if self.acknowledgement is not None and self.acknowledgement.carry(answer):
            return
        if self.response_url:
            status = await respond(self.client, self.response_url, {**answer, "replace_original": False})
            if status == 200:
                return
            logger.warning("response_url answered %s for user %s", status, self.user_id)
        if self.channel_id and not self.direct:
            try:
                await delivery.ephemeral(self.client, channel=self.channel_id, user=self.user_id, reply=reply)
                return
            except SlackApiError as exc:
                logger.info("ephemeral to %s in %s failed (%s); sending a DM", self.user_id, self.channel_id, exc)
        await delivery.direct(self.client, user=self.user_id, reply=reply)
