"""A number written in a national id's usual format is labelled a national id, also where its check digits
or python-stdnum's block list refuse it; ordinary phone numbers keep their own label."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.privacy import NATIONAL_ID, PHONE, describe, mask, regions_for


def _digits(count: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=count, max_size=count)


@st.composite
def _ssns(draw: st.DrawFn) -> str:
    """Any number an SSN can be (no area 000, 666 or 9xx, no group 00, no serial 0000), as it is written."""
    area = draw(_digits(3).filter(lambda a: a not in ("000", "666") and a[0] != "9"))
    group = draw(_digits(2).filter(lambda g: g != "00"))
    serial = draw(_digits(4).filter(lambda s: s != "0000"))
    separator = draw(st.sampled_from("- "))
    return separator.join((area, group, serial))


@pytest.mark.parametrize("number", ["078-05-1120", "219-09-9999", "457-55-5462", "078 05 1120"])
def test_ssns_on_the_block_list_are_national_ids(number: str) -> None:
    result = mask(f"SSN {number} on file")
    assert result.text == "SSN [national id] on file"
    assert result.found == (NATIONAL_ID,)
    assert "national id" in describe(result.found) and "phone" not in describe(result.found)


@settings(max_examples=300)
@given(_ssns(), st.sampled_from(["Europe/Berlin", "America/New_York", "Europe/London", "Europe/Paris", None]))
def test_every_number_written_as_an_ssn_is_masked_as_a_national_id(number: str, zone: str | None) -> None:
    result = mask(f"SSN {number} on file", regions=regions_for(zone))
    assert result.text == "SSN [national id] on file"
    assert result.found == (NATIONAL_ID,)


@settings(max_examples=200)
@given(st.sampled_from("123456789"), _digits(10))
def test_a_german_tax_id_in_its_groups_is_never_called_a_phone_number(first: str, rest: str) -> None:
    grouped = f"{first}{rest[0]} {rest[1:4]} {rest[4:7]} {rest[7:10]}"
    result = mask(f"Steuer-ID {grouped}", regions=regions_for("Europe/Berlin"))
    assert PHONE not in result.found
    if result.found:
        assert result.text == "Steuer-ID [national id]"


@st.composite
def _us_phones(draw: st.DrawFn) -> str:
    area = draw(st.sampled_from("23456789")) + draw(st.sampled_from("012345678")) + draw(_digits(1))
    exchange = draw(st.sampled_from("23456789")) + draw(_digits(2))
    line = draw(_digits(4))
    layout = draw(st.sampled_from(["{a}-{e}-{l}", "({a}) {e}-{l}", "+1 {a} {e} {l}", "{a}.{e}.{l}", "+1-{a}-{e}-{l}"]))
    return layout.format(a=area, e=exchange, l=line)


@st.composite
def _european_phones(draw: st.DrawFn) -> str:
    return draw(
        st.one_of(
            st.builds(lambda d: f"+44 20 {d[:4]} {d[4:]}", _digits(8)),  # London
            st.builds(lambda d: f"020 {d[:4]} {d[4:]}", _digits(8)),
            st.builds(lambda d: f"+49 30 {d}", _digits(8)),  # Berlin
            st.builds(lambda d: f"030 {d[:3]} {d[3:]}", _digits(7)),
            st.builds(lambda d: f"01 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}", _digits(8)),  # Paris
            st.builds(lambda d: f"+33 6 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}", _digits(8)),
        )
    )


@settings(max_examples=300)
@given(st.one_of(_us_phones(), _european_phones()))
def test_ordinary_phone_numbers_are_not_labelled_national_ids(number: str) -> None:
    result = mask(f"call me on {number} today")
    assert NATIONAL_ID not in result.found
