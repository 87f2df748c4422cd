"""Masking of personal data in free text before anyone else sees it.

Stories are about real customers, so before a story, a shout-out, an exercise, a tag or a reviewer's
note is stored or shown, :func:`mask` replaces what identifies a person with a label saying what it
was, and :func:`describe` tells the author, in a friendly sentence, what was masked:

* ``[e-mail]`` — e-mail addresses, also spelled out (``name (at) example (dot) com``);
* ``[IBAN]`` — bank account numbers that pass the IBAN check;
* ``[national id]`` — US Social Security, UK National Insurance, German tax id, French social
  security, Spanish DNI/NIE and Italian codice fiscale numbers that pass their checks;
* ``[card]`` — payment card numbers that pass the Luhn check, in one piece or in the usual groups;
* ``[phone]`` — phone numbers valid in the team's country or one of the default regions, or in
  international form.

Numbers are recognised in any script's digits (``４１１１ …``): the detectors read a folded copy of the
text in which every character keeps its place. Each detector only proposes spans; where two overlap
the one earlier in the list above wins, and what is masked is replaced once. Masking an already
masked text changes nothing.

:func:`mask` also notes when a text seems to name someone (``Mrs Jones``): the author is warned, not
stopped.

Every pattern repeats a bounded number of times from a bounded set of starting points, so masking
takes time linear in the length of the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from bot.domain.privacy import contacts, names, numbers
from bot.domain.privacy.folding import fold
from bot.domain.privacy.regions import DEFAULT_REGIONS, regions_for

__all__ = [
    "CARD",
    "DEFAULT_REGIONS",
    "EMAIL",
    "IBAN",
    "NAMED_SOMEONE",
    "NATIONAL_ID",
    "PHONE",
    "Masked",
    "MaskedTexts",
    "describe",
    "mask",
    "mask_all",
    "merge",
    "regions_for",
]

EMAIL = "e-mail address"
PHONE = "phone number"
CARD = "payment card number"
IBAN = "IBAN"
NATIONAL_ID = "national id number"

PLACEHOLDERS = {
    EMAIL: "[e-mail]",
    PHONE: "[phone]",
    CARD: "[card]",
    IBAN: "[IBAN]",
    NATIONAL_ID: "[national id]",
}

# The order in which kinds are reported in ``Masked.found``.
_KIND_ORDER = (EMAIL, PHONE, CARD, IBAN, NATIONAL_ID)
# A second pass catches what an overlap hid in the first; nothing is left after a few.
_MAX_PASSES = 4

NAMED_SOMEONE = (
    "Heads-up: it looks like this names someone (a title such as “Mr” or “Mrs” followed by a name). "
    "It went through as written; if the customer would rather not be named, withdraw it and share it "
    "again without the name."
)

Finder = Callable[[str, Sequence[str]], Iterator[tuple[int, int]]]

# Which detector finds which kind, strongest claim first: when spans overlap, the earlier one wins.
_FINDERS: tuple[tuple[str, Finder], ...] = (
    (EMAIL, lambda text, _regions: contacts.email_spans(text)),
    (IBAN, lambda text, _regions: numbers.iban_spans(text)),
    (NATIONAL_ID, lambda text, _regions: numbers.national_id_spans(text)),
    (CARD, lambda text, _regions: numbers.card_spans(text)),
    (PHONE, contacts.phone_spans),
)
# Every kind but e-mail addresses is a number: a text without a digit (once folded to ASCII) has none of them.
_WITHOUT_DIGITS = _FINDERS[:1]
_DIGIT = re.compile("[0-9]")


@dataclass(frozen=True, slots=True)
class Masked:
    """Text with personal data masked, the kinds of data found (deduplicated, fixed order), and
    whether the text seems to name someone."""

    text: str
    found: tuple[str, ...]
    names_someone: bool = False


def _spans(text: str, regions: Sequence[str]) -> list[tuple[int, int, str]]:
    """Non-overlapping spans to mask, in text order."""
    folded = fold(text)
    numbers_in_it = _DIGIT.search(folded) is not None
    chosen: list[tuple[int, int, str]] = []
    for kind, finder in _FINDERS if numbers_in_it else _WITHOUT_DIGITS:
        # One sweep over this kind's spans and the stronger kinds' chosen ones, both in text order.
        taken: list[tuple[int, int, str]] = []
        index, taken_end = 0, 0
        for start, end in sorted(set(finder(folded, regions))):
            while index < len(chosen) and chosen[index][1] <= start:
                index += 1
            clashes = index < len(chosen) and chosen[index][0] < end
            if start < end and start >= taken_end and not clashes:
                taken.append((start, end, kind))
                taken_end = end
        chosen = sorted(chosen + taken)
    return _as_national_ids(folded, chosen) if numbers_in_it else chosen


def _as_national_ids(folded: str, chosen: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A phone number written in a national id's usual format is labelled a national id: an SSN on
    python-stdnum's block list or a tax id with a typo in it is still someone's national id, not a phone."""
    formats = sorted(numbers.national_id_format_spans(folded))
    if not formats:
        return chosen
    labelled: list[tuple[int, int, str]] = []
    index = 0
    for start, end, kind in chosen:
        while index < len(formats) and formats[index][1] <= start:
            index += 1
        if kind == PHONE and index < len(formats) and formats[index][0] <= start and end <= formats[index][1]:
            kind = NATIONAL_ID
        labelled.append((start, end, kind))
    return labelled


