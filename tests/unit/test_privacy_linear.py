"""Masking takes time linear in the length of the text, whatever the text.

By construction: no pattern of ours repeats anything an unbounded number of times, so each attempt
to match at a position reads a bounded stretch of text. That is checked on the parsed patterns
themselves, and then shown on long hostile texts, which a pattern with a quadratic or exponential
worst case would not finish in any test run.
"""

from __future__ import annotations

import itertools
import re
import re._parser as sre_parse  # type: ignore[import-not-found]
import types
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bot.domain.privacy as privacy
from bot.domain.privacy import contacts, folding, mask, names, numbers, regions
from bot.domain.privacy.folding import fold

MODULES = (privacy, contacts, folding, names, numbers, regions)
_REPEATS = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, sre_parse.POSSESSIVE_REPEAT}


def _patterns_in(value: Any) -> Iterator[re.Pattern[str]]:
    if isinstance(value, re.Pattern):
        yield value
    elif isinstance(value, tuple | list | frozenset | set):
        for item in value:
            yield from _patterns_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _patterns_in(item)


def module_patterns() -> list[tuple[str, re.Pattern[str]]]:
    found: list[tuple[str, re.Pattern[str]]] = []
    for module in MODULES:
        assert isinstance(module, types.ModuleType)
        for name, value in vars(module).items():
            found += [(f"{module.__name__.rsplit('.', 1)[-1]}.{name}", p) for p in _patterns_in(value)]
    return found


def unbounded_repeats(pattern: re.Pattern[str]) -> list[str]:
    """Each repetition in the parsed pattern, lookarounds and groups included, with no upper bound."""
    problems: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, sre_parse.SubPattern):
            for op, argument in node:
                if op in _REPEATS:
                    low, high, item = argument
                    if high == sre_parse.MAXREPEAT:
                        problems.append(f"{op} {{{low},}}")
                    walk(item)
                else:
                    walk(argument)
        elif isinstance(node, tuple | list):
            for item in node:
                walk(item)

    walk(sre_parse.parse(pattern.pattern, pattern.flags))
    return problems


def test_the_scan_finds_every_pattern_of_the_masking() -> None:
    found = [name for name, _ in module_patterns()]
    assert {"contacts._EMAIL", "contacts._OBFUSCATED_EMAIL", "numbers._DIGIT_RUN", "names._TITLED_NAME"} <= set(found)
    assert found.count("numbers._NATIONAL_IDS") == 6  # the patterns inside the table are found too


def test_the_check_sees_unbounded_repeats_anywhere() -> None:
    assert unbounded_repeats(re.compile(r"a{1,5}(?=b+)")) == [f"{sre_parse.MAX_REPEAT} {{1,}}"]
    assert unbounded_repeats(re.compile(r"(?:x|y*?)")) == [f"{sre_parse.MIN_REPEAT} {{0,}}"]
    assert unbounded_repeats(re.compile(r"(?<!\w)(a++)")) != []
    assert unbounded_repeats(re.compile(r"(?<!\w)[0-9]{1,19}+(?:[ .-][0-9]{1,19}+){0,24}+")) == []


@pytest.mark.parametrize(("name", "pattern"), module_patterns(), ids=lambda v: v if isinstance(v, str) else "")
def test_no_pattern_repeats_without_bound(name: str, pattern: re.Pattern[str]) -> None:
    assert unbounded_repeats(pattern) == [], name
    # A bounded pattern has a longest possible match: each attempt reads at most that much text.
    assert sre_parse.parse(pattern.pattern, pattern.flags).getwidth()[1] <= 1000, name


# Pieces that make the patterns try hard: chains of spoken dots, long digit runs, near-IBANs, titles,
# full-width digits, half-made national ids and phone numbers.
HOSTILE_PIECES = (
    "a dot ",
    "b at ",
    "(at) ",
    "[dot] ",
    "1 ",
    "4111 ",
    "4111.",
    "DE89 ",
    "AB12 ",
    "Mr ",
    "４１１１ ",
    "\n",
    "+1 415 555 2671 ",
    "123-45-",
    "a@b.co ",
    "x" * 70,
    "." * 10,
    "0" * 30,
    " 030/",
    "12.11.",
    "GB82 WEST ",
    "a.",
)


def hostile_text(size: int, pieces: tuple[str, ...] = HOSTILE_PIECES) -> str:
    return "".join(itertools.islice(itertools.cycle(pieces), size))[:size]


def test_masking_200_kb_of_hostile_text_finishes() -> None:
    text = hostile_text(200_000)
    result = mask(text, regions=("DE",))
    assert len(result.text) < len(text)
    assert result.text.count("[e-mail]") >= text.count("a@b.co ")


@pytest.mark.parametrize(
    "pieces",
    [("a dot ",), ("a (at) b [dot] ",), ("1 ",), ("DE89 ",), ("x.",), ("4111-",), ("Mr ",), ("123-45-",)],
    ids=["spoken-dots", "brackets", "digits", "iban-starts", "local-parts", "card-groups", "titles", "ssn-starts"],
)
def test_masking_50_kb_of_one_hostile_piece_finishes(pieces: tuple[str, ...]) -> None:
    text = hostile_text(50_000, pieces)
    result = mask(text, regions=("DE",))
    assert mask(result.text, regions=("DE",)).text == result.text


def test_a_long_text_is_masked_to_its_end() -> None:
    # Every number in the text, the last one too: nothing gives up after a number of tries.
    text = "call +44 20 7946 0958, " * 5_000 + "and mail jane@example.com"
    result = mask(text, regions=())
    assert result.text == "call [phone], " * 5_000 + "and mail [e-mail]"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(HOSTILE_PIECES), min_size=200, max_size=2_000).map("".join))
def test_long_hostile_texts_mask_idempotently(text: str) -> None:
    once = mask(text, regions=("DE",))
    assert mask(once.text, regions=("DE",)).text == once.text


@given(st.text(max_size=500))
def test_folding_keeps_every_character_in_its_place(text: str) -> None:
    folded = fold(text)
    assert len(folded) == len(text)
    assert all(a == b for a, b in zip(folded, text, strict=True) if a.isascii() and b.isascii())
