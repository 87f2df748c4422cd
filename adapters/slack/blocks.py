"""Neutral replies → Block Kit: cards, text and buttons as message blocks, within Slack's limits.

Every piece of text from the core is plain text written by people; it is escaped for ``mrkdwn``
(``verbatim`` so Slack does not auto-link it) or put into ``plain_text`` objects. Anything longer than a
Block Kit limit is cut with "…" so that a post never fails on length. Blocks are built with
``slack_sdk.models`` so that their own validators check the limits again in ``to_dict()``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from adapters.slack.text import bold, cut, escape_within
from bot.replies import Button, Card, Reply

logger = logging.getLogger(__name__)

SECTION_TEXT = 3000
HEADER_TEXT = 150
FIELD_TEXT = 2000
FIELDS_PER_SECTION = 10
CONTEXT_TEXT = 2000
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
BUTTONS_PER_BLOCK = 25
MESSAGE_BLOCKS = 50
FALLBACK_TEXT = 300
STYLES = ("primary", "danger")


def mrkdwn(text: str) -> MarkdownTextObject:
    """Already-escaped mrkdwn that Slack must not auto-link."""
    return MarkdownTextObject(text=text, verbatim=True)


def text_blocks(text: str) -> list[Block]:
    """Plain text as one escaped section, cut to the section limit."""
    if not text.strip():
        return []
    return [SectionBlock(text=mrkdwn(escape_within(text, SECTION_TEXT)))]


def section_blocks(heading: str, body: str) -> list[Block]:
    head = bold(heading, HEADER_TEXT)
    room = SECTION_TEXT - len(head) - 1 if head else SECTION_TEXT
    parts = [head] if head else []
    if body.strip():
        parts.append(escape_within(body, room))
    if not parts:
        return []
    return [SectionBlock(text=mrkdwn("\n".join(parts)))]


def fact_blocks(card: Card) -> list[Block]:
    fields = [mrkdwn(f"{bold(fact.label, 200)}\n{escape_within(fact.value, FIELD_TEXT - 205)}") for fact in card.facts]
    return [
        SectionBlock(fields=fields[start : start + FIELDS_PER_SECTION])
        for start in range(0, len(fields), FIELDS_PER_SECTION)
    ]


def button_element(button: Button) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=cut(button.label, BUTTON_TEXT), emoji=True),
        action_id=button.action,
        value=cut(button.value, BUTTON_VALUE),
        style=button.style if button.style in STYLES else None,
    )


def button_blocks(buttons: Sequence[Button]) -> list[Block]:
    """Buttons in actions blocks; an action id appears at most once per block, as Slack requires."""
    blocks: list[Block] = []
    row: list[ButtonElement] = []
    seen: set[str] = set()
    for button in buttons:
        if len(row) == BUTTONS_PER_BLOCK or button.action in seen:
            blocks.append(ActionsBlock(elements=row))
            row, seen = [], set()
        row.append(button_element(button))
        seen.add(button.action)
    if row:
        blocks.append(ActionsBlock(elements=row))
    return blocks


def card_blocks(card: Card) -> list[Block]:
    blocks: list[Block] = []
    if card.title.strip():
        blocks.append(HeaderBlock(text=PlainTextObject(text=cut(card.title, HEADER_TEXT), emoji=True)))
    for section in card.sections:
        blocks += section_blocks(section.heading, section.text)
    blocks += fact_blocks(card)
    if card.note.strip():
        blocks.append(ContextBlock(elements=[mrkdwn(escape_within(card.note, CONTEXT_TEXT))]))
    blocks += button_blocks(card.buttons)
    return blocks


def within(blocks: list[Block], limit: int) -> list[Block]:
    """At most ``limit`` blocks; when some are dropped the last one says so."""
    if len(blocks) <= limit:
        return blocks
    logger.warning("cutting %s blocks to %s", len(blocks), limit)
    return [*blocks[: limit - 1], ContextBlock(elements=[mrkdwn("…")])]


def reply_blocks(reply: Reply, *, limit: int = MESSAGE_BLOCKS) -> list[Block]:
    blocks = text_blocks(reply.text)
    if reply.card is not None:
        if blocks:
            blocks.append(DividerBlock())
        blocks += card_blocks(reply.card)
    return within(blocks, limit)


def fallback_text(reply: Reply) -> str:
    """The notification text of a message (shown where blocks are not): escaped, short."""
    text = reply.text or (reply.card.title if reply.card else "") or "Customer Moment"
    return escape_within(text, FALLBACK_TEXT)


def message(reply: Reply) -> dict[str, Any]:
    """The ``text`` + ``blocks`` arguments of chat.postMessage / chat.update / a response_url post."""
    return {"text": fallback_text(reply), "blocks": [block.to_dict() for block in reply_blocks(reply)]}


POSTED_EVENT = "customer_moment_posted"


def metadata(key: str) -> dict[str, Any]:
    """Message metadata naming a keyed post, so that it can be found again in the channel's history."""
    return {"event_type": POSTED_EVENT, "event_payload": {"key": key}}


def posted_key(message_json: dict[str, Any]) -> str | None:
    """The key a message was posted with, read back from its metadata."""
    meta = message_json.get("metadata")
    if not isinstance(meta, dict) or meta.get("event_type") != POSTED_EVENT:
        return None
    payload = meta.get("event_payload")
    key = payload.get("key") if isinstance(payload, dict) else None
    return key if isinstance(key, str) else None
