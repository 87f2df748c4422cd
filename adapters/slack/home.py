"""The App Home tab, composed from the core's own neutral replies (mine, queue, review).

Pure: replies in, a ``home`` view out. The Home never holds anything the core did not say; it only
arranges the cards under headings and keeps within the 100-block limit of a view.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
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
CALLBACK_ID = "customer_moment.home"
NOTICE_BLOCK = "customer_moment.notice"  # the block at the top that says what a press there did
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


def _notice(text: str) -> Block:
    return SectionBlock(block_id=NOTICE_BLOCK, text=mrkdwn(escape_within(text, 3000)))


def _top() -> list[Block]:
    """What every Home tab starts with: its heading, what it is for, and its buttons."""
    return [
        _heading("Customer Moment"),
        ContextBlock(
            elements=[
                mrkdwn("A customer story, an exercise or a shout-out in every team meeting. Type `/moment help`.")
            ]
        ),
        *button_blocks(HOME_ACTIONS),
    ]


def home_blocks(content: HomeContent) -> list[Block]:
    blocks = _top()
    if content.notice.strip():
        blocks.append(_notice(content.notice))
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
    return View(type="home", callback_id=CALLBACK_ID, blocks=home_blocks(content)).to_dict()


def notice_only(notice: str) -> dict[str, Any]:
    """A Home tab with nothing drawn yet but its top and ``notice``: for someone whose first visit cannot be
    answered now (the ``view`` argument of views.publish)."""
    return View(type="home", callback_id=CALLBACK_ID, blocks=[*_top(), _notice(notice)]).to_dict()


def with_notice(view: Mapping[str, Any], notice: str) -> dict[str, Any] | None:
    """The Home tab someone pressed a button on or opened (``view`` as Slack sends it with the press or the
    visit), saying ``notice`` at its top in place of the notice it had, and otherwise as they see it: the
    ``view`` argument of views.publish when the press or visit cannot be answered now. None when the view
    carries no blocks to show."""
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not blocks or not all(isinstance(block, Mapping) for block in blocks):
        return None
    top = next((i for i, block in enumerate(blocks) if block.get("type") == "divider"), 0)  # no divider: not our tab
    kept = [
        dict(block)
        for i, block in enumerate(blocks)
        if block.get("block_id") != NOTICE_BLOCK and not (i < top and _old_notice(block))
    ][: VIEW_BLOCKS - 1]
    at = next((i for i, block in enumerate(kept) if block.get("type") == "divider"), len(kept))
    kept.insert(at, _notice(notice).to_dict())
    return {"type": "home", "callback_id": CALLBACK_ID, "blocks": kept}


def _old_notice(block: Mapping[str, Any]) -> bool:
    """A notice in a tab published before notices had their own block id: above the first divider, where
    the tab has its heading, its introduction and its buttons, a section is only ever the notice."""
    return block.get("type") == "section"
