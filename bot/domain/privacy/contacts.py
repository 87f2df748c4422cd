"""Finding e-mail addresses (also written to dodge filters) and phone numbers.

E-mail addresses are found by pattern: the usual ``name@example.com`` and the spelled-out forms
people use to keep addresses from robots — ``name(at)example.com``, ``name [at] example [dot] com``,
``name dot surname at example dot com``. A spoken ``at`` is common in ordinary sentences, so that
form counts only with a spoken ``dot`` and a well-known top-level domain.

Phone numbers are left to ``phonenumbers`` (Google's libphonenumber): its matcher knows every
country's numbering plan and tells a valid number from a date, a time or an amount far better than
any pattern of ours. It is asked once per region the team may write in; numbers in international
form (``+49 …``, ``0044 …``) are found whatever the region.

Patterns here repeat only a bounded number of times and start only where a word starts, so the
work per starting point is bounded and the whole scan is linear in the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from phonenumbers import Leniency, PhoneNumberMatcher

Spans = Iterator[tuple[int, int]]

# ``local@domain.tld``; the local part is at most 64 characters and a domain label at most 63 (RFC 5321).
_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]{1,64}@(?:[\w-]{1,63}\.){1,8}[^\W\d_]{2,24}(?!\w)")

_OPEN, _CLOSE = r"[\[({<]", r"[\])}>]"
_GAP = r"[ \t]{0,3}"
_SPOKEN_DOT = r"[ \t]{1,3}(?:dot|punkt|point)[ \t]{1,3}"
_DOT = rf"(?:{_GAP}{_OPEN}{_GAP}(?:dot|punkt|point|\.){_GAP}{_CLOSE}{_GAP}|{_SPOKEN_DOT}|\.)"
_AT = rf"(?:{_GAP}{_OPEN}{_GAP}(?:at|@){_GAP}{_CLOSE}{_GAP}|[ \t]{{1,3}}at[ \t]{{1,3}}|@)"
_OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w+-]{{1,64}}(?:{_DOT}[\w+-]{{1,64}}){{0,4}}"
    rf"(?P<at>{_AT})"
    rf"(?P<domain>[\w-]{{1,63}}(?:{_DOT}[\w-]{{1,63}}){{0,4}}{_DOT})(?P<tld>[^\W\d_]{{2,24}})(?!\w)",
    re.IGNORECASE,
)
_HAS_SPOKEN_DOT = re.compile(rf"{_SPOKEN_DOT}|{_OPEN}", re.IGNORECASE)
# Top-level domains that a spoken "x at y dot com" must end in to count as an address.
_COMMON_TLDS = frozenset(
    "com org net edu gov info biz io co uk de fr es it nl be ch at eu us ca au ie pl se no dk fi pt".split()  # noqa: SIM905
)


def _obfuscated_ok(match: re.Match[str]) -> bool:
    if match.group("at").strip().lower() != "at":
        return True  # "@" or a bracketed "(at)": meant as an address
    return _HAS_SPOKEN_DOT.search(match.group("domain")) is not None and match.group("tld").lower() in _COMMON_TLDS


def email_spans(text: str) -> Spans:
    """E-mail addresses, plain or spelled out."""
    for match in _EMAIL.finditer(text):
        yield match.span()
    for match in _OBFUSCATED_EMAIL.finditer(text):
        if _obfuscated_ok(match):
            yield match.span()


def _part_of_an_id(text: str, start: int, end: int) -> bool:
    """Whether the digits are glued to a word by a joiner, as in ticket ids (``SR-2026-001234``)."""
    before = text[max(start - 2, 0) : start]
    after = text[end : end + 2]
    return (
        before[-1:] in ("#", "=", "@")
        or (len(before) == 2 and before[1] in "-/_." and before[0].isalnum())
        or (len(after) == 2 and after[0] in "-/_" and after[1].isalnum())
    )


def phone_spans(text: str, regions: Sequence[str]) -> Spans:
    """Phone numbers valid in one of ``regions`` (ISO 3166 codes), or in international form."""
    # The matcher gives up after ``max_tries`` candidates; a long text must not hide its last numbers.
    tries = len(text) + 1
    for region in regions or ("ZZ",):
        for match in PhoneNumberMatcher(text, region, leniency=Leniency.VALID, max_tries=tries):
            if not _part_of_an_id(text, match.start, match.end):
                yield match.start, match.end
