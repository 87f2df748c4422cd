"""Finishing an export in Teams: the person answered the file consent card in their 1:1 chat.

On "Allow" the export command stored in the card runs again — as the person who answers, with the
core's permission checks — and the fresh file goes to the upload URL Teams opened in their OneDrive;
the consent card then becomes the file card. On "Decline" it says so.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.teams import files
from adapters.teams.activities import PLATFORM, Activity, actor_of, section, text_of, workspace_id
from adapters.teams.outbox import Connectors
from adapters.teams.outgoing import message, outcome_card
from bot.core import CustomerMoment
from bot.events import Incoming, Place

logger = logging.getLogger(__name__)

Upload = Callable[[str, bytes], Awaitable[None]]

DECLINED = "Okay, I didn't save the file."
NOT_SAVED = "I couldn't save the file to your OneDrive. Please ask for the export again."


class Exports:
    def __init__(self, *, core: CustomerMoment, upload: Upload, allow_http_uploads: bool) -> None:
        """``allow_http_uploads``: only with authentication off (local tests); Teams' URLs are https."""
        self._core = core
        self._upload = upload
        self._allow_http_uploads = allow_http_uploads

    async def answer(self, activity: Activity, connectors: Connectors, *, accepted: bool) -> None:
        """The person answered a file consent card: run the export again and upload it, or let it go."""
        value = activity.get("value")
        context, info = files.consent_context(value), files.upload_info(value)
        conversation_id = text_of(section(activity, "conversation"), "id")
        tenant = workspace_id(activity)
        connector = await connectors(text_of(activity, "serviceUrl"))
        card_id = text_of(activity, "replyToId")

        async def show(content: dict[str, Any]) -> None:
            if card_id:
                await connector.update(conversation_id, card_id, content)
            else:
                await connector.send(conversation_id, content)

        if not accepted:
            await show(outcome_card("Export", DECLINED))
            return
        actor = actor_of(activity)
        url = text_of(info, "uploadUrl")
        if actor is None or not context.get("command") or not self._upload_allowed(url):
            await show(outcome_card("Export", NOT_SAVED))
            return
        place = Place(
            platform=PLATFORM,
            workspace_id=tenant,
            channel_id=context["channelId"] or None,
            channel_name=context["channelName"],
            direct=not context["channelId"],
        )
        replies = await self._core.handle(Incoming(place=place, actor=actor, text=context["command"]))
        exported = next((r for r in replies if r.attachment is not None), None)
        if exported is None or exported.attachment is None:
            await show(message("\n".join(r.text for r in replies if r.text) or NOT_SAVED))
            return
        try:
            await self._upload(url, exported.attachment.content.encode("utf-8"))
        except Exception as exc:  # OneDrive refused or was unreachable: say so, nothing else to undo
            logger.warning("teams: export upload for %s failed: %s", actor.external_id, exc)
            await show(outcome_card("Export", NOT_SAVED))
            return
        await show(files.info_activity(info))
        logger.info("teams: export uploaded for %s in %s", actor.external_id, tenant)

    def _upload_allowed(self, url: str) -> bool:
        return url.startswith("https://") or (self._allow_http_uploads and url.startswith("http://"))
