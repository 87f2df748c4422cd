"""Rotation: which moment a meeting gets, and a one-line reason anyone can check.

The rules, in order of weight:
1. never-featured items before any repeat;
2. the people of the previous meeting's moment (author, recipients) are not featured again
   right away when something else is available;
3. no three moments of one kind in a row while another kind is waiting;
4. the team's own items before library exercises;
5. shout-outs while they are fresh (two weeks);
6. variety: a different kind from last time;
7. the item waiting longest; then a tie-break seeded by the occurrence, so the same state always
   gives the same answer.
A library exercise fills in when the team's pool has nothing new, so no meeting goes without.

The people weighed are only those the channel is shown as an item's people: a named author and the
recipients who did not hide it. An anonymous author is not one of them, in the item picked nor in the
previous meeting's, so neither a pick nor its reason can tell the channel who wrote an anonymous story
(and a private shout-out, never featured, is shown to the channel as nobody's). Being featured is what
the channel sees; an anonymous story puts nobody in front of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

FRESH = timedelta(days=14)
STREAK = 2  # this many of one kind in a row is the most before another kind gets its turn
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

KIND_NAMES = {"story": "stories", "shoutout": "shout-outs", "exercise": "exercises"}


@dataclass(frozen=True, slots=True)
class Candidate:
    """An item the rotation may pick. ``people``: those the channel is shown as its people (no anonymous
    author)."""

    moment_id: int
    kind: str
    people: frozenset[int]
    times_featured: int
    last_featured_at: datetime | None
    created_at: datetime
    library: bool = False


@dataclass(frozen=True, slots=True)
class Recent:
    """A moment featured at an earlier meeting of the team (most recent first in sequences), with the people
    the channel was shown as its people (no anonymous author, nobody of a shout-out made private since)."""

    kind: str
    people: frozenset[int]


@dataclass(frozen=True, slots=True)
class Choice:
    moment_id: int
    reason: str


def _tie_break(seed: str, moment_id: int) -> str:
    return hashlib.blake2b(f"{seed}:{moment_id}".encode(), digest_size=8).hexdigest()


def _streak_kind(recent: Sequence[Recent]) -> str | None:
    kinds = [r.kind for r in recent[:STREAK]]
    return kinds[0] if len(kinds) == STREAK and len(set(kinds)) == 1 else None


def choose(
    candidates: Sequence[Candidate],
    recent: Sequence[Recent],
    *,
    seed: str,
    now: datetime,
    exclude: frozenset[int] = frozenset(),
) -> Choice | None:
    """Pick the next moment from ``candidates`` (None only when there is nothing at all)."""
    pool = [c for c in candidates if c.moment_id not in exclude]
    if not pool:
        return None
    last_people = recent[0].people if recent else frozenset()
    last_kind = recent[0].kind if recent else None
    streak = _streak_kind(recent)

    def key(c: Candidate) -> tuple[object, ...]:
        fresh_shoutout = c.kind == "shoutout" and c.times_featured == 0 and now - c.created_at <= FRESH
        return (  # the rules in order; a reason names some by their position here (PEOPLE, KINDS, ...)
            c.times_featured > 0,
            bool(c.people & last_people),  # PEOPLE
            c.kind == streak,  # KINDS
            c.library,  # LIBRARY
            not fresh_shoutout,
            c.kind == last_kind,  # VARIETY
            c.times_featured,  # FEWER
            c.last_featured_at or _EPOCH,
            c.created_at,
            _tie_break(seed, c.moment_id),
        )

    ranked = sorted(pool, key=key)
    best = ranked[0]
    return Choice(best.moment_id, _reason(best, ranked[1:], key, streak=streak, last_people=last_people, now=now))


# Positions in a candidate's sort key (see ``choose``) of the rules that can pass over an item that waited
# longer, and how a reason says that such a rule decided.
PEOPLE, KINDS, LIBRARY, VARIETY, FEWER = 1, 2, 3, 5, 6
_PASSED_OVER = {
    PEOPLE: "not the people featured last time",
    LIBRARY: "one of the team's own, which go before the library's",
    VARIETY: "a different kind from last time",
    FEWER: "featured fewer times",
}


def _deciding_rule(key: Callable[[Candidate], tuple[object, ...]], best: Candidate, other: Candidate) -> int:
    ahead, behind = key(best), key(other)
    return next((n for n, (a, b) in enumerate(zip(ahead, behind, strict=True)) if a != b), len(ahead))


def _clauses(rules: set[int], streak: str | None) -> list[str]:
    said = []
    for rule in sorted(rules):
        if rule == KINDS and streak is not None:
            said.append(f"the last {STREAK} moments were {KIND_NAMES.get(streak, streak)}")
        elif rule in _PASSED_OVER:
            said.append(_PASSED_OVER[rule])
    return said


def _joined(start: str, clauses: list[str]) -> str:
    if not clauses:
        return start + "."
    if len(clauses) == 1:
        return f"{start} and {clauses[0]}."
    return f"{start}, {', '.join(clauses[:-1])} and {clauses[-1]}."


def _reason(
    best: Candidate,
    others: Sequence[Candidate],
    key: Callable[[Candidate], tuple[object, ...]],
    *,
    streak: str | None,
    last_people: frozenset[int],
    now: datetime,
) -> str:
    """Why ``best`` was picked, in words that are true and tell the channel nothing it is not shown: the people
    weighed are only those the channel sees as an item's people (see :class:`Candidate`), and whenever an item
    that waited longer was passed over, the reason names the rule that passed it over."""
    if best.times_featured > 0:
        waited = [c for c in others if (c.last_featured_at or _EPOCH) < (best.last_featured_at or _EPOCH)]
        when = best.last_featured_at.strftime("%-d %b %Y") if best.last_featured_at else "a while ago"
        start = "Everything has been featured at least once; this one "
        if not waited:
            return start + f"has waited longest (last on {when})."
        return _joined(start + f"was last on {when}", _clauses({_deciding_rule(key, best, c) for c in waited}, streak))
    team_new = [c for c in others if not c.library and c.times_featured == 0]
    if best.library:
        if not team_new:
            return "The team's pool has nothing new that can be featured now, so here is an exercise from the library."
        # Each new team item lost to the library by rule 2 (people) or rule 3 (kinds): say what holds for all.
        if streak not in (None, best.kind) and all(c.kind == streak for c in team_new):
            return f"For variety: the last {STREAK} moments were {KIND_NAMES.get(streak, streak)}."
        people = "Picked an exercise so the same people are not featured two meetings running"
        if streak in (None, best.kind) or all(c.people & last_people for c in team_new):
            return people + "."
        return f"{people} and for variety: the last {STREAK} moments were {KIND_NAMES.get(streak, streak)}."
    if best.kind == "shoutout" and now - best.created_at <= FRESH:
        start = "A fresh shout-out, featured while it still means the most"
    else:
        start = f"Never featured yet; waiting since {best.created_at.strftime('%-d %b %Y')}"
    waited = [c for c in team_new if c.created_at < best.created_at]
    return _joined(start, _clauses({_deciding_rule(key, best, c) for c in waited}, streak))
