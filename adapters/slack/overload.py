"""The "busy" answer on Slack: when a command's or a button's answer is shed, the person hears so.

:class:`adapters.http.overload.Busy` is raised, before any work, when no slot came free in time. A
slash command then carries :data:`adapters.http.overload.BUSY` in its acknowledgement (the listener
does that); a button, acknowledged already, gets it on its ``response_url`` (:func:`answer_busy`).
Either way only the person sees it and the shed request is counted. Errors in listeners and
middleware are logged by :func:`error_handler`, as Bolt's own handler would.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.http.overload import BUSY, count_shed
from adapters.slack.incoming import tenant_of, user_of

logger = logging.getLogger(__name__)


def kind_of(body: dict[str, Any]) -> str:
    """command, action or event: what was shed."""
    if body.get("command"):
        return "command"
    return "action" if body.get("type") == "block_actions" else "event"


def shed(body: dict[str, Any]) -> None:
    """Count one request answered "busy" instead of being served."""
    kind = kind_of(body)
    count_shed(surface="slack", kind=kind)
    logger.debug("busy: %s of user %s in workspace %s shed", kind, user_of(body)[0], tenant_of(body).workspace_id)


async def answer_busy(body: dict[str, Any], *, session: aiohttp.ClientSession | None, seconds: int) -> None:
    """Counted, and :data:`BUSY` on the request's ``response_url`` when it has one."""
    shed(body)
    url = body.get("response_url")
    if not isinstance(url, str) or not url:
        return  # an event, or a press on the Home tab: nobody is waiting on a response_url
    user_id, workspace_id = user_of(body)[0], tenant_of(body).workspace_id
    webhook = AsyncWebhookClient(url, timeout=seconds, session=session)
    try:
        response = await webhook.send_dict({"response_type": "ephemeral", "replace_original": False, "text": BUSY})
    except (aiohttp.ClientError, TimeoutError) as exc:
        logger.warning("busy answer to user %s in workspace %s failed: %s", user_id, workspace_id, exc)
        return
    if response.status_code != 200:
        logger.warning("response_url answered %s to the busy answer of user %s", response.status_code, user_id)


def error_handler() -> Callable[[Exception, dict[str, Any]], Awaitable[None]]:
    """Bolt's ``app.error`` handler: the error logged by its type, with the stack."""

    async def handle(error: Exception, body: dict[str, Any]) -> None:
        logger.error("Slack request failed in a listener or middleware (%s)", kind_of(body), exc_info=error)

    return handle
