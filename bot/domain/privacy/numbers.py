"""Finding payment card numbers, IBANs and national id numbers by their shape and their check digits.

Every finder takes folded text (see :mod:`bot.domain.privacy.folding`) and yields ``(start, end)``
spans. A shape alone is never enough: each candidate must pass its check digits, through
``python-stdnum`` where it knows the number, so order numbers, dates and ticket ids that merely
look alike stay as written.

Every pattern here repeats only a bounded number of times and starts only where a word or number
starts, so the work per starting point is bounded and the whole scan is linear in the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from stdnum import iban, luhn
from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.iso7064 import mod_97_10
from stdnum.it import codicefiscale

Spans = Iterator[tuple[int, int]]

# --- payment cards ----------------------------------------------------------------------------

# A run of digit groups joined by single spaces, dashes or dots; not glued to a word, a '+' or an '@'.
_DIGIT_RUN = re.compile(r"(?<![\w+@])[0-9]{1,19}+(?:[ .-][0-9]{1,19}+){0,24}+")
_GROUP = re.compile(r"[0-9]{1,19}")
# What may not follow a card: a word character, an '@' or a decimal continuation.
_CARD_TAIL_BLOCK = re.compile(r"[\w@]|[.,][0-9]")
# How card numbers are printed when grouped: fours (the last group shorter), or 4-6-5 / 4-6-4.
_SPLIT_LAYOUTS = ((4, 6, 5), (4, 6, 4))


def _card_layout(lengths: list[int], separators: set[str]) -> bool:
    if len(lengths) == 1:
        return True
    if len(separators) != 1:  # "2026-11-23 2026-11-24" mixes two: dates, not a card
        return False
    if tuple(lengths) in _SPLIT_LAYOUTS:
        return True
    return all(n == 4 for n in lengths[:-1]) and 1 <= lengths[-1] <= 4


def _may_continue(text: str, groups: list[tuple[int, int]], first: int, last: int) -> bool:
    """Whether groups ``first``..``last`` can still be the start of a grouped card number."""
    before = groups[last - 1]
    return (
        groups[first][1] - groups[first][0] == 4
        and before[1] - before[0] in (4, 6)
        and text[before[1]] == text[groups[first][1]]
    )


def card_spans(text: str) -> Spans:
    """Luhn-valid numbers of 13-19 digits, written in one piece or in a card's usual groups."""
    for run in _DIGIT_RUN.finditer(text):
        groups = [(run.start() + g.start(), run.start() + g.end()) for g in _GROUP.finditer(run.group())]
        tail_ok = _CARD_TAIL_BLOCK.match(text, run.end()) is None
        i = 0
        while i < len(groups):
            best: int | None = None
            digits = ""
            for j in range(i, len(groups)):
                digits += text[groups[j][0] : groups[j][1]]
                if len(digits) > 19 or (j == len(groups) - 1 and not tail_ok):
                    break
                if j > i and not _may_continue(text, groups, i, j):
                    break
                lengths = [end - start for start, end in groups[i : j + 1]]
                separators = {text[groups[k][1]] for k in range(i, j)}
                if len(digits) >= 13 and _card_layout(lengths, separators) and luhn.is_valid(digits):
                    best = j
            if best is None:
                i += 1
                continue
            yield groups[i][0], groups[best][1]
            i = best + 1


# --- IBANs ------------------------------------------------------------------------------------

# Where an IBAN may start: a word starting with a country code and two check digits.
_IBAN_START = re.compile(r"(?<!\w)(?=[A-Za-z]{2}[0-9]{2})")
_IBAN_MIN, _IBAN_MAX = 15, 34  # the shortest (Norway) and longest lengths ISO 13616 allows


def _alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def iban_spans(text: str) -> Spans:
    """IBANs, in one piece or in groups split by single spaces, that pass their mod-97 check."""
    size = len(text)
    for start in (m.start() for m in _IBAN_START.finditer(text)):
        ends: list[int] = []  # the end index of each letter or digit taken
        position = start
        while position < size and len(ends) < _IBAN_MAX:
            if _alnum(text[position]):
                position += 1
                ends.append(position)
            elif text[position] == " " and position + 1 < size and _alnum(text[position + 1]):
                position += 1
            else:
                break
        compact = "".join(text[end - 1] for end in ends)
        # The longest prefix that ends where a group ends and is a valid IBAN.
        for length in range(len(ends), _IBAN_MIN - 1, -1):
            end = ends[length - 1]
            if end < size and _alnum(text[end]):
                continue
            candidate = compact[:length]
            # The mod-97 check first: it is cheap and rules out nearly all candidates.
            if mod_97_10.is_valid(candidate[4:] + candidate[:4]) and iban.is_valid(candidate):
                yield start, end
                break


