"""Cards the core shows: the agenda card, moment cards, lists. Plain text only; surfaces escape it.

Cards render from plain data (:class:`MomentView`, :class:`AgendaView`), which the services read from
the database (:mod:`bot.services.views`); nothing here touches a row or a session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.domain import tags as tag_vocabulary
from bot.domain.lifecycle import AGENDA, AgendaState
from bot.replies import Button, Card, Fact, Section

KIND_LABEL = {"story": "Customer story", "shoutout": "Shout-out", "exercise": "Exercise"}
KIND_PLURAL = {"story": "stories", "shoutout": "shout-outs", "exercise": "exercises"}
STATE_LABEL = {
    "pending": "waiting for review",
    "approved": "approved",
    "rejected": "sent back",
    "withdrawn": "withdrawn",
    "hidden": "no longer shown",
}
AGENDA_STATE = {
    AgendaState.SCHEDULED: "Coming up",
    AgendaState.POSTED: "On the agenda",
    AgendaState.PRESENTED: "Presented ✔",
    AgendaState.SKIPPED: "Skipped this time",
    AgendaState.MISSED: "Missed",
    AgendaState.FAILED: "Could not be posted",
    AgendaState.CANCELLED: "Cancelled",
}


@dataclass(frozen=True, slots=True)
class MomentView:
    """A story, shout-out or exercise as a card shows it, with its people by name."""

    id: int
    kind: str
    state: str
    title: str = ""
    situation: str = ""
    action: str = ""
    reaction: str = ""
    lesson: str = ""
    steps: tuple[str, ...] = ()
    minutes: int = 10
    tags: tuple[str, ...] = ()
    nps: str | None = None
    anonymous: bool = False
    from_library: bool = False
    author: str | None = None
    recipients: tuple[str, ...] = ()  # the people a shout-out recognises
    private: bool = False  # a private shout-out: shown only to the people it names


@dataclass(frozen=True, slots=True)
class AgendaView:
    """A meeting occurrence's Customer Moment as its agenda card shows it."""

    id: int
    state: AgendaState
    starts_at: datetime
    zone: str  # the team's: the card speaks the channel's local time
    reason: str = ""
    moment: MomentView | None = None
    presenter: str | None = None
    helpful: int = 0  # how many people found it helpful
    meeting_pool: MeetingPool | None = None  # the card is in an online meeting's chat


@dataclass(frozen=True, slots=True)
class MeetingPool:
    """Which pool the meetings of the chat a card is in draw from: a linked team's (by name), or its own."""

    linked_to: str | None = None


POOL_CHOOSE_ACTION = "pool.choose"  # the card's "Use a team's pool": the person's teams to pick from
POOL_OWN_ACTION = "pool.own"  # the card's "Use this chat's own pool"


@lru_cache(maxsize=4096)  # the same meetings' times, in the same zones, appear in answer after answer
def local_time(instant: datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).strftime("%a %-d %b %H:%M %Z")


def channel(name: str, *, unnamed: str = "the channel") -> str:
    """A channel as a sentence names it: "#support" (whether or not its stored name has the "#"), else ``unnamed``."""
    return f"#{name.lstrip('#')}" if name.strip("#") else unnamed


