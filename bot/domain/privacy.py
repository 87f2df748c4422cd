"""Masking of obvious personal data in free text before anyone else sees it.

Stories are about real customers, so before a story is stored or shown, :func:`mask` replaces
e-mail addresses, payment card numbers and phone numbers with neutral placeholders, and
:func:`describe` tells the author, in one friendly sentence, what was masked.

The rules are deliberately simple and regex-based (standard library only):

* **cards** (``[card]``): 13-19 digits, optionally grouped with single spaces or dashes, that pass
  the Luhn check. A digit run that fails the check is not a card (it may still be a phone number).
* **e-mail addresses** (``[e-mail]``): ``local@domain.tld``.
* **phone numbers** (``[phone]``): international ``+CC`` forms, or national forms grouped with
  spaces, dashes, dots or parentheses, with 7-15 digits in all; an unbroken run needs 10-15 digits.
  Dates, times, amounts, ticket ids (``#12345``), versions, IP addresses, thousands-grouped
  numbers, lists of years or small scores are left alone.

Cards are masked first, then e-mail addresses, then phone numbers, and the passes repeat until
nothing more is found, so masking already-masked text changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

EMAIL = "e-mail address"
PHONE = "phone number"
CARD = "payment card number"

EMAIL_PLACEHOLDER = "[e-mail]"
PHONE_PLACEHOLDER = "[phone]"
CARD_PLACEHOLDER = "[card]"

# The order in which kinds are reported in ``Masked.found``.
_KIND_ORDER = (EMAIL, PHONE, CARD)
# Each pass removes at least one digit or '@', so this bound is never reached in practice.
_MAX_PASSES = 50


@dataclass(frozen=True, slots=True)
class Masked:
    """Text with personal data masked, and the kinds of data found (deduplicated, fixed order)."""

    text: str
    found: tuple[str, ...]


# A run of ASCII digit groups joined by single spaces or dashes; not glued to a word, a '+' or an '@'.
_DIGIT_RUN = re.compile(r"(?<![\w+@])[0-9]+(?:[ -][0-9]+)*")
_DIGITS = re.compile(r"[0-9]+")
# What may not follow a card: a word character, an '@' or a decimal continuation.
_CARD_TAIL_BLOCK = re.compile(r"[\w@]|[.,][0-9]")

_EMAIL_RE = re.compile(r"(?<![\w.%+-])[\w.%+-]+@(?:[\w-]+\.)+[^\W\d_]{2,}(?!\w)")

_PHONE_RE = re.compile(
    r"(?<![\w#$€£¥.,/@+=&%*-])(?<![0-9]:)"  # not inside a word, amount, id, time or version
    r"(?:\+[0-9]{1,15}+|\([0-9]{1,5}\)|[0-9]{1,15}+)"  # first group
    r"(?:[ .-]?\([0-9]{1,5}\)|[ .-][0-9]{1,15}+|(?<=\))[0-9]{1,15}+){0,9}+"  # further groups
    r"(?![\w@%])(?![.,:/-][0-9])"  # not followed by a word, '@', '%' or more of a number
)


def _luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check used by payment card numbers."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card_spans(text: str) -> Iterator[tuple[int, int]]:
    """Spans of Luhn-valid 13-19 digit numbers, each made of whole groups of a digit run."""
    for run in _DIGIT_RUN.finditer(text):
        groups = [(run.start() + g.start(), run.start() + g.end()) for g in _DIGITS.finditer(run.group())]
        tail_ok = _CARD_TAIL_BLOCK.match(text, run.end()) is None
        i = 0
        while i < len(groups):
            best: int | None = None
            digits = ""
            for j in range(i, len(groups)):
                digits += text[groups[j][0] : groups[j][1]]
                if len(digits) > 19:
                    break
                if j == len(groups) - 1 and not tail_ok:
                    break
                if len(digits) >= 13 and _luhn_ok(digits):
                    best = j
            if best is None:
                i += 1
                continue
            yield groups[i][0], groups[best][1]
            i = best + 1


def _mask_cards(text: str) -> tuple[str, bool]:
    parts: list[str] = []
    position = 0
    for start, end in _card_spans(text):
        parts.append(text[position:start])
        parts.append(CARD_PLACEHOLDER)
        position = end
    if not parts:
        return text, False
    parts.append(text[position:])
    return "".join(parts), True


def _is_date(groups: Sequence[str]) -> bool:
    if len(groups) != 3:
        return False
    sizes = tuple(len(g) for g in groups)
    a, b, c = (int(g) for g in groups)
    if sizes[0] == 4 and sizes[1] <= 2 and sizes[2] <= 2:  # 2026-11-23
        return 1 <= b <= 12 and 1 <= c <= 31
    if sizes[0] <= 2 and sizes[1] <= 2 and sizes[2] == 4:  # 23.11.2026 or 11/23/2026
        return 1 <= a <= 31 and 1 <= b <= 31 and (a <= 12 or b <= 12)
    return False


def _looks_like_phone(candidate: str) -> bool:
    groups = _DIGITS.findall(candidate)
    count = sum(len(g) for g in groups)
    if not 7 <= count <= 15:
        return False
    if candidate.startswith("+") or "(" in candidate:
        return True
    if len(groups) == 1:
        return count >= 10
    separators = set(_DIGITS.sub("", candidate))
    if _is_date(groups):
        return False
    if separators == {"."} and len(groups) == 4 and all(len(g) <= 3 for g in groups):
        return False  # IPv4 address
    if separators <= {" ", "."} and len(groups[0]) <= 2 and all(len(g) == 3 for g in groups[1:]):
        return False  # 1 250 000 or 12.345.678
    if all(len(g) == 4 and g[:2] in ("19", "20") for g in groups):
        return False  # 2024 2025
    return not (all(len(g) <= 2 for g in groups) and not all(len(g) == 2 for g in groups))  # 9 10 8 7


def _mask_phones(text: str) -> tuple[str, bool]:
    found = False

    def replace(match: re.Match[str]) -> str:
        nonlocal found
        if _looks_like_phone(match.group()):
            found = True
            return PHONE_PLACEHOLDER
        return match.group()

    return _PHONE_RE.sub(replace, text), found


def _mask_emails(text: str) -> tuple[str, bool]:
    masked, count = _EMAIL_RE.subn(EMAIL_PLACEHOLDER, text)
    return masked, count > 0


def _mask_once(text: str, found: set[str]) -> str:
    text, hit = _mask_cards(text)
    if hit:
        found.add(CARD)
    text, hit = _mask_emails(text)
    if hit:
        found.add(EMAIL)
    text, hit = _mask_phones(text)
    if hit:
        found.add(PHONE)
    return text


def mask(text: str) -> Masked:
    """Replace e-mail addresses, payment card numbers and phone numbers with placeholders."""
    found: set[str] = set()
    for _ in range(_MAX_PASSES):
        masked = _mask_once(text, found)
        if masked == text:
            break
        text = masked
    return Masked(text=text, found=tuple(kind for kind in _KIND_ORDER if kind in found))


def _with_article(kind: str) -> str:
    return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"


def describe(found: Sequence[str]) -> str:
    """A friendly sentence telling the author what was masked; empty when nothing was."""
    kinds = [_with_article(kind) for kind in dict.fromkeys(found) if kind]
    if not kinds:
        return ""
    listed = kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} and {kinds[-1]}"
    return f"I masked {listed} before saving."
