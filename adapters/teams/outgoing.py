"""Neutral replies as Bot Framework message activities (plain JSON dicts).

Text goes out with ``textFormat: plain`` — Teams then renders it exactly as written, so nothing in
a person's words becomes formatting, a link or a mention. Cards and forms go out as Adaptive Card
attachments (see :mod:`adapters.teams.adaptive`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.teams import adaptive
from bot.replies import Button, Card, Form, Option, Reply, Section

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]

MAX_TEXT = 20_000  # characters; Teams refuses messages over 40 KB (UTF-16)
MODES = ("reply", "outcome", "reshow")

WELCOME = (
    "Hi! I add a ten-minute Customer Moment to your team meetings: a real customer story, a short exercise "
    "or a shout-out for a colleague who did it right. Mention me with a command, for example "
    "“story”, “shoutout @name what they did”, “schedule weekly tue 10:00 Europe/Berlin” or “help”."
)


def clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def message(text: str = "", attachments: Sequence[JsonDict] = ()) -> JsonDict:
    activity: JsonDict = {"type": "message"}
    if text:
        activity["text"] = clip(text)
        activity["textFormat"] = "plain"
    if attachments:
        activity["attachments"] = list(attachments)
    return activity


def render(
    reply: Reply,
    *,
    mode: str = "reply",
    people: Sequence[Option] | None = None,
    used_form: Form | None = None,
    submitted_values: Mapping[str, Any] | None = None,
    origin: Mapping[str, Any] | None = None,
) -> JsonDict:
    """The activity for one reply.

    ``outcome`` turns a reply into the card that replaces a used form (titled as ``used_form``) or review
    card; ``reshow`` shows the reply's ``retry_form`` again with the values just sent and the reply's problems,
    its submit data carrying ``origin`` (the signed conversation it acts in, see ``origins.py``) when given.
    """
    if mode == "reshow" and reply.retry_form is not None:
        card = adaptive.form_json(
            reply.retry_form,
            people=people,
            values=submitted_values,
            errors=reply.errors,
            message="" if reply.errors else reply.text,
        )
        if origin is not None:
            for action in card.get("actions", []):
                if isinstance(action.get("data"), dict) and "form" in action["data"]:
                    action["data"]["origin"] = dict(origin)
        return message(attachments=[adaptive.attachment(card)])
    if mode == "outcome":
        if reply.card is not None:
            return message(attachments=[adaptive.attachment(adaptive.card_json(reply.card, lead=reply.text))])
        title = used_form.title if used_form is not None else "Customer Moment"
        return message(attachments=[adaptive.attachment(adaptive.outcome_json(title, reply.text))])
    attachments: list[JsonDict] = []
    if reply.form is not None:
        attachments.append(adaptive.attachment(adaptive.form_json(reply.form, people=people)))
    if reply.card is not None:
        attachments.append(adaptive.attachment(adaptive.card_json(reply.card)))
    return message(reply.text, attachments)


def outcome_card(title: str, text: str) -> JsonDict:
    return message(attachments=[adaptive.attachment(adaptive.outcome_json(title, text))])


def welcome() -> JsonDict:
    """The introduction posted once when the app is added to a team, chat or personal scope."""
    card = Card(
        title="Customer Moment",
        sections=(Section(WELCOME),),
        buttons=(Button("Share a customer story", "open.story"), Button("Give a shout-out", "open.shoutout")),
    )
    return message(attachments=[adaptive.attachment(adaptive.card_json(card))])
