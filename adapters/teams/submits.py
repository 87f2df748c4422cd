"""Adaptive Card submissions (``Action.Submit``) and the neutral :class:`Incoming` built from an activity.

A card button sends ``{"action": "agenda.swap", "value": "12"}``; a form sends
``{"form": "story", "context": "…"}`` plus one ``field.<name>`` entry per input. Teams delivers
both as a message activity whose ``value`` holds that object (and whose ``replyToId`` is the card).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.teams.activities import Activity, actor_of, place_of, text_of
from adapters.teams.mentions import command_text
from bot.events import Incoming, Person

logger = logging.getLogger(__name__)

FIELD_PREFIX = "field."
MAX_ACTION = 64
MAX_VALUE = 64
MAX_CONTEXT = 256
MAX_FIELD_TEXT = 20_000  # far above every form limit; the core says what is too long


@dataclass(frozen=True, slots=True)
class Submission:
    action: str | None = None
    value: str = ""
    form_id: str | None = None
    context: str = ""
    values: dict[str, Any] = field(default_factory=dict)


def _plain(value: object) -> Any:
    """Input values as the core reads them: strings, booleans, numbers or lists of strings."""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value[:MAX_FIELD_TEXT]
    if isinstance(value, list):
        return [str(v)[:MAX_FIELD_TEXT] for v in value[:100] if isinstance(v, str | int | float)]
    return ""


def submission(value: object) -> Submission | None:
    """What a card submit asks for, or None when ``value`` is not one of this bot's card payloads."""
    if not isinstance(value, Mapping):
        return None
    action = value.get("action")
    if isinstance(action, str) and 0 < len(action) <= MAX_ACTION:
        raw = value.get("value", "")
        return Submission(action=action, value=str(raw)[:MAX_VALUE] if isinstance(raw, str | int) else "")
    form_id = value.get("form")
    if isinstance(form_id, str) and 0 < len(form_id) <= 32:
        context = value.get("context", "")
        values = {
            key[len(FIELD_PREFIX) :]: _plain(item)
            for key, item in value.items()
            if isinstance(key, str) and key.startswith(FIELD_PREFIX) and len(key) <= 80
        }
        return Submission(
            form_id=form_id, context=context[:MAX_CONTEXT] if isinstance(context, str) else "", values=values
        )
    return None


def incoming_from(activity: Activity, *, directory: Mapping[str, Person] | None = None) -> Incoming | None:
    """The neutral event for a message activity, or None when nobody identifiable acted."""
    actor = actor_of(activity)
    if actor is None:
        return None
    place = place_of(activity)
    ref = {"activityId": text_of(activity, "id"), "replyToId": text_of(activity, "replyToId")}
    submitted = submission(activity.get("value"))
    if submitted is not None and submitted.action is not None:
        return Incoming(place=place, actor=actor, action=submitted.action, action_value=submitted.value, ref=ref)
    if submitted is not None and submitted.form_id is not None:
        return Incoming(
            place=place,
            actor=actor,
            form_id=submitted.form_id,
            form_values=submitted.values,
            form_context=submitted.context,
            ref=ref,
        )
    text, people = command_text(activity, directory or {})
    return Incoming(place=place, actor=actor, text=text, people=people, ref=ref)
