"""``/moment`` straight to its listener: the acknowledgement without Bolt's dispatch in between.

A slash command's acknowledgement carries nothing (:mod:`adapters.slack.ackfirst`), and its listener
needs only the command's body and a Web API client holding the workspace's bot token. What Bolt does
in between — its middleware chain, matching every listener, building every argument any listener
could ask for, a runner that hands the listener a task of its own — cost about a twentieth of the
CPU of each command (README "Measured"). So the app's own command is taken here: authorized by the
same ``authorize`` object Bolt uses, acknowledged at once, its listener run in a task, and anything it
raises handed to the app's error handler, as Bolt would.

Everything else goes through Bolt as before, and so does a command that is not plainly ours to take:
another command, an SSL check, or a workspace the app is not authorized in (Bolt asks again and gives
its own answer, "not installed" included).
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

logger = logging.getLogger(__name__)

Listener = Callable[[dict[str, Any], AsyncWebClient], Awaitable[None]]
ErrorHandler = Callable[[Exception, dict[str, Any]], Awaitable[None]]
ClientFor = Callable[[str], AsyncWebClient]


class SlashCommand:
    """Takes one slash command past Bolt's dispatch."""

    def __init__(
        self,
        *,
        command: str,
        authorize: AsyncAuthorize,
        client_for: ClientFor,
        listener: Listener,
        on_error: ErrorHandler,
    ) -> None:
        self._command = command
        self._authorize = authorize
        self._client_for = client_for
        self._listener = listener
        self._on_error = on_error
        self._tasks: set[asyncio.Task[None]] = set()

    async def take(self, request: AsyncBoltRequest) -> bool:
        """Start answering ``request`` if it is this command from an authorized workspace (True: it is
        acknowledged, with an empty 200); False leaves it to Bolt."""
        body = request.body
        if not is_slash_command(body) or body.get("command") != self._command or "ssl_check" in body:
            return False
        context = request.context
        try:
            result = await self._authorize(
                context=context, enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=context.user_id
            )
        except Exception as exc:  # Bolt authorizes it again, and answers and logs as it does
            logger.info(
                "slack: %s in workspace %s left to Bolt (%s)", self._command, context.team_id, type(exc).__name__
            )
            return False
        token = (result.bot_token or result.user_token) if result is not None else None
        if not token:
            return False
        task = asyncio.create_task(self._answer(body, self._client_for(token)))
        self._tasks.add(task)  # held until done: the loop keeps only a weak reference to a task
        task.add_done_callback(self._tasks.discard)
        return True

    async def _answer(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        try:
            await self._listener(body, client)
        except Exception as exc:
            await self._on_error(exc, body)
