"""Text in and out of Slack: mention rewriting for commands, mrkdwn escaping, cutting to limits.

Slack escapes ``&``, ``<`` and ``>`` in what people type, and wraps mentions, channel links, special
mentions and URLs in ``<…>``. Coming in, the ``<…>`` sequences become plain words (mentions become
``@U123`` tokens the core resolves) and the entities are unescaped, so the core holds plain text.
Going out, every piece of plain text is escaped again before it is put into ``mrkdwn``, which
neutralises ``<!channel>``, ``<!here>``, ``<@U…>`` and links written by anyone.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

ELLIPSIS = "…"

_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_ANGLED = re.compile(r"<([^<>\s][^<>]*)>")


@dataclass(frozen=True, slots=True)
class CommandText:
    """A command line with mentions turned into ``@U123`` tokens, and the user ids they name."""

    text: str
    mentioned: dict[str, str] = field(default_factory=dict)  # token -> the label Slack sent, may be ""


def escape(text: str) -> str:
    """Escape plain text for mrkdwn: ``&`` first, then ``<`` and ``>``."""
    for raw, entity in _ESCAPES:
        text = text.replace(raw, entity)
    return text


def unescape(text: str) -> str:
    """Undo Slack's escaping of typed text (``&gt;`` / ``&lt;`` before ``&amp;``)."""
    return text.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, ending in "…" when something was dropped."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def escape_within(text: str, limit: int) -> str:
    """Escape ``text`` for mrkdwn and cut it to ``limit`` characters without splitting an entity."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    if limit <= 0:
        return ""
    budget = limit - len(ELLIPSIS)
    head = escaped[: max(budget, 0)]
    # Every "&" in escaped text opens an entity (at most 5 characters): drop one the cut went through.
    amp = head.rfind("&", max(0, len(head) - 4))
    if amp != -1 and escaped.index(";", amp) >= len(head):
        head = head[:amp]
    return head.rstrip() + ELLIPSIS


def bold(text: str, limit: int) -> str:
    """A heading in mrkdwn: escaped, cut, wrapped in ``*``; empty text stays empty."""
    if not text.strip():
        return ""
    return f"*{escape_within(text.strip(), max(limit - 2, 1))}*"


def read_command(raw: str) -> CommandText:
    """Translate a slash command's escaped text into plain text with ``@U123`` mention tokens.

    ``<@U123|name>`` and ``<@U123>`` become ``@U123``; ``<#C1|general>`` becomes ``#general``;
    ``<!here>`` and friends become the plain words ``@here``; ``<https://x|label>`` becomes its URL.
    """
    mentioned: dict[str, str] = {}

    def _plain(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@") and len(target) > 1:
            token = "@" + target[1:]
            mentioned.setdefault(token, label)
            return token
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return label or "@" + target[1:].split("^", 1)[0]
        return target

    rewritten = _ANGLED.sub(_plain, raw or "")
    return CommandText(text=unescape(rewritten), mentioned=mentioned)