def names(people: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    labels = list(people)
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


# Moments whose content is shown to nobody but their author: an agenda card that featured one says only that.
# A hide is its recipients' own choice, so what others see of it names no choice and nobody.
NOT_SHOWN = {
    "withdrawn": "This item was withdrawn by its author and is no longer shown.",
    "hidden": "This item can no longer be featured and is no longer shown.",
    "rejected": "This item is no longer shown.",
    "pending": "This item is back in review and not shown for now.",
}


def moment_sections(moment: MomentView) -> tuple[Section, ...]:
    if moment.kind == "story":
        parts = [Section(moment.situation, "What happened")]
        if moment.action:
            parts.append(Section(moment.action, "What we did"))
        if moment.reaction:
            parts.append(Section(moment.reaction, "How the customer reacted"))
        parts.append(Section(moment.lesson, "The lesson"))
        byline = "Shared anonymously" if moment.anonymous or moment.author is None else f"Shared by {moment.author}"
        if moment.tags:
            byline += " · " + ", ".join(tag_vocabulary.label(t) for t in moment.tags)
        parts.append(Section(byline))
        return tuple(parts)
    if moment.kind == "shoutout":
        giver = moment.author if moment.author is not None else "Someone"
        return (Section(moment.situation, f"{giver} recognises {names(moment.recipients)}"),)
    steps = "\n".join(f"{n}. {step}" for n, step in enumerate(moment.steps, 1))
    parts = [Section(moment.situation, moment.title)]
    if steps:
        parts.append(Section(steps, "How to run it"))
    parts.append(Section(f"About {moment.minutes} minutes" + (" · from the library" if moment.from_library else "")))
    return tuple(parts)


def _meeting_pool(pool: MeetingPool, value: str) -> tuple[Fact, Button]:
    """A meeting chat's card says where its meetings' moments come from, and offers the other choice."""
    if pool.linked_to is None:
        return Fact("Moments from", "this chat's own pool"), Button("Use a team's pool", POOL_CHOOSE_ACTION, value)
    own = Button("Use this chat's own pool", POOL_OWN_ACTION, value)
    return Fact("Moments from", f"the pool of {pool.linked_to}"), own


def agenda_card(item: AgendaView) -> Card:
    title = f"Customer Moment · {local_time(item.starts_at, item.zone)}"
    moment = item.moment
    if moment is None:
        return Card(
            title=title,
            sections=(Section("No moment at this meeting."),),
            facts=(Fact("Status", AGENDA_STATE[item.state]),),
            note=item.reason,  # says why, when the moment it had left the agenda
        )
    facts = [Fact("Kind", KIND_LABEL.get(moment.kind, moment.kind))]
    if item.presenter is not None:
        facts.append(Fact("Presenter", item.presenter))
    if moment.nps:
        # The customer's own verdict belongs next to the story that earned it.
        facts.append(Fact("Customer NPS", moment.nps.capitalize()))
    facts.append(Fact("Status", AGENDA_STATE[item.state]))
    helpful_label = f"👍 Helpful ({item.helpful})" if item.helpful else "👍 Helpful"
    value = str(item.id)
    if AGENDA.is_open(item.state):
        buttons: tuple[Button, ...] = (
            Button("Swap", "agenda.swap", value),
            Button("Skip", "agenda.skip", value),
            Button("Presented", "agenda.done", value, "primary"),
            Button(helpful_label, "agenda.helpful", value),
        )
    elif item.state == AgendaState.PRESENTED:
        buttons = (Button(helpful_label, "agenda.helpful", value), Button("Undo", "agenda.undo", value))
    elif item.state == AgendaState.SKIPPED:
        buttons = (Button("Undo", "agenda.undo", value),)
    else:
        buttons = ()
    not_shown = NOT_SHOWN.get(moment.state) or (NOT_SHOWN["rejected"] if moment.private else None)
    if item.meeting_pool is not None:
        pool_fact, pool_button = _meeting_pool(item.meeting_pool, value)
        facts.append(pool_fact)
        buttons = (*buttons, pool_button)
    return Card(
        title=title,
        sections=(Section(not_shown),) if not_shown else moment_sections(moment),
        facts=tuple(facts),
        buttons=buttons,
        note=f"Why this one: {item.reason}" if item.reason else "",
    )


class MomentSummary(Protocol):
    """What a one-line summary shows: a :class:`MomentView`, or a row of the columns it reads."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def situation(self) -> str: ...


def moment_line(moment: MomentSummary, *, notes: Sequence[str] = ()) -> str:
    """``#id · kind · state · text``, then any ``notes`` (anonymous, when featured) after the text."""
    what = moment.title or moment.situation
    short = what if len(what) <= 80 else what[:79] + "…"
    return (
        f"#{moment.id} · {KIND_LABEL.get(moment.kind, moment.kind)} · {STATE_LABEL.get(moment.state, moment.state)}"
        f" · {short}" + "".join(f" · {note}" for note in notes)
    )


def featured_note(instant: datetime, zone: str, *, presented: bool) -> str:
    """When a moment was featured: presented at a meeting, or on the agenda of one it has not been presented at."""
    return f"{'featured on' if presented else 'on the agenda for'} {local_time(instant, zone)}"


@dataclass(frozen=True, slots=True)
class ItemStanding:
    """What a person's own list (``mine``) knows of one of their items besides its line."""

    anonymous: bool = False
    private: bool = False
    you_hid: bool = False  # a shout-out for them that they hid
    held_back: bool = False  # someone among its people (its author, a recipient still on it) opted out
    you_opted_out: bool = False
    decision_note: str = ""  # why a manager sent it back
    featured: tuple[str, ...] = ()  # :func:`featured_note` of each time it was presented or is on an agenda


REASON_SHOWN = 120
# What approving a waiting item does, by kind and privacy (the words a new item's confirmation uses).
_AFTER_APPROVAL = {
    ("story", False): "in the pool",
    ("exercise", False): "in the pool",
    ("shoutout", False): "shared",
    ("shoutout", True): "sent",
}


def standing_notes(moment: MomentSummary, standing: ItemStanding) -> list[str]:
    """Where an item stands and what happens next, for the person it belongs to: waiting for review (and what
    approval does), sent back (why, and how to try again), when it was featured or is on an agenda, and
    whether it can be featured at all. Only an item the rotation may pick is "not featured yet"."""
    s = standing
    notes = ["anonymous"] * s.anonymous + ["private"] * s.private + ["hidden by you"] * s.you_hid
    notes += s.featured
    if moment.state == "pending":
        notes.append(f"{_AFTER_APPROVAL.get((moment.kind, s.private), 'in the pool')} once a manager approves it")
    elif moment.state == "rejected":
        if s.decision_note:
            why = s.decision_note if len(s.decision_note) <= REASON_SHOWN else s.decision_note[: REASON_SHOWN - 1]
            notes.append(f"reason: {why}" + ("…" if why != s.decision_note else ""))
        notes.append(f"`edit {moment.id}` to change it and send it for review again")
    if moment.state not in ("pending", "approved") or s.private or s.you_hid:
        return notes  # private, hidden, withdrawn or sent back: never featured as it stands
    if s.held_back:
        notes.append("can't be featured while you are opted out" if s.you_opted_out else "can't be featured for now")
    elif moment.state == "approved" and not s.featured:
        notes.append("not featured yet")
    return notes


def review_card(moment: MomentView) -> Card:
    """An item as it would be shown, with Approve and Reject. Who shared it is said once: a story's byline
    and a shout-out's heading say it already; an exercise gets a "From" line."""
    by = "Anonymous" if moment.anonymous or moment.author is None else moment.author
    return Card(
        title=f"#{moment.id} · {KIND_LABEL.get(moment.kind, moment.kind)} waiting for review",
        sections=moment_sections(moment),
        facts=() if moment.kind in ("story", "shoutout") else (Fact("From", by),),
        buttons=(
            Button("Approve", "review.approve", str(moment.id), "primary"),
            Button("Reject", "review.reject", str(moment.id), "danger"),
        ),
    )


EDIT_ACTION = "moment.edit"


def story_readback(moment: MomentView) -> Card:
    """A story as it was read and stored, with a way to change it."""
    facts = [Fact("What happened", moment.situation)]
    facts += [Fact("What you did", moment.action)] if moment.action else []
    facts += [Fact("How the customer reacted", moment.reaction)] if moment.reaction else []
    facts += [Fact("Lesson", moment.lesson)]
    facts += [Fact("Tags", ", ".join(tag_vocabulary.label(t) for t in moment.tags))] if moment.tags else []
    facts += [Fact("NPS", moment.nps.capitalize())] if moment.nps else []
    facts += [Fact("Shown as", "Anonymous")] if moment.anonymous else []
    return Card(
        title=f"Story #{moment.id}, as I read it",
        facts=tuple(facts),
        buttons=(Button("Edit in the form", EDIT_ACTION, str(moment.id)),),
        note="Not what you meant? Edit it, or `withdraw` it.",
    )
