"""Whether two texts tell the same story: word-shingle overlap, linear in the texts' length.

Used to notice an author sending a story twice (a double submit, or the same story told again a
week later). Pure and cheap: a few hundred comparisons of short texts per submission.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+")
SHINGLE = 3  # words per shingle: order matters, single shared words do not
SAME_STORY = 0.6  # share of shingles two tellings of one story have in common


def shingles(text: str) -> frozenset[tuple[str, ...]]:
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    if len(words) < SHINGLE:
        return frozenset({tuple(words)}) if words else frozenset()
    return frozenset(tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))


def resemblance(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> float:
    """Jaccard overlap of two shingle sets, 0.0 (nothing shared) to 1.0 (the same words in the same order)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def same_story(a: str, b: str) -> bool:
    return resemblance(shingles(a), shingles(b)) >= SAME_STORY
