"""What `mine` says of each item: true in every state, and "not featured yet" only where the rotation may
still pick it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cards import ItemStanding, MomentView, moment_line, standing_notes

STATES = ("pending", "approved", "rejected", "withdrawn", "hidden")
KINDS = ("story", "shoutout", "exercise")
ON_AGENDA = "on the agenda for Mon 7 Dec 10:00 CET"
FEATURED = "featured on Mon 30 Nov 10:00 CET"


def notes(state: str, kind: str = "story", **standing: Any) -> list[str]:
    return standing_notes(MomentView(id=44, kind=kind, state=state), ItemStanding(**standing))


@given(
    state=st.sampled_from(STATES),
    kind=st.sampled_from(KINDS),
    private=st.booleans(),
    you_hid=st.booleans(),
    held_back=st.booleans(),
    you_opted_out=st.booleans(),
    featured=st.sampled_from([(), (ON_AGENDA,), (FEATURED,), (FEATURED, ON_AGENDA)]),
)
def test_only_an_item_the_rotation_may_pick_is_not_featured_yet(
    state: str,
    kind: str,
    private: bool,
    you_hid: bool,
    held_back: bool,
    you_opted_out: bool,
    featured: tuple[str, ...],
) -> None:
    said = notes(
        state,
        kind,
        private=private,
        you_hid=you_hid,
        held_back=held_back or you_opted_out,  # opting out holds back everything about you
        you_opted_out=you_opted_out,
        featured=featured,
    )
    may_be_picked = state == "approved" and not (private or you_hid or held_back or you_opted_out)
    assert ("not featured yet" in said) == (may_be_picked and not featured)
    assert [n for n in said if n.startswith(("featured on", "on the agenda for"))] == list(featured)
    if state != "pending":
        assert not [n for n in said if "approves it" in n]


@pytest.mark.parametrize(
    ("kind", "private", "next_step"),
    [
        ("story", False, "in the pool once a manager approves it"),
        ("shoutout", False, "shared once a manager approves it"),
        ("shoutout", True, "sent once a manager approves it"),
    ],
)
def test_an_item_waiting_for_review_says_what_approval_does(kind: str, private: bool, next_step: str) -> None:
    said = notes("pending", kind, private=private)
    assert next_step in said and "not featured yet" not in said


def test_a_sent_back_item_gives_the_reason_and_the_way_to_try_again() -> None:
    line = moment_line(
        MomentView(id=44, kind="story", state="rejected", situation="The router kept dropping"),
        notes=notes("rejected", decision_note="Please leave out the customer's name"),
    )
    assert line == (
        "#44 · Customer story · sent back · The router kept dropping · reason: Please leave out the customer's name"
        " · `edit 44` to change it and send it for review again"
    )
    assert notes("rejected") == ["`edit 44` to change it and send it for review again"]  # no reason recorded
    long = notes("rejected", decision_note="x" * 500)[0]
    assert long.startswith("reason: x") and long.endswith("…") and len(long) < 140


@pytest.mark.parametrize("state", ["withdrawn", "hidden"])
def test_a_withdrawn_or_hidden_item_promises_nothing(state: str) -> None:
    assert notes(state) == []
    assert notes(state, featured=(FEATURED,)) == [FEATURED]  # what happened before stays true


def test_an_item_held_back_by_an_opt_out_says_whose() -> None:
    assert notes("approved", held_back=True, you_opted_out=True) == ["can't be featured while you are opted out"]
    # someone else's choice: not named
    assert notes("approved", kind="shoutout", held_back=True) == ["can't be featured for now"]
    assert notes("approved", held_back=True, featured=(FEATURED,)) == [FEATURED, "can't be featured for now"]


def test_a_shoutout_you_hid_says_so_whatever_became_of_it() -> None:
    assert notes("approved", kind="shoutout", you_hid=True) == ["hidden by you"]
    assert notes("hidden", kind="shoutout", you_hid=True) == ["hidden by you"]


def test_an_item_on_an_agenda_or_featured_says_when() -> None:
    assert notes("approved", anonymous=True, featured=(ON_AGENDA,)) == ["anonymous", ON_AGENDA]
    assert notes("approved", featured=(FEATURED,)) == [FEATURED]
    assert notes("approved", anonymous=True) == ["anonymous", "not featured yet"]
