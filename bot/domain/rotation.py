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
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

FRESH = timedelta(days=14)
STREAK = 2  # this many of one kind in a row is the most before another kind gets its turn
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

KIND_NAMES = {"story": "stories", "shoutout": "shout-outs", "exercise": "exercises"}


@dataclass(frozen=True, slots=True)
class Candidate:
    moment_id: int
    kind: str
    people: frozenset[int]
    times_featured: int
    last_featured_at: datetime | None
    created_at: datetime
    library: bool = False


@dataclass(frozen=True, slots=True)
class Recent:
    """A moment featured at an earlier meeting of the team (most recent first in sequences)."""

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
        return (
            c.times_featured > 0,
            bool(c.people & last_people),
            c.kind == streak,
            c.library,
            not fresh_shoutout,
            c.kind == last_kind,
            c.times_featured,
            c.last_featured_at or _EPOCH,
            c.created_at,
            _tie_break(seed, c.moment_id),
        )

    ranked = sorted(pool, key=key)
    best = ranked[0]
    return Choice(best.moment_id, _reason(best, ranked, key, streak=streak, last_people=last_people, now=now))


def _reason(
    best: Candidate,
    ranked: Sequence[Candidate],
    key: object,
    *,
    streak: str | None,
    last_people: frozenset[int],
    now: datetime,
) -> str:
    team_new = [c for c in ranked if not c.library and c.times_featured == 0]
    if best.times_featured > 0:
        when = best.last_featured_at.strftime("%-d %b %Y") if best.last_featured_at else "a while ago"
        return f"Everything has been featured at least once; this one has waited longest (last on {when})."
    if best.library:
        if not team_new:
            return "The team's pool has nothing new, so here is an exercise from the library."
        if streak is not None and all(c.kind == streak for c in team_new):
            return f"For variety: the last {STREAK} moments were {KIND_NAMES.get(streak, streak)}."
        return "Picked an exercise so the same people are not featured two meetings running."
    parts: list[str] = []
    if best.kind == "shoutout" and now - best.created_at <= FRESH:
        parts.append("A fresh shout-out, featured while it still means the most")
    else:
        parts.append(f"Never featured yet; waiting since {best.created_at.strftime('%-d %b %Y')}")
    if streak is not None and best.kind != streak:
        parts.append(f"and the last {STREAK} moments were {KIND_NAMES.get(streak, streak)}")
    elif last_people and any(c.people & last_people for c in ranked if c is not best and c.times_featured == 0):
        parts.append("and not the people featured last time")
    return " ".join(parts) + "."
