"""One activity read once (:class:`Turn`), its card submission, and the neutral :class:`Incoming` it becomes.

Everything the message path needs to know about an activity — where it happened, who acted, where
answers go, what card was used — is read here once; the rest of the path reads the record.

A card button sends ``{"action": "agenda.swap", "value": "12"}``; a form sends
``{"form": "story", "context": "…"}`` plus one ``field.<name>`` entry per input. Teams delivers
both as a message activity whose ``value`` holds that object (and whose ``replyToId`` is the card).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.teams.activities import (
    Activity,
    JsonDict,
    actor_of,
    conversation_reference,
    conversation_type,
    place_of,
    roster_id,
    section,
    text_of,
)
from adapters.teams.adaptive import FIELD_PREFIX
from adapters.teams.mentions import Mention, command_text, mentions
from bot.events import Incoming, Person, Place

logger = logging.getLogger(__name__)

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


@dataclass(frozen=True, slots=True)
class Turn:
    """An activity as the message path reads it. ``kind`` is personal, groupChat or channel."""

    activity: Activity
    kind: str
    place: Place
    actor: Person | None
    sender: Mapping[str, Any]  # the ``from`` account: its conversation member id (29:…) and Entra id
    service_url: str
    conversation_id: str  # replies "here" go to this conversation (a channel thread keeps its ;messageid)
    bot: JsonDict
    roster_id: str | None  # whose members a people field offers (the team, or the chat)
    mentioned: tuple[Mention, ...]  # people and channels @mentioned in the message (not the bot)
    submitted: Submission | None
    pressed_id: str | None  # the card whose button or form was used (replyToId), if one was
    reference: JsonDict  # the proactive address of this conversation

    @property
    def lookup_in(self) -> str:
        """Where to look people up: the roster, or the conversation itself."""
        return self.roster_id or self.conversation_id


def read_turn(activity: Activity) -> Turn:
    kind = conversation_type(activity)
    submitted = submission(activity.get("value"))
    reply_to = text_of(activity, "replyToId")
    return Turn(
        activity=activity,
        kind=kind,
        place=place_of(activity, kind),
        actor=actor_of(activity),
        sender=section(activity, "from"),
        service_url=text_of(activity, "serviceUrl"),
        conversation_id=text_of(section(activity, "conversation"), "id"),
        bot=dict(section(activity, "recipient")),
        roster_id=roster_id(activity, kind),
        mentioned=tuple(mentions(activity)),
        submitted=submitted,
        pressed_id=reply_to if submitted is not None and reply_to else None,
        reference=conversation_reference(activity, kind),
    )


def incoming_from(activity: Activity, *, directory: Mapping[str, Person] | None = None) -> Incoming | None:
    """The neutral event for a message activity, or None when nobody identifiable acted."""
    return incoming_of(read_turn(activity), directory=directory)


def incoming_of(
    turn: Turn, *, directory: Mapping[str, Person] | None = None, channels: Mapping[str, str] | None = None
) -> Incoming | None:
    """The neutral event for a turn's message, or None when nobody identifiable acted.

    ``channels``: the shown names of channels @mentioned in it, where known."""
    activity, actor, place, submitted = turn.activity, turn.actor, turn.place, turn.submitted
    if actor is None:
        return None
    ref = {"activityId": text_of(activity, "id"), "replyToId": text_of(activity, "replyToId")}
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
    text, people = command_text(activity, directory or {}, turn.mentioned, channels=channels)
    return Incoming(place=place, actor=actor, text=text, people=people, ref=ref)
