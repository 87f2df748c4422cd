"""The Home tab shown again with a notice, from the view Slack sends with a press."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.slack.home import NOTICE_BLOCK, VIEW_BLOCKS, HomeContent, home_view, notice_only, with_notice
from bot.replies import Card, Reply


def notices(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [block for block in view["blocks"] if block.get("block_id") == NOTICE_BLOCK]


def test_the_notice_takes_the_place_of_the_one_shown_and_the_rest_stays() -> None:
    shown = home_view(HomeContent(mine=[Reply(card=Card(title="Lost parcel"))], notice="Approved #3."))
    again = with_notice(shown, "Busy, try again.")
    assert again is not None
    [notice] = notices(again)
    assert notice["text"]["text"] == "Busy, try again."
    assert [b for b in again["blocks"] if b is not notice] == [b for b in shown["blocks"] if b not in notices(shown)]
    assert again["type"] == "home" and set(again) == {"type", "callback_id", "blocks"}  # what views.publish takes


def test_without_a_notice_it_goes_above_the_first_divider_under_the_buttons() -> None:
    shown = home_view(HomeContent())
    again = with_notice(shown, "Busy.")
    assert again is not None
    at = again["blocks"].index(notices(again)[0])
    assert again["blocks"][at - 1]["type"] == "actions" and again["blocks"][at + 1]["type"] == "divider"


@given(st.lists(st.sampled_from(["section", "divider", "actions", "context"]), min_size=1, max_size=120))
def test_a_full_tab_stays_within_the_block_limit_with_one_notice(kinds: list[str]) -> None:
    shown = {"type": "home", "blocks": [{"type": kind} for kind in kinds]}
    again = with_notice(shown, "Busy.")
    assert again is not None
    assert len(again["blocks"]) <= VIEW_BLOCKS and len(notices(again)) == 1


def test_a_press_without_blocks_to_show_again_gets_none() -> None:
    assert with_notice({"type": "home"}, "Busy.") is None
    assert with_notice({"type": "home", "blocks": []}, "Busy.") is None
    assert with_notice({"type": "home", "blocks": ["not a block"]}, "Busy.") is None


def test_a_notice_without_its_block_id_from_an_older_tab_is_replaced_too() -> None:
    """Tabs published before the notice had its block id carry it as a plain section (Slack gives it an id of
    its own) between the buttons and the first divider; the busy notice takes its place, not a place beside it."""
    shown = home_view(HomeContent(mine=[Reply(card=Card(title="Lost parcel"))], notice="Approved #3."))
    for block in shown["blocks"]:
        if block.get("block_id") == NOTICE_BLOCK:
            block["block_id"] = "Xy1z"  # as Slack names a block that came without an id
    again = with_notice(shown, "Busy, try again.")
    assert again is not None
    assert "Approved #3." not in str(again["blocks"])
    [notice] = notices(again)
    assert again["blocks"][again["blocks"].index(notice) + 1]["type"] == "divider"
    below = again["blocks"][again["blocks"].index(notice) + 1 :]
    assert below == shown["blocks"][[b.get("type") for b in shown["blocks"]].index("divider") :], "the rest kept"


def test_a_tab_for_a_first_visit_has_the_top_of_every_tab_and_the_notice() -> None:
    first = notice_only("Busy, try again.")
    full = home_view(HomeContent())
    top = full["blocks"][: [block["type"] for block in full["blocks"]].index("divider")]
    [notice] = notices(first)
    assert first["blocks"] == [*top, notice] and notice["text"]["text"] == "Busy, try again."
    assert first["type"] == "home" and first["callback_id"] == full["callback_id"]
