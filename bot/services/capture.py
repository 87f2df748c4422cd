"""Capture where it happens: a chat message becomes a story or a shout-out, starting from its words.

A surface hands over the message's text and, when a person wrote it, its author (see ``bot.events``).
Your own message (or one no person wrote) opens the story form with the text as what happened; someone
else's opens the shout-out form for them, with the text as the reason. Nothing is stored until the
form is sent, so every rule of a story or a shout-out still applies then.
"""

from __future__ import annotations

import logging

from bot import forms
from bot.domain.validation import MAX_REASON, MAX_TEXT, tidy
from bot.events import CAPTURE_MESSAGE, MESSAGE_AUTHOR
from bot.replies import Reply
from bot.services.context import Context

logger = logging.getLogger(__name__)

ACTION = CAPTURE_MESSAGE
ELLIPSIS = "…"


def shortened(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, ending in "…" when something was left out."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def mention(external_id: str) -> str:
    """The token a ``people`` field holds for a person (what surfaces hand back from a people picker)."""
    return f"@{external_id}"


async def capture_message(ctx: Context, text: str) -> list[Reply]:
    words = tidy(text)
    author = ctx.incoming.people.get(MESSAGE_AUTHOR)
    if author is None or not author.external_id or author.external_id == ctx.incoming.actor.external_id:
        logger.info("capturing a message as a story for member %s", ctx.member.id)
        return [Reply(form=forms.prefilled(forms.STORY, {"situation": shortened(words, MAX_TEXT)}))]
    logger.info("capturing a message as a shout-out from member %s", ctx.member.id)
    values = {"recipients": (mention(author.external_id),), "reason": shortened(words, MAX_REASON)}
    return [Reply(form=forms.prefilled(forms.SHOUTOUT, values))]
