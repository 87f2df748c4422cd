"""The neutral reply model: what the core answers, for every surface to render its own way.

All text here is plain text written by people or by the product. Surfaces escape it for their own
markup; nothing in a reply is ever interpreted as a mention, a link or formatting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any


class Audience(Enum):
    """Where a reply goes."""

    EPHEMERAL = "ephemeral"  # an answer to the person who acted, where they asked
    CHANNEL = "channel"  # posted in a team's channel
    DIRECT = "direct"  # a direct message to one member


class Outcome(Enum):
    """How the request a reply answers went."""

    OK = "ok"
    REFUSED = "refused"  # a rule said no (usage, validation, permission); nothing changed
    FAILED = "failed"  # something broke on the bot's side; nothing changed, it was logged
    UNAVAILABLE = "unavailable"  # the database could not be reached; nothing changed

    @property
    def failed(self) -> bool:
        """Nothing was decided: the same request may well work when tried again."""
        return self in (Outcome.FAILED, Outcome.UNAVAILABLE)


class Visibility(Enum):
    """Who may see what a reply holds, whatever its audience; a surface without private answers
    (Teams has no ephemeral messages) moves a reply that is not for everyone present somewhere private.

    The core marks it where the reply is made, from what the reply holds: a person's own items (``mine``, a
    form filled in with one of them), what is pending, sent back or private, stats, exports and review queues
    are never for a whole channel or group chat. What anyone there may see anyway (an agenda card, a public
    shout-out, a confirmation naming nothing private) stays ``CHANNEL``.
    """

    CHANNEL = "channel"  # anyone where it is shown
    ACTOR = "actor"  # the person who acted, and no one else
    MANAGERS = "managers"  # holds what only managers may see, e.g. submissions waiting for review


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: str  # action id, e.g. "agenda.swap"
    value: str = ""
    style: str | None = None  # "primary", "danger" or None


@dataclass(frozen=True, slots=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Section:
    text: str
    heading: str = ""


@dataclass(frozen=True, slots=True)
class Card:
    title: str
    sections: tuple[Section, ...] = ()
    facts: tuple[Fact, ...] = ()
    buttons: tuple[Button, ...] = ()
    note: str = ""  # small print under the card, e.g. why this moment was picked


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    label: str
    kind: str = "text"  # text, multiline, select, multiselect, people, checkbox, time, date, zone, number
    required: bool = False
    max_length: int | None = None
    options: tuple[Option, ...] = ()
    initial: str | tuple[str, ...] | bool | None = None
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Form:
    """A form the person fills in: a Slack modal, an Adaptive Card, prompts in the terminal."""

    form_id: str  # e.g. "story", "shoutout", "schedule", "reject"
    title: str
    fields: tuple[FormField, ...]
    submit_label: str = "Submit"
    context: str = ""  # opaque to surfaces: handed back unchanged with the submission


@dataclass(frozen=True, slots=True)
class MessageKey:
    """Names a message the core asked to post, so that it can later be updated in place."""

    key: str  # e.g. "agenda:42"; build and read agenda keys with agenda_key / agenda_id
    ref: dict[str, Any] | None = None  # the surface's own reference, once posted


AGENDA_PREFIX = "agenda:"


def agenda_key(item_id: int) -> str:
    """The key of an agenda item's card: the one place this key is spelled."""
    return f"{AGENDA_PREFIX}{item_id}"


def agenda_id(key: str) -> int | None:
    """The agenda item a card key names, or None when the key names something else."""
    return keyed_id(key, AGENDA_PREFIX)


def keyed_id(key: str, prefix: str) -> int | None:
    """The id a message key of the kind ``prefix`` (e.g. ``"agenda:"``) names, or None for another kind."""
    kind, _, raw = key.partition(":")
    if f"{kind}:" != prefix or not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    return int(raw)


@dataclass(frozen=True, slots=True)
class Reply:
    text: str = ""
    card: Card | None = None
    form: Form | None = None
    audience: Audience = Audience.EPHEMERAL
    to_member: str | None = None  # external id, for DIRECT
    to_team: str | None = None  # external channel id, for CHANNEL posts outside the current channel
    message: MessageKey | None = None  # post as / update this keyed message
    errors: dict[str, str] = field(default_factory=dict)  # form field name -> problem
    attachment: Attachment | None = None
    outcome: Outcome = Outcome.OK
    visible_to: Visibility = Visibility.CHANNEL
    retry_form: Form | None = None  # the form just submitted, to show again with the values sent and ``errors``


def say(text: str) -> Reply:
    """An ephemeral text reply to the person who acted."""
    return Reply(text=text)


def for_asker(replies: Iterable[Reply], visible_to: Visibility = Visibility.ACTOR) -> list[Reply]:
    """The answers to the person who acted marked as not for everyone present (``visible_to``); posts to a
    channel and direct messages keep their own audience, and an answer marked already keeps its mark."""
    return [
        replace(reply, visible_to=visible_to)
        if reply.audience is Audience.EPHEMERAL and reply.visible_to is Visibility.CHANNEL
        else reply
        for reply in replies
    ]


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file for the person who asked, and nobody else: surfaces deliver it in a private conversation."""

    filename: str
    content_type: str
    content: str


@dataclass(frozen=True, slots=True)
class MeetingAnswer:
    """What to do about a meeting event: ``replies`` to deliver (the card in the meeting chat, a direct
    question to the presenter), and whether to point the meeting's people to the card (``notify``).

    ``card_key`` names the card the notification points to, posted now or before the meeting; ``card_ref``
    is where it went when it was posted earlier. An event that changes nothing (a repeat, an unknown
    meeting) answers with nothing to do.
    """

    replies: list[Reply] = field(default_factory=list)
    notify: bool = False
    card_key: str | None = None
    card_ref: dict[str, Any] | None = None
    title: str = ""


BOARD_TITLE = "Customer Moment"


@dataclass(frozen=True, slots=True)
class BoardEntry:
    """One moment on the board, as plain text: surfaces escape it for their own markup."""

    title: str
    summary: str = ""  # one line
    presenter: str = ""
    why: str = ""  # why the rotation chose it
    when: str = ""  # the meeting, in the team's time zone


@dataclass(frozen=True, slots=True)
class Board:
    """A team's standing section in a shared document of its channel (a Slack channel canvas): the next
    meeting's moment and the last ones presented. Surfaces find their section again by ``title``."""

    title: str = BOARD_TITLE
    next: BoardEntry | None = None
    presented: tuple[BoardEntry, ...] = ()
    empty_note: str = "No moment is planned yet."
