"""The lives of an agenda item, of a featuring and of a meeting series: their states and the legal moves.

Each lifecycle is a table: the states a new record may start in, and for every state the states it may
move to. A state that may move to itself is *open*: the record stays as it is with something else
changed — an agenda item not yet presented may have its moment picked again (a swap, or a moment that
left the pool being replaced). A state with no moves has ended.

Services check what a person asked for first and refuse politely; the table is the last word, and a
move it does not allow is a bug in the code that asked for it (:class:`IllegalTransition`).

A few endings may be taken back (undoing `done` or `skip` on the current meeting): those moves are
listed apart, as *reopens*, so that an ended state stays ended for everything else that asks.

The states are ``str`` enums whose values are the ones stored in the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar


class AgendaState(StrEnum):
    """Where a meeting occurrence's Customer Moment is."""

    SCHEDULED = "scheduled"  # prepared; its card waits for its post time
    POSTED = "posted"  # its card is in the channel
    PRESENTED = "presented"  # it was presented at the meeting
    SKIPPED = "skipped"  # the organizer or a manager skipped it
    MISSED = "missed"  # the meeting started before the card could be posted
    FAILED = "failed"  # the platform would not take the card
    CANCELLED = "cancelled"  # its team or series stopped before the card was posted, or the calendar cancelled it


class Outcome(StrEnum):
    """How a moment's featuring on an agenda item ended (``current``: it is on the item now)."""

    CURRENT = "current"
    PRESENTED = "presented"
    SKIPPED = "skipped"
    SWAPPED = "swapped"


class SeriesState(StrEnum):
    """Whether a meeting series gets its moments."""

    ACTIVE = "active"
    PAUSED = "paused"
    DELETED = "deleted"


S = TypeVar("S", AgendaState, Outcome, SeriesState)


class IllegalTransition(Exception):
    """Code tried a move its lifecycle does not allow: a bug, never a person's mistake."""

    def __init__(self, lifecycle: str, current: str | None, target: str) -> None:
        start = "a new one" if current is None else f"'{current}'"
        super().__init__(f"{lifecycle}: no move from {start} to '{target}'")
        self.lifecycle, self.current, self.target = lifecycle, current, target


@dataclass(frozen=True, slots=True)
class Lifecycle(Generic[S]):
    name: str
    starts: frozenset[S]
    moves: Mapping[S, frozenset[S]]
    # Moves that take an ending back (``undo``): legal, but they do not make an ended state open or unended.
    reopens: Mapping[S, frozenset[S]] = field(default_factory=dict)

    def allows(self, current: S | None, target: S) -> bool:
        """Whether ``current`` (``None``: a record being created) may become ``target``."""
        if current is None:
            return target in self.starts
        return target in self.moves[current] or target in self.reopens.get(current, frozenset())

    def reopening(self, current: S, target: S) -> S:
        """``target``, when it takes back the ending ``current``; raises :class:`IllegalTransition` otherwise."""
        if target not in self.reopens.get(current, frozenset()):
            raise IllegalTransition(self.name, current, target)
        return target

    def start(self, state: S) -> S:
        """The state of a new record; raises :class:`IllegalTransition` if no record starts there."""
        if not self.allows(None, state):
            raise IllegalTransition(self.name, None, state)
        return state

    def move(self, current: S, target: S) -> S:
        """``target``, when ``current`` may move there; raises :class:`IllegalTransition` otherwise."""
        if not self.allows(current, target):
            raise IllegalTransition(self.name, current, target)
        return target

    def is_open(self, state: S) -> bool:
        return state in self.moves[state]

    def has_ended(self, state: S) -> bool:
        return not self.moves[state]


_ENDED: frozenset[AgendaState] = frozenset()

AGENDA: Lifecycle[AgendaState] = Lifecycle(
    "agenda item",
    # A series' occurrence is prepared ahead (or found missed after an outage); a one-off request is
    # posted at once.
    starts=frozenset({AgendaState.SCHEDULED, AgendaState.MISSED, AgendaState.POSTED}),
    moves={
        AgendaState.SCHEDULED: frozenset(
            {
                AgendaState.SCHEDULED,
                AgendaState.POSTED,
                AgendaState.PRESENTED,
                AgendaState.SKIPPED,
                AgendaState.MISSED,
                AgendaState.FAILED,
                AgendaState.CANCELLED,
            }
        ),
        # A posted card is cancelled when its meeting is cancelled in the calendar its series follows.
        AgendaState.POSTED: frozenset(
            {AgendaState.POSTED, AgendaState.PRESENTED, AgendaState.SKIPPED, AgendaState.CANCELLED}
        ),
        AgendaState.PRESENTED: _ENDED,
        AgendaState.SKIPPED: _ENDED,
        AgendaState.MISSED: _ENDED,
        AgendaState.FAILED: _ENDED,
        AgendaState.CANCELLED: _ENDED,
    },
    # Undoing `done` or `skip` on the current meeting: a presented item had its card out; a skipped one goes
    # back to where it was (its card out, or waiting for its post time). A meeting cancelled in the calendar
    # and put back there before it starts opens its item again (its card out, or waiting).
    reopens={
        AgendaState.PRESENTED: frozenset({AgendaState.POSTED}),
        AgendaState.SKIPPED: frozenset({AgendaState.POSTED, AgendaState.SCHEDULED}),
        AgendaState.CANCELLED: frozenset({AgendaState.POSTED, AgendaState.SCHEDULED}),
    },
)

FEATURING: Lifecycle[Outcome] = Lifecycle(
    "featuring",
    starts=frozenset({Outcome.CURRENT}),
    moves={
        Outcome.CURRENT: frozenset({Outcome.PRESENTED, Outcome.SKIPPED, Outcome.SWAPPED}),
        Outcome.PRESENTED: frozenset(),
        Outcome.SKIPPED: frozenset(),
        Outcome.SWAPPED: frozenset(),
    },
    reopens={Outcome.PRESENTED: frozenset({Outcome.CURRENT}), Outcome.SKIPPED: frozenset({Outcome.CURRENT})},
)

SERIES: Lifecycle[SeriesState] = Lifecycle(
    "meeting series",
    starts=frozenset({SeriesState.ACTIVE}),
    moves={
        SeriesState.ACTIVE: frozenset({SeriesState.PAUSED, SeriesState.DELETED}),
        SeriesState.PAUSED: frozenset({SeriesState.ACTIVE, SeriesState.DELETED}),
        SeriesState.DELETED: frozenset(),
    },
)

# Agenda items whose moment may still change and whose card has buttons; in declaration order, so that
# statements built from it read the same every time.
OPEN: tuple[AgendaState, ...] = tuple(state for state in AgendaState if AGENDA.is_open(state))
# Featurings that count as the moment having been featured: on an agenda now, or presented.
COUNTED: tuple[Outcome, ...] = (Outcome.CURRENT, Outcome.PRESENTED)
# A featuring that ended like this gives its moment back to the pool (it was not really featured).
RETURNED: tuple[Outcome, ...] = (Outcome.SWAPPED, Outcome.SKIPPED)


def ending(state: AgendaState) -> Outcome:
    """How an agenda item's current featuring ends when the item ends in ``state``."""
    if not AGENDA.has_ended(state):
        raise IllegalTransition(AGENDA.name, state, "an ending")
    return Outcome.PRESENTED if state is AgendaState.PRESENTED else Outcome.SKIPPED
