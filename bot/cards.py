"""Cards the core shows: the agenda card, moment cards, lists. Plain text only; surfaces escape it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.domain import tags as tag_vocabulary
from bot.replies import Button, Card, Fact, Section
from bot.storage.models import AgendaItem, Member, Moment

KIND_LABEL = {"story": "Customer story", "shoutout": "Shout-out", "exercise": "Exercise"}
KIND_PLURAL = {"story": "stories", "shoutout": "shout-outs", "exercise": "exercises"}
STATE_LABEL = {
    "pending": "waiting for review",
    "approved": "approved",
    "rejected": "sent back",
    "withdrawn": "withdrawn",
    "hidden": "hidden by its recipient",
}
AGENDA_STATE = {
    "scheduled": "Coming up",
    "posted": "On the agenda",
    "presented": "Presented ✔",
    "skipped": "Skipped this time",
    "missed": "Missed",
    "failed": "Could not be posted",
    "cancelled": "Meeting cancelled",
}


def local_time(instant: datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).strftime("%a %-d %b %H:%M %Z")


def names(members: Sequence[Member]) -> str:
    labels = [m.name for m in members]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def moment_sections(moment: Moment, *, author: Member | None, recipients: Sequence[Member]) -> tuple[Section, ...]:
    if moment.kind == "story":
        parts = [Section(moment.situation, "What happened")]
        if moment.action:
            parts.append(Section(moment.action, "What we did"))
        if moment.reaction:
            parts.append(Section(moment.reaction, "How the customer reacted"))
        parts.append(Section(moment.lesson, "The lesson"))
        byline = "Shared anonymously" if moment.anonymous or author is None else f"Shared by {author.name}"
        if moment.tags:
            byline += " · " + ", ".join(tag_vocabulary.label(t) for t in moment.tags)
        parts.append(Section(byline))
        return tuple(parts)
    if moment.kind == "shoutout":
        giver = author.name if author else "Someone"
        return (Section(moment.situation, f"{giver} recognises {names(recipients)}"),)
    steps = "\n".join(f"{n}. {step}" for n, step in enumerate(moment.steps, 1))
    parts = [Section(moment.situation, moment.title)]
    if steps:
        parts.append(Section(steps, "How to run it"))
    parts.append(Section(f"About {moment.minutes} minutes" + (" · from the library" if moment.library_key else "")))
    return tuple(parts)


def agenda_card(
    item: AgendaItem,
    *,
    zone: str,
    moment: Moment | None,
    author: Member | None,
    recipients: Sequence[Member],
    presenter: Member | None,
    helpful: int,
) -> Card:
    title = f"Customer Moment · {local_time(item.starts_at, zone)}"
    if moment is None:
        return Card(
            title=title,
            sections=(Section("No moment at this meeting."),),
            facts=(Fact("Status", AGENDA_STATE.get(item.state, item.state)),),
        )
    facts = [Fact("Kind", KIND_LABEL.get(moment.kind, moment.kind))]
    if presenter is not None:
        facts.append(Fact("Presenter", presenter.name))
    facts.append(Fact("Status", AGENDA_STATE.get(item.state, item.state)))
    helpful_label = f"👍 Helpful ({helpful})" if helpful else "👍 Helpful"
    value = str(item.id)
    if item.state in ("scheduled", "posted"):
        buttons: tuple[Button, ...] = (
            Button("Swap", "agenda.swap", value),
            Button("Skip", "agenda.skip", value),
            Button("Presented", "agenda.done", value, "primary"),
            Button(helpful_label, "agenda.helpful", value),
        )
    elif item.state == "presented":
        buttons = (Button(helpful_label, "agenda.helpful", value),)
    else:
        buttons = ()
    return Card(
        title=title,
        sections=moment_sections(moment, author=author, recipients=recipients),
        facts=tuple(facts),
        buttons=buttons,
        note=f"Why this one: {item.reason}" if item.reason else "",
    )


class MomentSummary(Protocol):
    """What a one-line summary shows: a Moment, or a row of the ``MOMENT_LINE`` columns."""

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


# The columns moment_line reads, for statements that need a moment's line and nothing else of it.
MOMENT_LINE = (Moment.id, Moment.kind, Moment.state, Moment.title, Moment.situation)


def moment_line(moment: MomentSummary) -> str:
    what = moment.title or moment.situation
    short = what if len(what) <= 80 else what[:79] + "…"
    return (
        f"#{moment.id} · {KIND_LABEL.get(moment.kind, moment.kind)} · {STATE_LABEL.get(moment.state, moment.state)}"
        f" · {short}"
    )


def review_card(moment: Moment, *, author: Member | None, recipients: Sequence[Member]) -> Card:
    by = "Anonymous" if moment.anonymous or author is None else author.name
    return Card(
        title=f"#{moment.id} · {KIND_LABEL.get(moment.kind, moment.kind)} waiting for review",
        sections=moment_sections(moment, author=author, recipients=recipients),
        facts=(Fact("From", by),),
        buttons=(
            Button("Approve", "review.approve", str(moment.id), "primary"),
            Button("Reject", "review.reject", str(moment.id), "danger"),
        ),
    )
