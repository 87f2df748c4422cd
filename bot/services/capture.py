"""Capture where it happens: a chat message becomes a story or a shout-out, starting from its words.

A surface hands over the message's text, the people it mentions (as for a command) and, when a person
wrote it, its author (see ``bot.events``).
Your own message (or one no person wrote) opens the story form with the text as what happened; someone
else's opens the shout-out form for them, with the text as the reason. Nothing is stored until the
form is sent, so every rule of a story or a shout-out still applies then.
"""

from __future__ import annotations

import logging
import re

from bot import forms
from bot.domain.validation import MAX_REASON, MAX_TEXT, tidy
from bot.events import CAPTURE_MESSAGE, MESSAGE_AUTHOR, Person
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


def named(text: str, people: dict[str, Person]) -> str:
    """Mention tokens (``@U123``) in the message written as the names of the people they stand for."""
    tokens = sorted((t for t in people if t != MESSAGE_AUTHOR and t.startswith("@") and people[t].name), key=len)
    if not tokens:
        return text
    pattern = re.compile("(?:" + "|".join(re.escape(t) for t in reversed(tokens)) + r")(?!\w)")
    return pattern.sub(lambda match: "@" + people[match.group(0)].name, text)


def mention(external_id: str) -> str:
    """The token a ``people`` field holds for a person (what surfaces hand back from a people picker)."""
    return f"@{external_id}"


async def capture_message(ctx: Context, text: str) -> list[Reply]:
    words = tidy(named(text, ctx.incoming.people))
    author = ctx.incoming.people.get(MESSAGE_AUTHOR)
    if author is None or not author.external_id or author.external_id == ctx.incoming.actor.external_id:
        logger.info("capturing a message as a story for member %s", ctx.member.id)
        return [Reply(form=forms.prefilled(forms.STORY, {"situation": shortened(words, MAX_TEXT)}))]
    logger.info("capturing a message as a shout-out from member %s", ctx.member.id)
    values = {"recipients": (mention(author.external_id),), "reason": shortened(words, MAX_REASON)}
    return [Reply(form=forms.prefilled(forms.SHOUTOUT, values))]
