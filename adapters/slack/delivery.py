"""Sending neutral replies through the Slack Web API: channel posts, updates in place, DMs, files.

These are the primitive sends shared by the interactive path (after a command or button press) and by
the scheduler's ``deliver``; Slack errors become the delivery port's ``DeliveryError`` / ``ChannelGone``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import message, metadata
from adapters.slack.text import cut, escape_within
from bot.ports import ChannelGone, DeliveryError
from bot.replies import Attachment, Reply

logger = logging.getLogger(__name__)

# The channel (or the whole installation) is no longer there for us: stop posting to it.
GONE = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "account_inactive",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "team_access_not_granted",
        "team_not_found",
        "org_login_required",
        "ekm_access_denied",
    }
)
RETRYABLE = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})
# chat.update could not find or change the message: post a new one instead.
NOT_UPDATABLE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
DM_ATTACHMENT_CHARS = 3000


def api_error(exc: SlackApiError) -> str:
    """Slack's error code; ``unknown_error`` when the answer carries none, such as a body that is not JSON
    (a gateway's HTML error page, a proxy's plain text), which the client keeps as a string."""
    data = exc.response.data if exc.response is not None else None
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, str) else "unknown_error"


def retry_after_of(exc: SlackApiError) -> float | None:
    headers = exc.response.headers if exc.response is not None else {}
    raw = None
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) and value else value
    try:
        return float(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def delivery_error(exc: BaseException, *, what: str) -> DeliveryError:
    """Map a Web API failure to the delivery port's errors."""
    if isinstance(exc, SlackApiError):
        error = api_error(exc)
        status = exc.response.status_code if exc.response is not None else 0
        if error in GONE:
            return ChannelGone(f"{what}: {error}")
        if error in RETRYABLE or status == 429 or status >= 500:
            return DeliveryError(f"{what}: {error}", retryable=True, retry_after=retry_after_of(exc))
        return DeliveryError(f"{what}: {error}", retryable=False)
    if isinstance(exc, SlackRequestError):
        return DeliveryError(f"{what}: {exc}", retryable=False)
    return DeliveryError(f"{what}: {type(exc).__name__}: {exc}", retryable=True)


SEND_FAILURES = (SlackApiError, SlackClientError, aiohttp.ClientError, asyncio.TimeoutError, OSError)


def failure(exc: BaseException) -> str:
    """What a failed Web API call is, for a log line: Slack's error code, or the kind of failure."""
    return api_error(exc) if isinstance(exc, SlackApiError) else type(exc).__name__


def ref_of(response: Any) -> dict[str, Any]:
    return {"channel": response.get("channel"), "ts": response.get("ts")}


async def post(client: AsyncWebClient, *, channel: str, reply: Reply) -> dict[str, Any]:
    """chat.postMessage; a keyed reply carries metadata so that it can be found in the history later."""
    extra: dict[str, Any] = {}
    if reply.message is not None:
        extra["metadata"] = metadata(reply.message.key)
    response = await client.chat_postMessage(
        channel=channel, unfurl_links=False, unfurl_media=False, **message(reply), **extra
    )
    logger.info("posted to channel %s as %s (key %s)", channel, response.get("ts"), reply.message and reply.message.key)
    return ref_of(response)


async def update(client: AsyncWebClient, *, ref: dict[str, Any], reply: Reply) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if reply.message is not None:
        extra["metadata"] = metadata(reply.message.key)
    response = await client.chat_update(channel=str(ref["channel"]), ts=str(ref["ts"]), **message(reply), **extra)
    logger.info("updated message %s in channel %s", ref.get("ts"), ref.get("channel"))
    return {"channel": response.get("channel") or ref["channel"], "ts": response.get("ts") or ref["ts"]}


async def update_or_post(
    client: AsyncWebClient, *, ref: dict[str, Any] | None, channel: str, reply: Reply
) -> tuple[dict[str, Any], bool]:
    """Update the keyed message in place; post it anew when it is gone. Returns (ref, posted anew)."""
    if ref and ref.get("channel") and ref.get("ts"):
        try:
            return await update(client, ref=ref, reply=reply), False
        except SlackApiError as exc:
            if api_error(exc) not in NOT_UPDATABLE:
                raise
            logger.info("message %s in %s cannot be updated (%s); posting anew", ref.get("ts"), channel, api_error(exc))
    return await post(client, channel=channel, reply=reply), True


async def direct(client: AsyncWebClient, *, user: str, reply: Reply) -> dict[str, Any]:
    """A direct message from the bot to one member."""
    opened = await client.conversations_open(users=user)
    channel = (opened.get("channel") or {}).get("id")
    if not channel:
        raise DeliveryError(f"no direct conversation with {user}", retryable=False)
    response = await client.chat_postMessage(channel=channel, unfurl_links=False, unfurl_media=False, **message(reply))
    logger.info("sent a direct message to user %s", user)
    return ref_of(response)


async def ephemeral(client: AsyncWebClient, *, channel: str, user: str, reply: Reply) -> None:
    await client.chat_postEphemeral(channel=channel, user=user, **message(reply))


async def upload_direct(client: AsyncWebClient, *, user: str, attachment: Attachment, comment: str) -> None:
    """Share an export as a file in the person's DM with the bot, never in a channel; if Slack refuses
    the upload, DM them its beginning instead."""
    opened = await client.conversations_open(users=user)
    channel = (opened.get("channel") or {}).get("id")
    if not channel:
        raise DeliveryError(f"no direct conversation with {user}", retryable=False)
    try:
        await client.files_upload_v2(
            channel=channel,
            filename=attachment.filename,
            title=attachment.filename,
            content=attachment.content.encode("utf-8"),
            initial_comment=escape_within(comment, 1000) if comment else None,
        )
        logger.info("uploaded %s to user %s in a direct message", attachment.filename, user)
        return
    except SEND_FAILURES as exc:
        logger.warning("file upload of %s to user %s failed: %s", attachment.filename, user, exc)
    shortened = cut(attachment.content, DM_ATTACHMENT_CHARS)
    note = (
        f"I couldn't share {attachment.filename} as a file, so here it is"
        + (" (shortened)" if shortened != attachment.content else "")
        + f":\n{shortened}"
    )
    await client.chat_postMessage(channel=channel, unfurl_links=False, unfurl_media=False, **message(Reply(text=note)))