# --- national id numbers ----------------------------------------------------------------------

# Not part of a longer number, word, amount or path on either side.
_BEFORE = r"(?<![\w.,/+-])"
_AFTER = r"(?![\w]|[.,/-][0-9])"

# UK National Insurance number prefixes that HMRC never allocates (besides the letters below).
_NINO_UNUSED_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def _national_insurance_ok(number: str) -> bool:
    """The UK NI number's allocation rules: D, F, I, Q, U and V are never used, nor O second."""
    first, second = number[0], number[1]
    return (
        first not in "DFIQUV"
        and second not in "DFIQUVO"
        and number[:2] not in _NINO_UNUSED_PREFIXES
        and number[-1] in "ABCD"
    )


def _ssn_ok(number: str) -> bool:
    """An SSN's structure: no area 000, 666 or 9xx, no group 00, no serial 0000 (never issued).

    stdnum also refuses numbers on its block list, but those are real numbers made public (078-05-1120 from
    a wallet insert, the ones printed in advertising): written as an SSN, they are still one.
    """
    area, group, serial = number[:3], number[3:5], number[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def _spanish_ok(number: str) -> bool:
    return nie.is_valid(number) if number[0] in "XYZ" else dni.is_valid(number)


# (pattern, check) pairs; the check gets the match with spaces and dashes removed, upper-cased.
_NATIONAL_IDS: tuple[tuple[re.Pattern[str], Callable[[str], bool]], ...] = (
    # US Social Security number, always written 123-45-6789 (or with spaces).
    (re.compile(_BEFORE + r"[0-9]{3}([ -])[0-9]{2}\1[0-9]{4}" + _AFTER), _ssn_ok),
    # UK National Insurance number: QQ 12 34 56 C.
    (
        re.compile(r"(?<!\w)[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D](?!\w)", re.IGNORECASE),
        _national_insurance_ok,
    ),
    # German tax id (Steuer-IdNr): 11 digits, printed as 12 345 678 901.
    (re.compile(_BEFORE + r"[1-9][0-9](?: ?[0-9]{3}){3}" + _AFTER), idnr.is_valid),
    # French social security number (NIR): 1 84 12 76 451 089 46.
    (
        re.compile(_BEFORE + r"[12] ?[0-9]{2} ?[0-9]{2} ?(?:[0-9]{2}|2[AB]) ?[0-9]{3} ?[0-9]{3} ?[0-9]{2}" + _AFTER),
        nir.is_valid,
    ),
    # Spanish DNI (12345678Z) and NIE (X1234567L).
    (re.compile(r"(?<![\w-])(?:[XYZ]-?[0-9]{7}|[0-9]{8})-?[A-Z](?![\w-])", re.IGNORECASE), _spanish_ok),
    # Italian codice fiscale: RSSMRA85T10A562S (digits may be replaced by letters in case of clashes).
    (
        re.compile(
            r"(?<!\w)[A-Z]{6}[0-9LMNP-V]{2}[A-EHLMPR-T][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z](?!\w)", re.IGNORECASE
        ),
        codicefiscale.is_valid,
    ),
)

_COMPACT = re.compile(r"[ -]")

# National ids as they are usually printed, in groups: a number written like this is one even when its check
# digits fail (a typo, a made-up example), so where it is masked anyway (it also reads as a phone number)
# it is labelled a national id. Written in one piece, a number is as likely a phone or an order number.
_GROUPED_NATIONAL_IDS = (
    _NATIONAL_IDS[0][0],  # the SSN is always grouped
    re.compile(_BEFORE + r"[1-9][0-9](?: [0-9]{3}){3}" + _AFTER),  # Steuer-IdNr: 12 345 678 901
    re.compile(_BEFORE + r"[12] [0-9]{2} [0-9]{2} (?:[0-9]{2}|2[AB]) [0-9]{3} [0-9]{3} [0-9]{2}" + _AFTER),  # NIR
)


def national_id_spans(text: str) -> Spans:
    """National id numbers of the US, UK, Germany, France, Spain and Italy that pass their checks."""
    for pattern, check in _NATIONAL_IDS:
        for match in pattern.finditer(text):
            if check(_COMPACT.sub("", match.group()).upper()):
                yield match.span()


def national_id_format_spans(text: str) -> Spans:
    """Numbers written in a national id's usual grouped format, whether or not their check digits pass."""
    for pattern in _GROUPED_NATIONAL_IDS:
        for match in pattern.finditer(text):
            yield match.span()
