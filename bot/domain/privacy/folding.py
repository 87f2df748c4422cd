"""A look-alike of a text in plain ASCII digits and punctuation, one character for one, for the detectors.

People write numbers in full-width digits (``４１１１``), other scripts' digits, or with no-break and
ideographic spaces. Folding each character on its own keeps every index where it was, so a span
found in the folded text is the same span in the original, and what is masked is what was typed.
"""

from __future__ import annotations

import functools
import unicodedata


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    digit = unicodedata.decimal(char, None)
    if digit is not None:
        return str(digit)
    folded = unicodedata.normalize("NFKC", char)
    # A character that compatibility-decomposes into several ("ﬁ", "½") keeps its place unchanged.
    return folded if len(folded) == 1 else char


def fold(text: str) -> str:
    """``text`` with any decimal digit as its ASCII digit and full-width forms as their plain forms."""
    if text.isascii():
        return text
    return "".join(map(_fold_char, text))
