"""The "busy" answer on Slack: when a command's or a button's answer is shed, the person hears so.

:class:`adapters.http.overload.Busy` is raised by the listener, after the acknowledgement and before
any work, when no slot came free in time. Bolt (or :mod:`adapters.slack.fastpath`, for commands and
button presses) hands it to the app's error handler, which this provides: it posts
:data:`adapters.http.overload.BUSY` to the request's ``response_url`` (only the person sees it) and
counts the shed request. Every other error is logged, as Bolt's own handler would.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.http.overload import BUSY, Busy, count_shed
from adapters.slack.incoming import tenant_of, user_of
from adapters.slack.respond import respond

logger = logging.getLogger(__name__)

BUSY_ANSWER = {"response_type": "ephemeral", "replace_original": False, "text": BUSY}


def kind_of(body: dict[str, Any]) -> str:
    """command, action or event: what was shed."""
    if body.get("command"):
        return "command"
    return "action" if body.get("type") == "block_actions" else "event"


ErrorHandler = Callable[[Exception, dict[str, Any]], Awaitable[None]]


def error_handler(client: AsyncWebClient, tracked: Callable[[], AbstractAsyncContextManager[object]]) -> ErrorHandler:
    """Bolt's ``app.error`` handler: the busy answer for :class:`Busy`, a logged error for anything else.

    ``tracked``: entered around sending the busy answer, so that shutdown waits for it as for any answer
    (:meth:`adapters.http.inflight.Inflight.tracked`)."""

    async def handle(error: Exception, body: dict[str, Any]) -> None:
        if not isinstance(error, Busy):
            logger.error("Slack request failed in a listener or middleware (error: %s)", error, exc_info=error)
            return
        kind = kind_of(body)
        count_shed(surface="slack", kind=kind)
        workspace_id, (user_id, _) = tenant_of(body).workspace_id, user_of(body)
        logger.debug("busy: %s of user %s in workspace %s shed", kind, user_id, workspace_id)
        url = body.get("response_url")
        if not isinstance(url, str) or not url:
            return  # an event, or a press on the Home tab: nobody is waiting on a response_url
        try:
            async with tracked():
                status = await respond(client, url, BUSY_ANSWER)
        except (aiohttp.ClientError, TimeoutError) as exc:
            logger.warning("busy answer to user %s in workspace %s failed: %s", user_id, workspace_id, exc)
            return
        if status != 200:
            logger.warning("response_url answered %s to the busy answer of user %s", status, user_id)

    return handle
