"""Hypothesis strategies for hostile input: text people (or forgers) could type, and JSON of any shape."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from adapters.slack.text import read_command
from bot.commands import UsageError, parse
from bot.domain.validation import scrub

# The buttons on agenda and review cards, the same on every surface.
CARD_ACTIONS = (
    "agenda.swap",
    "agenda.skip",
    "agenda.done",
    "agenda.helpful",
    "review.approve",
    "review.reject",
)
INJECTIONS = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S0614TZR7|@support>",
    "<@U999>",
    "<@U2|bob>",
    "<#C1|general>",
    "<https://evil.example|click here>",
    "<mailto:x@evil.example|mail>",
    "&lt;!channel&gt;",
    "&amp;lt;",
    "@channel",
    "*bold* _it_ ~s~ `code` ```block```",
    "<at>Customer Moment</at>",
    "[link](https://evil.example)",
)
ODD_PIECES = (
    "\x00",
    "\x1b[31m",
    "\r\n",
    "\t",
    "\x7f",
    "\u2028",
    "\ufeff",
    "\u200b",
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "العميل غاضب",
    "לקוח",
    "😡🧑‍💻👍🏽🇩🇪",
    "Z̷͉̈a̶̗͐l̵̰̈g̸̱̀o̷͍͝",
    "'; DROP TABLE moments; --",
    "%s%n{0}${x}",
    "lesson:",
    "|",
    "did:",
    "tags:",
    "nps: detractor",
    "#1",
    "99999999999999999999",
    "-1",
)

# Any character that can travel in UTF-8 (no lone surrogates: those cannot be form-encoded).
characters = st.characters(codec="utf-8")
pieces = st.one_of(st.text(characters, max_size=30), st.sampled_from(INJECTIONS + ODD_PIECES))
hostile_text = st.lists(pieces, max_size=8).map("".join)


def repeated_to(minimum: int) -> st.SearchStrategy[str]:
    """Hostile text at least ``minimum`` characters long (repeating a hostile chunk: cheap to generate)."""

    def build(chunk: str, extra: int) -> str:
        return (chunk * (minimum // len(chunk) + 1))[: minimum + extra]

    return st.builds(build, hostile_text.filter(bool), st.integers(0, 2000))


def unknown_command(line: str) -> bool:
    """Whether ``line``, typed after ``/moment``, is refused by the command grammar (so nothing can be written)."""
    try:
        parse(scrub(read_command(line).text))  # the core scrubs NUL and surrogates first
    except UsageError:
        return True
    return False


# JSON of any shape, including the numbers and nesting that trip up code expecting one shape.
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 5, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(("", "0", "-1", "1e400", "NaN", "U1", "C1", "T1", "²", "١٢", "9" * 40, "<!channel>")),
)
json_values: st.SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def jsonable(value: Any) -> Any:
    """``value`` after a trip through JSON (what the server will see)."""
    return json.loads(json.dumps(value))
