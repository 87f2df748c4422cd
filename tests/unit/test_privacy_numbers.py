"""Masking of card numbers in every spelling, IBANs and national id numbers, and what must stay as written."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import iban, luhn
from stdnum.de import idnr
from stdnum.iso7064 import mod_11_10

from bot.domain.privacy import CARD, IBAN, NATIONAL_ID, PHONE, Masked, mask

# --- cards in other spellings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Card 4111.1111.1111.1111 was charged", "Card [card] was charged"),
        ("Card 4111.1111.1111.1111.", "Card [card]."),
        ("４１１１ １１１１ １１１１ １１１１", "[card]"),
        ("card ４１１１１１１１１１１１１１１１ twice", "card [card] twice"),
        ("card ４１１１－１１１１－１１１１－１１１１", "card [card]"),
        ("card 4111\u00a01111\u00a01111\u00a01111", "card [card]"),
        (
            "card \u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661",
            "card [card]",
        ),
        ("Amex 3782.822463.10005", "Amex [card]"),
    ],
)
def test_masks_cards_split_by_dots_or_written_in_other_digits(text: str, expected: str) -> None:
    result = mask(text)
    assert result.text == expected
    assert result.found == (CARD,)


@pytest.mark.parametrize(
    "text",
    [
        "Dates 2026-11-23 2026-11-24 and 23.11.2026 01.02.2026",  # 16 digits, but dates
        "4111.1111-1111 1111",  # mixed separators: not how a card is printed
        "Version 4.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1",
        "Ticket 4111111111111112",  # fails the Luhn check
        "IP 41.111.111.111 and 4111.11.11.111111",
    ],
)
def test_card_like_numbers_that_are_not_cards(text: str) -> None:
    assert CARD not in mask(text).found


# --- IBANs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Refund to DE89 3704 0044 0532 0130 00 please", "Refund to [IBAN] please"),
        ("IBAN: DE89370400440532013000.", "IBAN: [IBAN]."),
        ("GB82 WEST 1234 5698 7654 32", "[IBAN]"),
        ("gb82west12345698765432", "[IBAN]"),
        ("FR14 2004 1010 0505 0001 3M02 606 for the refund", "[IBAN] for the refund"),
        ("NL91ABNA0417164300", "[IBAN]"),
        ("(CH93 0076 2011 6238 5295 7)", "([IBAN])"),
        ("ref AB12 DE89 3704 0044 0532 0130 00", "ref AB12 [IBAN]"),
        ("ＤＥ８９ ３７０４ ００４４ ０５３２ ０１３０ ００", "[IBAN]"),
        ("DE89 3704 0044 0532 0130 00 EUR 12", "[IBAN] EUR 12"),
    ],
)
def test_masks_ibans(text: str, expected: str) -> None:
    result = mask(text)
    assert result.text == expected
    assert result.found == (IBAN,)


@pytest.mark.parametrize(
    "text",
    [
        "DE89 3704 0044 0532 0130 01",  # wrong check digits
        "DE89370400440532013000EUR",  # glued to a word
        "XX89 3704 0044 0532 0130 00",  # no such country
        "AB12 order number",
        "ISO 1234 and EN 4567",
    ],
)
def test_iban_like_text_that_is_not_an_iban(text: str) -> None:
    assert IBAN not in mask(text).found


@st.composite
def _ibans(draw: st.DrawFn) -> str:
    bank = draw(st.text(alphabet=string.digits, min_size=18, max_size=18))
    return iban.calc_check_digits("DE00" + bank).join(("DE", bank))


@settings(max_examples=200)
@given(_ibans(), st.booleans())
def test_any_valid_german_iban_is_masked(number: str, grouped: bool) -> None:
    assert iban.is_valid(number)
    written = iban.format(number) if grouped else number
    assert mask(f"pay to {written} today").text == "pay to [IBAN] today"


# --- national id numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SSN 536-90-4399 on file", "SSN [national id] on file"),
        ("SSN 536 90 4399", "SSN [national id]"),
        ("NI number AB 12 34 56 C", "NI number [national id]"),
        ("NINO ab123456c.", "NINO [national id]."),
        ("Steuer-ID 36 574 261 809", "Steuer-ID [national id]"),
        ("Steuer-IdNr. 36574261809", "Steuer-IdNr. [national id]"),
        ("NIR 2 95 10 99 126 111 93", "NIR [national id]"),
        ("NIR 295109912611193", "NIR [national id]"),
        ("DNI 12345678Z", "DNI [national id]"),
        ("DNI 12345678-Z", "DNI [national id]"),
        ("NIE X1234567L", "NIE [national id]"),
        ("codice fiscale RCCMNL83S18D969H", "codice fiscale [national id]"),
    ],
)
def test_masks_national_id_numbers(text: str, expected: str) -> None:
    result = mask(text)
    assert result.text == expected
    assert result.found == (NATIONAL_ID,)


def test_an_ssn_is_a_national_id_not_a_phone_number() -> None:
    assert mask("123-45-6789").found == (NATIONAL_ID,)


@pytest.mark.parametrize(
    "text",
    [
        "SSN 000-12-3456 is never issued",
        "SSN 666-12-3456 is never issued",
        "NI QQ 12 34 56 C is the sample",  # Q is never a first letter
        "NI AB 12 34 56 E",  # the last letter is A-D
        "Steuer-ID 12345678901 fails its check",
        "Order 01234567890",
        "DNI 12345678A fails its letter",
        "Ticket INC0012345 and RITM0012345",
        "SKU ABCDEF12G34H567I",
        "Invoice 2026-11-2345",
    ],
)
def test_id_like_text_that_is_not_a_national_id(text: str) -> None:
    assert NATIONAL_ID not in mask(text).found


@st.composite
def _tax_ids(draw: st.DrawFn) -> str:
    first = draw(st.sampled_from("123456789"))
    # Ten digits with exactly one digit twice, as the German tax id requires.
    rest = draw(st.permutations([d for d in "0123456789" if d != first]))
    body = first + "".join(rest[:8])
    body += body[draw(st.integers(min_value=0, max_value=8))]
    return body + mod_11_10.calc_check_digit(body)


@settings(max_examples=200)
@given(_tax_ids())
def test_valid_german_tax_ids_are_masked(number: str) -> None:
    assert idnr.is_valid(number)
    assert mask(f"IdNr {number}").text == "IdNr [national id]"


# --- which kind wins ---------------------------------------------------------------------------


def test_every_kind_in_one_text_is_labelled_by_what_it_is() -> None:
    result = mask(
        "Jane (jane(at)example.com, 020 7946 0958) paid from GB82 WEST 1234 5698 7654 32 "
        "with 4111.1111.1111.1111; NI AB 12 34 56 C."
    )
    assert result.text == "Jane ([e-mail], [phone]) paid from [IBAN] with [card]; NI [national id]."
    assert set(result.found) == {"e-mail address", PHONE, CARD, IBAN, NATIONAL_ID}


@settings(max_examples=200)
@given(st.text(alphabet=string.digits, min_size=12, max_size=18), st.sampled_from([" ", "-", "."]))
def test_luhn_valid_grouped_numbers_are_cards(body: str, separator: str) -> None:
    number = body + luhn.calc_check_digit(body)
    grouped = separator.join(number[i : i + 4] for i in range(0, len(number), 4))
    result = mask(f"card {grouped} used")
    assert result == Masked(text="card [card] used", found=(CARD,))
