"""The App Home tab, composed from the core's own neutral replies (mine, queue, review).

Pure: replies in, a ``home`` view out. The Home never holds anything the core did not say; it only
arranges the cards under headings and keeps within the 100-block limit of a view.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from adapters.slack.blocks import button_blocks, card_blocks, mrkdwn, text_blocks, within
from adapters.slack.text import escape_within
from bot.replies import Button, Reply

logger = logging.getLogger(__name__)

VIEW_BLOCKS = 100
HOME_ACTIONS = (
    Button("Share a customer story", "open.story", "home", "primary"),
    Button("Give a shout-out", "open.shoutout", "home"),
)


@dataclass(frozen=True, slots=True)
class HomeContent:
    """What the core said for one person: their moments, their channels' queues, their review queue."""

    mine: Sequence[Reply] = ()
    queues: Sequence[Reply] = ()
    review: Sequence[Reply] = ()
    notice: str = ""
    channels_note: str = ""


def _cards(replies: Sequence[Reply]) -> list[Block]:
    blocks: list[Block] = []
    for reply in replies:
        if reply.card is None:
            continue
        if blocks:
            blocks.append(DividerBlock())
        blocks += card_blocks(reply.card)
    return blocks


def _heading(text: str) -> Block:
    return HeaderBlock(text=PlainTextObject(text=text, emoji=True))


def home_blocks(content: HomeContent) -> list[Block]:
    blocks: list[Block] = [
        _heading("Customer Moment"),
        ContextBlock(
            elements=[
                mrkdwn("A customer story, an exercise or a shout-out in every team meeting. Type `/moment help`.")
            ]
        ),
        *button_blocks(HOME_ACTIONS),
    ]
    if content.notice.strip():
        blocks.append(SectionBlock(text=mrkdwn(escape_within(content.notice, 3000))))
    blocks.append(DividerBlock())
    mine = _cards(content.mine)
    blocks += mine or text_blocks("Nothing yet — share a customer story with the button above.")
    blocks.append(DividerBlock())
    blocks.append(_heading("Upcoming meetings"))
    queues = _cards(content.queues)
    blocks += queues or text_blocks(
        content.channels_note or "Invite me to your team's channel and type `/moment schedule` there."
    )
    review = _cards(content.review)
    if review:
        blocks.append(DividerBlock())
        blocks.append(_heading("Waiting for your review"))
        blocks += review
    return within(blocks, VIEW_BLOCKS)


def home_view(content: HomeContent) -> dict[str, Any]:
    """The ``view`` argument of views.publish."""
    return View(type="home", callback_id="customer_moment.home", blocks=home_blocks(content)).to_dict()
