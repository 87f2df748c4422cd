"""Turning neutral replies into terminal text."""

from __future__ import annotations

import textwrap

from bot.replies import Audience, Card, Reply

WIDTH = 78


def card_text(card: Card) -> str:
    lines = [f"┌ {card.title}"]
    for section in card.sections:
        if section.heading:
            lines.append(f"│ {section.heading}")
        for paragraph in section.text.split("\n"):
            wrapped = textwrap.wrap(paragraph, WIDTH - 4) or [""]
            lines += [f"│   {line}" for line in wrapped]
    for fact in card.facts:
        lines.append(f"│ {fact.label}: {fact.value}")
    if card.note:
        lines += [f"│ {line}" for line in textwrap.wrap(card.note, WIDTH - 2)]
    if card.buttons:
        lines.append("│ " + "  ".join(f"[{b.label}]" for b in card.buttons))
    lines.append("└" + "─" * 20)
    return "\n".join(lines)


def reply_text(reply: Reply, *, channel: str, updated: bool = False) -> str:
    """A reply as printed; ``updated``: it replaces a message already posted in the channel."""
    if reply.audience is Audience.DIRECT:
        prefix = f"(direct message to @{reply.to_member}) "
    elif reply.audience is Audience.CHANNEL:
        prefix = f"[{'updated' if updated else 'posted'} in {channel}] "
    else:
        prefix = ""
    parts = []
    if reply.text:
        parts.append(prefix + reply.text)
        prefix = ""
    if reply.card is not None:
        shown = card_text(reply.card)
        if prefix:  # "┌ [posted in #support] Customer Moment …": where it went, on the card's own first line
            shown = shown[:2] + prefix + shown[2:]
        parts.append(shown)
    for field, problem in reply.errors.items():
        if problem not in reply.text:
            parts.append(f"  {field}: {problem}")
    return "\n".join(parts)
