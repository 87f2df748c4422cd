"""IANA time zone lookup: case-insensitive names, canonical spelling and "did you mean" suggestions."""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, available_timezones

from .errors import UnknownZone

__all__ = ["zone"]

_MAX_ZONE_NAME: Final = 64

_REGIONS: Final = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)
_NOT_ZONES: Final = frozenset({"localtime", "Factory", "posixrules"})


@lru_cache(maxsize=1)
def _zone_index() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """(lower-case full name -> canonical name, lower-case last path part -> names)."""
    names = sorted(n for n in available_timezones() if n not in _NOT_ZONES)
    # Geographic names first ("America/Indiana/Indianapolis" before "US/..." style aliases).
    names.sort(key=lambda n: (n.split("/", 1)[0] not in _REGIONS, n))
    by_lower = {n.lower(): n for n in names}
    by_last: dict[str, list[str]] = {}
    for n in names:
        by_last.setdefault(n.rsplit("/", 1)[-1].lower(), []).append(n)
    return by_lower, {k: tuple(v) for k, v in by_last.items()}


def _zone_key(name: str) -> str:
    return re.sub(r"\s+", "_", name.strip()).lower()


def _suggest(name: str) -> tuple[str, ...]:
    by_lower, by_last = _zone_index()
    key = _zone_key(name)
    if not key or len(key) > _MAX_ZONE_NAME:
        return ()
    last = key.rsplit("/", 1)[-1]
    scored: dict[str, float] = {}

    def offer(candidate: str, score: float) -> None:
        scored[candidate] = max(score, scored.get(candidate, 0.0))

    for candidate in by_last.get(last, ()):
        offer(candidate, 1.0)
    for match in difflib.get_close_matches(key, by_lower, n=5, cutoff=0.6):
        offer(by_lower[match], difflib.SequenceMatcher(None, key, match).ratio())
    if last:
        for match in difflib.get_close_matches(last, by_last, n=5, cutoff=0.7):
            for candidate in by_last[match]:
                offer(candidate, difflib.SequenceMatcher(None, last, match).ratio())
    if not scored:
        return ()
    best = max(scored.values())
    rank = {n: i for i, n in enumerate(by_lower.values())}
    ranked = sorted(scored, key=lambda n: (-scored[n], rank[n]))
    return tuple(n for n in ranked if scored[n] >= best - 0.15)[:3]


def _canonical_zone(name: str) -> str:
    key = _zone_key(name)
    canonical = _zone_index()[0].get(key) if len(key) <= _MAX_ZONE_NAME else None
    if canonical is None:
        raise UnknownZone(name, _suggest(name))
    return canonical


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (case-insensitive, e.g. "europe/berlin"); else :class:`UnknownZone`.

    The returned zone's ``.key`` is the canonical spelling ("Europe/Berlin").
    """
    return ZoneInfo(_canonical_zone(name))