def _mask_once(text: str, regions: Sequence[str], found: set[str]) -> str:
    spans = _spans(text, regions)
    if not spans:
        return text
    parts: list[str] = []
    position = 0
    for start, end, kind in spans:
        parts += (text[position:start], PLACEHOLDERS[kind])
        position = end
        found.add(kind)
    parts.append(text[position:])
    return "".join(parts)


def mask(text: str, *, regions: Sequence[str] = DEFAULT_REGIONS) -> Masked:
    """Replace personal data in ``text`` with labels; ``regions`` are the countries to read phone numbers in."""
    found: set[str] = set()
    for _ in range(_MAX_PASSES):
        masked = _mask_once(text, regions, found)
        if masked == text:
            break
        text = masked
    return Masked(
        text=text,
        found=tuple(kind for kind in _KIND_ORDER if kind in found),
        names_someone=names.names_someone(text),
    )


@dataclass(frozen=True, slots=True)
class MaskedTexts:
    """Several texts of one submission masked together, with what was found in any of them."""

    texts: tuple[str, ...]
    found: tuple[str, ...]
    names_someone: bool

    @property
    def note(self) -> str:
        """What to tell the author: what was masked, and a warning if someone seems to be named."""
        return describe(self.found, names_someone=self.names_someone)


def mask_all(texts: Iterable[str], *, regions: Sequence[str] = DEFAULT_REGIONS) -> MaskedTexts:
    """:func:`mask` each text; ``found`` lists the kinds found in any, in the fixed order."""
    results = [mask(text, regions=regions) for text in texts]
    return merge(*(MaskedTexts((r.text,), r.found, r.names_someone) for r in results))


def merge(*parts: MaskedTexts) -> MaskedTexts:
    """The texts of several :class:`MaskedTexts` in order, with what was found in any of them."""
    found = {kind for part in parts for kind in part.found}
    return MaskedTexts(
        texts=tuple(text for part in parts for text in part.texts),
        found=tuple(kind for kind in _KIND_ORDER if kind in found),
        names_someone=any(part.names_someone for part in parts),
    )


def _with_article(kind: str) -> str:
    return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"


def describe(found: Sequence[str], *, names_someone: bool = False) -> str:
    """A friendly sentence telling the author what was masked (empty when nothing was), and the
    warning when the text seems to name someone."""
    kinds = [_with_article(kind) for kind in dict.fromkeys(found) if kind]
    sentences: list[str] = []
    if kinds:
        listed = kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} and {kinds[-1]}"
        sentences.append(f"I masked {listed} before saving.")
    if names_someone:
        sentences.append(NAMED_SOMEONE)
    return " ".join(sentences)
