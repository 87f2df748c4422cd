"""Handing a file (an export) to someone in Teams: consent card, upload to their OneDrive, file card.

The Bot APIs can hand over files only in the 1:1 chat, and only after the person accepts a file
consent card; Teams then gives an upload URL in their OneDrive. The card carries the command that
made the file, not the file: on "Allow" the command runs again (with the same permission checks) and
the fresh result is uploaded, so nothing is kept in memory between the two steps.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import aiohttp

from adapters.teams.activities import text_of
from adapters.teams.outgoing import message
from bot.replies import Attachment

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]

CONSENT = "application/vnd.microsoft.teams.card.file.consent"
INFO = "application/vnd.microsoft.teams.card.file.info"
UPLOAD_TIMEOUT = aiohttp.ClientTimeout(total=60)


def consent_activity(
    text: str, attachment: Attachment, *, command: str, channel_id: str | None, channel_name: str
) -> JsonDict:
    """The message asking to save the file to the person's OneDrive."""
    context = {"command": command[:500], "channelId": channel_id or "", "channelName": channel_name[:200]}
    card = {
        "contentType": CONSENT,
        "name": attachment.filename,
        "content": {
            "description": f"{attachment.filename} — your Customer Moment export",
            "sizeInBytes": len(attachment.content.encode("utf-8")),
            "acceptContext": context,
            "declineContext": context,
        },
    }
    return message(text, [card])


def consent_context(value: object) -> JsonDict:
    """The context a consent card returned (``value.context`` of the ``fileConsent/invoke``)."""
    if not isinstance(value, Mapping):
        return {}
    context = value.get("context")
    if not isinstance(context, Mapping):
        return {}
    return {
        "command": text_of(context, "command")[:500],
        "channelId": text_of(context, "channelId")[:128],
        "channelName": text_of(context, "channelName")[:200],
    }


def upload_info(value: object) -> JsonDict:
    info = value.get("uploadInfo") if isinstance(value, Mapping) else None
    return dict(info) if isinstance(info, Mapping) else {}


def info_activity(info: Mapping[str, Any]) -> JsonDict:
    """The card that opens the uploaded file."""
    card = {
        "contentType": INFO,
        "contentUrl": text_of(info, "contentUrl"),
        "name": text_of(info, "name"),
        "content": {"uniqueId": text_of(info, "uniqueId"), "fileType": text_of(info, "fileType")},
    }
    return message(attachments=[card])


async def upload(session: aiohttp.ClientSession, url: str, content: bytes) -> None:
    """Put the file into the upload session Teams opened in the person's OneDrive."""
    headers = {"Content-Length": str(len(content)), "Content-Range": f"bytes 0-{len(content) - 1}/{len(content)}"}
    async with session.put(url, data=content, headers=headers, timeout=UPLOAD_TIMEOUT) as response:
        if response.status >= 300:
            raise aiohttp.ClientResponseError(
                response.request_info, response.history, status=response.status, message="upload refused"
            )
