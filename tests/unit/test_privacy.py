"""Masking of e-mail addresses, payment card numbers and phone numbers in story text; the name warning."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.privacy import CARD, EMAIL, IBAN, NAMED_SOMEONE, NATIONAL_ID, PHONE, Masked, describe, mask, mask_all


def _luhn_check_digit(body: str) -> str:
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def _luhn_valid(number: str) -> bool:
    return _luhn_check_digit(number[:-1]) == number[-1]


# --- cards ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Card 4111111111111111 was charged twice.", "Card [card] was charged twice."),
        ("Card 4111 1111 1111 1111 was charged twice.", "Card [card] was charged twice."),
        ("Card 4111-1111-1111-1111 was charged twice.", "Card [card] was charged twice."),
        ("Amex 3782 822463 10005 declined", "Amex [card] declined"),
        ("visa 4222222222222 (13 digits)", "visa [card] (13 digits)"),
        ("19 digits: 6304000000000000000.", "19 digits: [card]."),
        ("(5555 5555 5555 4444)", "([card])"),
        ("ref 12 4111 1111 1111 1111", "ref 12 [card]"),
        ("4111111111111111", "[card]"),
        ("cards 4111111111111111 and 5500 0000 0000 0004", "cards [card] and [card]"),
    ],
)
def test_masks_luhn_valid_card_numbers(text: str, expected: str) -> None:
    result = mask(text)
    assert result.text == expected
    assert result.found == (CARD,)


@pytest.mark.parametrize(
    "text",
    [
        "Number 4111 1111 1111 1112 fails the check.",
        "4111-1111-1111-1112",
        "ticket 1234567890123456789012 is long",
        "twenty digits 1234 5678 9012 3456 7890 are neither",
    ],
)
def test_digit_runs_that_fail_luhn_are_not_cards(text: str) -> None:
    assert mask(text) == Masked(text=text, found=())


def test_luhn_failing_run_that_looks_like_a_phone_is_masked_as_phone() -> None:
    assert not _luhn_valid("00442079460958")
    result = mask("Ring 0044 20 7946 0958 after lunch")
    assert result.text == "Ring [phone] after lunch"
    assert result.found == (PHONE,)


def test_card_glued_to_letters_is_left_alone() -> None:
    # Not a free-standing number: part of some identifier.
    assert mask("sku4111111111111111x").text == "sku4111111111111111x"


# --- e-mail addresses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Write to jane.doe@example.com today", "Write to [e-mail] today"),
        ("jane.doe+orders@mail.example.co.uk", "[e-mail]"),
        ("<bob_smith@corp-mail.io>", "<[e-mail]>"),
        ("(BOB@EXAMPLE.ORG).", "([e-mail])."),
        ("mailto:ann@example.com,", "mailto:[e-mail],"),
        ("a@b.cd and c.d@e.fg", "[e-mail] and [e-mail]"),
        ("client 4111111111111111@x.com wrote", "client [e-mail] wrote"),
        ("user1990@example.com", "[e-mail]"),
        ("josé@correo.es", "[e-mail]"),
    ],
)
def test_masks_email_addresses(text: str, expected: str) -> None:
    result = mask(text)
    assert result.text == expected
    assert result.found == (EMAIL,)


@pytest.mark.parametrize(
    "text",
    [
        "Meet me @ the desk",
        "ping @jane in the channel",
        "user@localhost is not an address",
        "an @ sign alone",
        "foo@bar",
    ],
)
def test_things_that_are_not_email_addresses(text: str) -> None:
    assert mask(text) == Masked(text=text, found=())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to jane dot doe at example dot com", "write to [e-mail]"),
        ("name at example dot com", "[e-mail]"),
        ("jane AT example DOT co DOT uk today", "[e-mail] today"),
        ("jane(at)example.com", "[e-mail]"),
        ("jane (at) example (dot) org.", "[e-mail]."),
        ("jane [at] example [dot] com", "[e-mail]"),
        ("jane{at}example{dot}de", "[e-mail]"),
        ("jane.doe<at>example.com", "[e-mail]"),
        ("jane[@]example.com", "[e-mail]"),
        ("jane@example dot com", "[e-mail]"),
        ("m.mueller (at) firma (punkt) de", "[e-mail]"),
        ("ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "[e-mail]"),
    ],
)
def test_masks_spelled_out_email_addresses(text: str, expected: str) -> None:
    result = mask(text)
    assert result.text == expected
    assert result.found == (EMAIL,)


@pytest.mark.parametrize(
    "text",
    [
        "look at example.com for the docs",
        "we met at noon dot Then we left",
        "arrived at the office dot com bubble",
        "she was at home dot later",
        "the price (at) least doubled",
        "ping @jane in the channel",
        "meet at 10 dot 30",
    ],
)
def test_sentences_with_at_and_dot_are_not_addresses(text: str) -> None:
    assert mask(text) == Masked(text=text, found=())


_NAME_PARTS = st.text(alphabet=string.ascii_lowercase, min_size=2, max_size=12).filter(
    lambda word: word not in ("at", "dot", "punkt", "point")
)
_SPELLED_AT = st.sampled_from(["(at)", " (at) ", "[at]", " [at] ", "{at}", " AT ", " at ", "@"])
_SPELLED_DOT = st.sampled_from(["(dot)", " (dot) ", " [dot] ", " dot ", " DOT "])


@settings(max_examples=300)
@given(_NAME_PARTS, _NAME_PARTS, _NAME_PARTS, _SPELLED_AT, _SPELLED_DOT, st.sampled_from(["com", "de", "org", "co"]))
def test_any_spelled_out_address_is_masked(name: str, surname: str, domain: str, at: str, dot: str, tld: str) -> None:
    address = f"{name}{dot}{surname}{at}{domain}{dot}{tld}"
    result = mask(f"Write to {address} today")
    assert result.text == "Write to [e-mail] today"
    assert result.found == (EMAIL,)


# --- phone numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call +1 415 555 2671 now", "Call [phone] now"),
        ("Call +14155552671.", "Call [phone]."),
        ("+1-415-555-2671", "[phone]"),
        ("+44 20 7946 0958", "[phone]"),
        ("+49 (0)30 1234567", "[phone]"),
        ("+33 6 12 34 56 78", "[phone]"),
        ("(415) 555-2671", "[phone]"),
        ("(415)555-2671", "[phone]"),
        ("415.555.2671", "[phone]"),
        ("415-555-2671", "[phone]"),
        ("1-800-555-0199", "[phone]"),
        ("020 7946 0958", "[phone]"),
        ("06 12 34 56 78", "[phone]"),
        ("Tel:415-555-2671", "Tel:[phone]"),
        # The library reads the extension as part of the number.
        ("Tel. 415 555 2671, ext. 12", "Tel. [phone]"),
        ("she said (call 020 7946 0958)", "she said (call [phone])"),
        ("Berlin office 030/1234567.", "Berlin office [phone]."),
        ("Handy 0151/12345678 oder 030 1234567", "Handy [phone] oder [phone]"),
        ("ruf ０３０/１２３４５６７ an", "ruf [phone] an"),
        ("+49 151 12345678", "[phone]"),
    ],
)
def test_masks_phone_numbers(text: str, expected: str) -> None:
    result = mask(text)
    assert result.text == expected
    assert result.found == (PHONE,)


@pytest.mark.parametrize(
    "text",
    [
        "The meeting is on 2026-11-23.",
        "Due 23.11.2026 or 11/23/2026",
        "Stamp 2026-11-23T10:30:00Z",
        "Starts at 10:30 sharp",
        "Between 09:00 and 17:30",
        "The order came to $1,250.00 in total",
        "Refund of €1 250 and £99.99",
        "1,000,000 customers",
        "1 250 000 users and 12.345.678 views",
        "Ticket #12345 and #1234567890 reopened",
        "Upgraded to 4.17.1 and 10.15.7",
        "Server 192.168.100.200 was down",
        "Scores 9 10 8 7 9 10 6 this week",
        "From 2024 2025 2026 budgets",
        "We had 42 calls and 7 escalations",
        "Order 1234567 shipped",
        "Room 101, floor 3",
        "Growth of 12.5% to 1234567%",
        "Part no. ABC-1234567",
        "id=5551234567",
        "2 out of 10",
        "Ticket INC0012345 and RITM0012345 closed",
        "PR #1234567890 merged",
        "Order 12345678 and order 4711-0815",
        "build 20261123.4 and v1.2.3",
        "From 12:30-13:45 on 23.11.2026",
        "Total € 1.234.567,89",
        "Call 555-1234 (a made-up number)",
        "(555) 123-4567 is not a real area code",
        "Request SR-2026-001234 and REQ/030-1234567 and ref=4155552671",
        "Files 2026-11-23_4155552671.pdf",
    ],
)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert mask(text) == Masked(text=text, found=())


def test_everything_together_in_a_story() -> None:
    story = (
        "On 2026-11-23 at 10:30 Ms Jones (jones@example.com, +44 20 7946 0958) said card "
        "4111 1111 1111 1111 was charged $1,250.00 twice for ticket #12345."
    )
    result = mask(story)
    assert result.text == (
        "On 2026-11-23 at 10:30 Ms Jones ([e-mail], [phone]) said card "
        "[card] was charged $1,250.00 twice for ticket #12345."
    )
    assert result.found == (EMAIL, PHONE, CARD)


def test_found_is_deduplicated_in_a_fixed_order() -> None:
    result = mask("4111111111111111, 415-555-2671, a@b.co, 020 7946 0958, 5500 0000 0000 0004")
    assert result.found == (EMAIL, PHONE, CARD)
    assert result.text == "[card], [phone], [e-mail], [phone], [card]"


def test_empty_text() -> None:
    assert mask("") == Masked(text="", found=())


def test_masked_is_frozen() -> None:
    result = mask("hello")
    with pytest.raises(AttributeError):
        result.text = "changed"  # type: ignore[misc]


# --- describe ---------------------------------------------------------------------------------


def test_describe_nothing_is_empty() -> None:
    assert describe(()) == ""
    assert describe([]) == ""


def test_describe_one_kind() -> None:
    assert describe((EMAIL,)) == "I masked an e-mail address before saving."
    assert describe((PHONE,)) == "I masked a phone number before saving."
    assert describe((CARD,)) == "I masked a payment card number before saving."


def test_describe_two_and_three_kinds() -> None:
    assert describe((EMAIL, PHONE)) == "I masked an e-mail address and a phone number before saving."
    assert describe((EMAIL, PHONE, CARD)) == (
        "I masked an e-mail address, a phone number and a payment card number before saving."
    )


def test_describe_ignores_duplicates() -> None:
    assert describe([PHONE, PHONE, CARD]) == "I masked a phone number and a payment card number before saving."


def test_describe_matches_mask() -> None:
    assert describe(mask("reach me at a@b.co or 415-555-2671").found) == (
        "I masked an e-mail address and a phone number before saving."
    )
    assert describe(mask("nothing to see").found) == ""


def test_describe_warns_when_someone_is_named() -> None:
    assert describe((), names_someone=True) == NAMED_SOMEONE
    assert describe((PHONE,), names_someone=True) == f"I masked a phone number before saving. {NAMED_SOMEONE}"


def test_describe_new_kinds_with_their_articles() -> None:
    assert describe((IBAN, NATIONAL_ID)) == "I masked an IBAN and a national id number before saving."


# --- naming someone ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Mrs Jones called about her parcel",
        "Mr. Smith was upset",
        "I told Ms O'Brien the news",
        "Dr Patel asked for the invoice",
        "Herr Müller rief zweimal an",
        "Frau Özdemir war zufrieden",
        "Mme Dupont a rappelé",
        "M. Martin attendait",
        "la Sra. García llamó",
        "Sr Lopez wrote back",
        "Prof. Rossi replied",
    ],
)
def test_a_title_and_a_name_is_noticed(text: str) -> None:
    result = mask(text)
    assert result.names_someone
    assert result.text == text  # a warning only: names are not masked


@pytest.mark.parametrize(
    "text",
    [
        "The customer called about her parcel",
        "mrs jones in lower case is left to the author",
        "MS Teams kept crashing",
        "Dr. who? Nobody knew",
        "We talked to Mr. nobody",
        "Firma Frauenhofer",
        "Dear customer, thanks",
    ],
)
def test_text_without_a_titled_name_gives_no_warning(text: str) -> None:
    assert not mask(text).names_someone


def test_mask_all_gathers_what_was_found_in_fixed_order() -> None:
    result = mask_all(["call 020 7946 0958", "Mrs Jones wrote", "a@b.co"], regions=("GB",))
    assert result.texts == ("call [phone]", "Mrs Jones wrote", "[e-mail]")
    assert result.found == (EMAIL, PHONE)
    assert result.names_someone
    assert result.note == f"I masked an e-mail address and a phone number before saving. {NAMED_SOMEONE}"


def test_phone_numbers_are_read_in_the_regions_given() -> None:
    assert mask("ring 030 1234567", regions=("DE",)).text == "ring [phone]"
    assert mask("ring 030 1234567", regions=("US",)).text == "ring 030 1234567"
    # International form is found whatever the region.
    assert mask("ring +49 30 1234567", regions=("US",)).text == "ring [phone]"
    assert mask("ring +49 30 1234567", regions=()).text == "ring [phone]"


# --- properties -------------------------------------------------------------------------------

_NUMBERISH = st.text(alphabet="0123456789 -.+()@:#$,/%abcXYZ_\n", max_size=80)


@settings(max_examples=400)
@given(st.one_of(st.text(max_size=200), _NUMBERISH))
def test_mask_never_raises(text: str) -> None:
    result = mask(text)
    assert isinstance(result.text, str)
    assert set(result.found) <= {EMAIL, PHONE, CARD, IBAN, NATIONAL_ID}
    assert len(result.found) == len(set(result.found))


@settings(max_examples=400)
@given(st.one_of(st.text(max_size=200), _NUMBERISH))
def test_masking_is_idempotent(text: str) -> None:
    once = mask(text)
    assert mask(once.text).text == once.text
    assert mask(once.text).found == ()


@given(st.text(max_size=200).filter(lambda t: "@" not in t and not any(c.isdigit() for c in t)))
def test_text_without_digits_or_at_sign_is_unchanged(text: str) -> None:
    assert mask(text) == Masked(text=text, found=())


_WORDS = st.lists(st.text(alphabet=string.ascii_letters, min_size=1, max_size=10), max_size=6)


@st.composite
def _card_numbers(draw: st.DrawFn) -> str:
    body = draw(st.text(alphabet=string.digits, min_size=15, max_size=15))
    return body + _luhn_check_digit(body)


@settings(max_examples=300)
@given(_WORDS, _card_numbers(), _WORDS, st.sampled_from(["", " ", "-"]))
def test_luhn_valid_card_in_words_is_always_masked(
    before: list[str], number: str, after: list[str], separator: str
) -> None:
    assert _luhn_valid(number)
    formatted = separator.join(number[i : i + 4] for i in range(0, 16, 4))
    text = " ".join([*before, formatted, *after])
    result = mask(text)
    assert "[card]" in result.text
    assert CARD in result.found
    assert not any(char.isdigit() for char in result.text)
    assert result.text == " ".join([*before, "[card]", *after])
