"""Bolt listeners: ack first, then translate → one call into the core → deliver the replies.

Commands and button presses are acknowledged before anything else happens; the core call and all
Web API calls run after the acknowledgement (Bolt runs the listener on after the response with
``process_before_response=False``). A modal submission is the one exception: its inline errors
must be in the acknowledgement itself, so the core answers before the ack.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.http.foreground import Foreground
from adapters.http.overload import ANSWER_WAIT_SECONDS, Backlog
from adapters.slack.channels import ChannelFinder
from adapters.slack.dedupe import DeliveryLog
from adapters.slack.exchange import Exchange
from adapters.slack.home import HomeContent, home_view
from adapters.slack.incoming import (
    PLATFORM,
    action_incoming,
    command_incoming,
    command_mentions,
    delivery_key,
    form_incoming,
    place,
    pressed,
    tenant_of,
    user_of,
)
from adapters.slack.modals import CALLBACK_ID, answers, decode_origin, input_errors
from adapters.slack.people import Directory, Profile
from bot.core import CustomerMoment
from bot.events import Incoming
from bot.replies import Reply

logger = logging.getLogger(__name__)

COMMAND = "/moment"
EXPIRED_FORM = "This form has expired. Please close it and start again."


class Inflight:
    """Work running after an acknowledgement: bounded in concurrency, awaited on shutdown and in tests.

    Acknowledgements come first: new work waits while the process is busy answering requests that
    someone is waiting for (see :class:`adapters.http.foreground.Foreground`).
    """

    def __init__(self, *, limit: int, foreground: Foreground, wait: float = ANSWER_WAIT_SECONDS) -> None:
        self._slots = Backlog(limit=limit, bound=wait)  # past ``wait`` seconds: Busy (adapters/http/overload.py)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._foreground = foreground

    def acknowledging(self) -> AbstractContextManager[None]:
        """Around one HTTP request from Slack, until its response is ready."""
        return self._foreground.answering()

    @asynccontextmanager
    async def slot(self, *, waiting: bool = True) -> AsyncIterator[None]:
        """Track the current task; with ``waiting``, first wait for a calm moment, then for a slot
        (:class:`adapters.http.overload.Busy` when none frees within the answer wait bound).

        Modal submissions pass ``waiting=False``: Slack is waiting for their answer, so they never queue.
        """
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            self._idle.clear()
        try:
            if waiting:
                await self._foreground.calm()  # give way before taking a slot, not while holding one
                async with self._slots:
                    yield
            else:
                yield
        finally:
            if task is not None:
                self._tasks.discard(task)
                if not self._tasks:
                    self._idle.set()

    async def idle(self, within: float | None = None) -> bool:
        """Wait until no work is running; False if ``within`` seconds ran out first."""
        try:
            await asyncio.wait_for(self._idle.wait(), within)
        except TimeoutError:
            return False
        return True


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
        app.event("app_home_opened")(self.home_opened)
        app.event("app_uninstalled")(self.uninstalled)
        app.event("tokens_revoked")(self.tokens_revoked)

    @staticmethod
    def _known_sender(body: dict[str, Any]) -> bool:
        """Slack always names the workspace and the person; a payload that does not is not acted on."""
        if tenant_of(body).workspace_id and user_of(body)[0]:
            return True
        kind = body.get("type") if isinstance(body.get("type"), str) else "command"
        logger.info("%s without a workspace or a user ignored", kind)
        return False

    async def _first_time(self, body: dict[str, Any]) -> bool:
        key = delivery_key(body)
        return key is None or await self._deliveries.claim(key)

    async def _profile(self, client: AsyncWebClient, body: dict[str, Any]) -> tuple[str, Profile]:
        workspace_id = tenant_of(body).workspace_id
        user_id, fallback = user_of(body)
        profile = await self._directory.profile(client, workspace_id=workspace_id, user_id=user_id, fallback=fallback)
        return workspace_id, profile

    def _exchange(self, client: AsyncWebClient, workspace_id: str, profile: Profile, incoming: Incoming) -> Exchange:
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
        )

    async def command(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        if not self._known_sender(body):
            return
        async with self._inflight.slot():
            if not await self._first_time(body):
                return
            workspace_id, profile = await self._profile(client, body)
            people = await self._directory.people(client, workspace_id=workspace_id, user_ids=command_mentions(body))
            incoming = command_incoming(body, actor=profile.person(), people=people)
            logger.info(
                "command %r in workspace %s channel %s by user %s (trigger %s)",
                incoming.text.split(" ", 1)[0][:30],
                workspace_id,
                incoming.place.channel_id,
                profile.user_id,
                incoming.ref.get("trigger_id"),
            )
            replies = await self._core.handle(incoming)
            await self._exchange(client, workspace_id, profile, incoming).send(replies)

    async def action(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        press = pressed(body)
        if press is None or not self._known_sender(body):
            return
        async with self._inflight.slot():
            if not await self._first_time(body):
                return
            workspace_id, profile = await self._profile(client, body)
            incoming = action_incoming(body, press, actor=profile.person())
            logger.info(
                "action %s=%s in workspace %s channel %s by user %s (trigger %s)",
                press.action_id,
                press.value[:20],
                workspace_id,
                press.channel_id,
                profile.user_id,
                incoming.ref.get("trigger_id"),
            )
            replies = await self._core.handle(incoming)
            exchange = self._exchange(client, workspace_id, profile, incoming)
            exchange.in_home = press.in_home
            await exchange.send(replies)
            if press.in_home:
                await self._publish_home(client, body, profile, notice=" ".join(n for n in exchange.notices if n))

    async def submission(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        origin = decode_origin(str(view.get("private_metadata") or ""))
        if origin is None:
            await ack(response_action="errors", errors=input_errors({"form": EXPIRED_FORM}, view))
            return
        if not self._known_sender(body) or not await self._first_time(body):
            await ack()
            return
        async with self._inflight.slot(waiting=False):
            workspace_id, profile = await self._profile(client, body)
            found = answers(view)
            people = await self._directory.people(
                client, workspace_id=workspace_id, user_ids={f"@{u}": "" for u in found.users}
            )
            incoming = form_incoming(body, origin, found, actor=profile.person(), people=people)
            logger.info(
                "form %s submitted in workspace %s channel %s by user %s",
                origin.form_id,
                workspace_id,
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
            await self._exchange(client, workspace_id, profile, incoming).send(replies)

    async def home_opened(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        body = {**body, "user": event.get("user")}
        if event.get("tab") != "home" or not self._known_sender(body):
            return
        async with self._inflight.slot():
            if not await self._first_time(body):
                return
            _, profile = await self._profile(client, body)
            await self._publish_home(client, body, profile, notice="")

    async def _publish_home(
        self, client: AsyncWebClient, body: dict[str, Any], profile: Profile, *, notice: str
    ) -> None:
        actor = profile.person()
        workspace_id = tenant_of(body).workspace_id
        alone = place(body, None)
        mine = await self._core.handle(Incoming(place=alone, actor=actor, text="mine"))
        channels = await self._channels.for_home(client, workspace_id=workspace_id, user_id=profile.user_id)
        queues: list[Reply] = []
        for channel in channels:
            queues += await self._core.handle(
                Incoming(place=place(body, channel.id, channel.name), actor=actor, text="queue")
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
        async with self._inflight.slot(waiting=False):  # never shed: the installation must go
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
        async with self._inflight.slot(waiting=False):  # never shed: revoked tokens must go
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
