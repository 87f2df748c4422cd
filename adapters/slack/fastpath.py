"""``/moment`` and button presses straight to their listener, without Bolt's dispatch in between.

Their listeners need only the request's body and a Web API client holding the workspace's bot token.
What Bolt does in between — its middleware chain, matching every listener, building every argument any
listener could ask for, a runner that hands the listener a task of its own — cost about 6 % of the
CPU of each command (README "Measured"). So they are taken here: authorized by the same ``authorize`` object
Bolt uses, the listener run in a task, and anything it raises handed to the app's error handler, as
Bolt would.

Everything else goes through Bolt as before, and so does a request that is not plainly one of these:
another command, an SSL check, or a workspace the app is not authorized in (Bolt asks again and gives
its own answer, "not installed" included).

A command's acknowledgement waits a bounded moment to carry its answer
(:mod:`adapters.slack.acknowledgement`); a button press is acknowledged empty at once (Slack shows
nothing an acknowledgement of a press carries).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.payload_utils import is_slash_command
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.acknowledgement import Acknowledgement
from adapters.slack.overload import ErrorHandler, acknowledged

logger = logging.getLogger(__name__)

Listener = Callable[[dict[str, Any], AsyncWebClient], Awaitable[None]]
CommandListener = Callable[[dict[str, Any], AsyncWebClient, Acknowledgement], Awaitable[None]]
ClientFor = Callable[[str | None, str | None], AsyncWebClient]  # (token, workspace id) → client


class FastPath:
    """Takes the app's slash command and button presses past Bolt's dispatch."""

    def __init__(
        self,
        *,
        command: str,
        on_command: CommandListener,
        on_press: Listener,
        authorize: AsyncAuthorize,
        client_for: ClientFor,
        on_error: ErrorHandler,
    ) -> None:
        self._command = command
        self._on_command = on_command
        self._on_press = on_press
        self._authorize = authorize
        self._client_for = client_for
        self._on_error = on_error
        self._tasks: set[asyncio.Task[None]] = set()

    def _kind(self, body: dict[str, Any]) -> str | None:
        if "ssl_check" in body:
            return None
        if is_slash_command(body):
            return "command" if body.get("command") == self._command else None
        return "press" if body.get("type") == "block_actions" else None

    async def take(self, request: AsyncBoltRequest) -> Acknowledgement | None:
        """Start answering ``request`` if it is one of ours from an authorized workspace: its acknowledgement,
        to send once it is ready (:meth:`Acknowledgement.body`). None leaves the request to Bolt."""
        body = request.body
        kind = self._kind(body)
        if kind is None:
            return None
        context = request.context
        # What Bolt gives every request before authorizing it: a logger, and a client for the workspace
        # without a token yet (an installation-store authorize calls auth.test with it). The workspace
        # matters to an org-wide token, which Slack otherwise reads for the whole organisation.
        client = self._client_for(None, context.team_id)
        context["logger"] = logger
        context["client"] = client
        try:
            result = await self._authorize(
                context=context, enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=context.user_id
            )
        except Exception as exc:  # Bolt authorizes it again, and answers and logs as it does
            logger.info("slack: request from workspace %s left to Bolt (%s)", context.team_id, type(exc).__name__)
            return None
        token = (result.bot_token or result.user_token) if result is not None else None
        if not token:
            return None
        client.token = token
        if kind == "command":
            acknowledgement = Acknowledgement()
            answering = self._command_answer(body, client, acknowledgement)
        else:
            acknowledgement = Acknowledgement(within=None)
            answering = self._press_answer(body, client)
        task = asyncio.create_task(answering)
        self._tasks.add(task)  # held until done: the loop keeps only a weak reference to a task
        task.add_done_callback(self._tasks.discard)
        return acknowledgement

    async def _command_answer(self, body: dict[str, Any], client: AsyncWebClient, ack: Acknowledgement) -> None:
        try:
            await self._on_command(body, client, ack)
        except Exception as exc:  # busy, or a failure: in the acknowledgement if it can still carry it
            if not acknowledged(ack, exc, body):
                await self._on_error(exc, body, client)
        finally:
            ack.close()

    async def _press_answer(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        try:
            await self._on_press(body, client)
        except Exception as exc:
            await self._on_error(exc, body, client)
