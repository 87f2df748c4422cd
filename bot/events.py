"""The neutral incoming event: who did what, where. Surfaces build it; the core never sees SDK objects."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any

from bot.domain.validation import scrub

MAX_ID = 255  # longest platform id (workspace, channel, user, meeting) the core stores
MAX_OCCURRENCE = 32  # meeting_occurrences.occurrence

# "Make it a Customer Moment" on a chat message: the action carries the message's text as its value, and
# its author (when a person wrote it) is ``people[MESSAGE_AUTHOR]``.
CAPTURE_MESSAGE = "capture.message"
MESSAGE_AUTHOR = "author"


class Standing(Enum):
    """What the platform said about someone named in a command: only an active human member can be
    recognised or told about something. The core decides what to do with the others."""

    MEMBER = "member"  # an active person of the workspace (or a surface that names only such people)
    UNCHECKED = "unchecked"  # the platform could not be asked just now: not known either way
    BOT = "bot"  # an app or bot account
    DEACTIVATED = "deactivated"  # an account that was deactivated or deleted
    UNKNOWN = "unknown"  # the platform knows nobody by that id


@dataclass(frozen=True, slots=True)
class Person:
    external_id: str
    name: str
    platform_admin: bool = False  # e.g. a Slack workspace owner/admin
    standing: Standing = Standing.MEMBER
    zone: str = ""  # the IANA time zone the platform says they are in ("" when it does not say)


@dataclass(frozen=True, slots=True)
class Place:
    """The workspace (Slack workspace / Teams tenant) and the channel where something happened."""

    platform: str  # "console", "slack", "teams"
    workspace_id: str
    workspace_name: str = ""
    channel_id: str | None = None
    channel_name: str = ""
    direct: bool = False  # a 1:1 conversation with the bot
    canvases: bool = False  # the platform keeps a canvas per channel the bot can write a section in
    meeting: bool = False  # the conversation is an online meeting's chat (the platform names its meeting)


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a person did: a command line, a button press or a form submission.

    ``people`` maps mention tokens that appear in ``text`` (e.g. ``@U123``) to the people they
    name; a token not in the map is looked up by member name. ``ref`` carries the surface's own
    leftovers (response URLs, conversation references) untouched.
    """

    place: Place
    actor: Person
    text: str = ""
    action: str | None = None
    action_value: str = ""
    form_id: str | None = None
    form_values: dict[str, Any] = field(default_factory=dict)
    form_context: str = ""
    people: dict[str, Person] = field(default_factory=dict)
    ref: dict[str, Any] = field(default_factory=dict)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _person(person: Person) -> Person:
    return replace(person, external_id=scrub(person.external_id), name=scrub(person.name))


def scrubbed(incoming: Incoming) -> Incoming:
    """The same event without NUL characters or lone surrogates in any text a surface handed over."""
    place = incoming.place
    return replace(
        incoming,
        place=replace(
            place,
            workspace_id=scrub(place.workspace_id),
            workspace_name=scrub(place.workspace_name),
            channel_id=scrub(place.channel_id) if place.channel_id is not None else None,
            channel_name=scrub(place.channel_name),
        ),
        actor=_person(incoming.actor),
        text=scrub(incoming.text),
        action_value=scrub(incoming.action_value),
        form_values={scrub(str(k)): _clean(v) for k, v in incoming.form_values.items()},
        form_context=scrub(incoming.form_context),
        people={scrub(k): _person(v) for k, v in incoming.people.items()},
    )


def oversized_id(incoming: Incoming) -> bool:
    """Whether a platform id is longer than the core can store (a forged or broken payload)."""
    ids = [incoming.place.workspace_id, incoming.place.channel_id or "", incoming.actor.external_id]
    ids += [p.external_id for p in incoming.people.values()]
    return any(len(i) > MAX_ID for i in ids)


class MeetingPhase(Enum):
    """What a surface learnt about an online meeting."""

    AHEAD = "ahead"  # it is scheduled (its start is known before it starts)
    STARTED = "started"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class MeetingEvent:
    """An online meeting is ahead, started or ended in a chat the app is in (a Teams meeting chat or a channel).

    ``place`` is the meeting's chat; ``occurrence`` tells one meeting of a recurring series from the next
    (the scheduled start when the platform said it, else the day it started); ``attendees`` are the
    meeting's roster, as far as the surface could read it.
    """

    place: Place
    meeting_id: str
    occurrence: str
    phase: MeetingPhase = MeetingPhase.STARTED
    actor: Person | None = None
    organizer: Person | None = None
    scheduled_start: datetime | None = None
    attendees: tuple[Person, ...] = ()


def scrubbed_meeting(event: MeetingEvent) -> MeetingEvent:
    """The same meeting event without NUL characters or lone surrogates in anything a surface handed over."""
    return replace(
        event,
        place=scrubbed(Incoming(place=event.place, actor=Person("", ""))).place,
        meeting_id=scrub(event.meeting_id),
        occurrence=scrub(event.occurrence),
        actor=_person(event.actor) if event.actor is not None else None,
        organizer=_person(event.organizer) if event.organizer is not None else None,
        attendees=tuple(_person(person) for person in event.attendees),
    )


def oversized_meeting(event: MeetingEvent) -> bool:
    """Whether an id of the meeting event is longer than the core can store."""
    people = [p for p in (event.actor, event.organizer, *event.attendees) if p is not None]
    ids = [event.meeting_id, event.place.workspace_id, event.place.channel_id or ""]
    return len(event.occurrence) > MAX_OCCURRENCE or any(len(i) > MAX_ID for i in ids + [p.external_id for p in people])
