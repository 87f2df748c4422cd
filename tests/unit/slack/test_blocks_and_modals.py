"""Replies → Block Kit and forms → modals, within Slack's limits (slack_sdk's validators run in to_dict)."""

from __future__ import annotations

import json

import pytest

from adapters.slack.blocks import button_blocks, card_blocks, message, metadata, posted_key, reply_blocks
from adapters.slack.home import HomeContent, home_view
from adapters.slack.modals import (
    CHANNEL_BLOCK,
    FormOrigin,
    _kept_view,
    _view,
    decode_origin,
    encode_origin,
    input_errors,
    modal,
)
from bot import forms
from bot.replies import Button, Card, Fact, Form, Reply, Section


def test_a_card_becomes_header_sections_facts_note_and_buttons() -> None:
    card = Card(
        title="Customer Moment · Tue",
        sections=(Section("Lost <parcel>", "What happened"),),
        facts=(Fact("Kind", "Story"),),
        buttons=(Button("Swap", "agenda.swap", "7"), Button("Presented", "agenda.done", "7", "primary")),
        note="Why this one: fresh",
    )
    blocks = [b.to_dict() for b in card_blocks(card)]
    assert [b["type"] for b in blocks] == ["header", "section", "section", "context", "actions"]
    assert blocks[1]["text"] == {"type": "mrkdwn", "text": "*What happened*\nLost &lt;parcel&gt;", "verbatim": True}
    assert blocks[4]["elements"][1]["style"] == "primary"


def test_oversized_parts_are_cut_not_refused() -> None:
    card = Card(
        title="T" * 400,
        sections=tuple(Section("&" * 5000, "H" * 500) for _ in range(60)),
        facts=tuple(Fact(f"F{i}", "v" * 3000) for i in range(25)),
        buttons=tuple(Button("B" * 100, "same.action", str(i), "weird") for i in range(30)),
    )
    payload = message(Reply(text="x" * 5000, card=card))
    assert len(payload["blocks"]) <= 50
    assert len(payload["text"]) <= 300
    json.dumps(payload)


def test_the_same_action_id_never_repeats_in_one_actions_block() -> None:
    blocks = [b.to_dict() for b in button_blocks([Button("A", "x", "1"), Button("B", "x", "2"), Button("C", "y")])]
    assert [[e["action_id"] for e in b["elements"]] for b in blocks] == [["x"], ["x", "y"]]


def test_text_only_reply() -> None:
    assert [b.to_dict()["type"] for b in reply_blocks(Reply(text="Saved"))] == ["section"]


def test_posted_key_reads_back_metadata() -> None:
    assert posted_key({"metadata": metadata("agenda:3")}) == "agenda:3"
    assert posted_key({"metadata": {"event_type": "other", "event_payload": {"key": "agenda:3"}}}) is None
    assert posted_key({}) is None


def test_every_form_renders_as_a_valid_modal() -> None:
    for form in (forms.STORY, forms.SHOUTOUT, forms.EXERCISE, forms.SCHEDULE, forms.reject_form(12)):
        view = modal(form, FormOrigin(form.form_id, form.context, "C1", "support"), zone="Asia/Tokyo")
        assert [b["block_id"] for b in view["blocks"]] == [f.name for f in form.fields]
        assert len(view["private_metadata"]) <= 3000 and len(view["title"]["text"]) <= 24


def test_the_schedule_modal_preselects_a_known_zone() -> None:
    view = modal(forms.SCHEDULE, FormOrigin("schedule", "", "C1"), zone="Asia/Tokyo")
    zone = next(b for b in view["blocks"] if b["block_id"] == "zone")
    assert zone["element"]["initial_option"]["value"] == "Asia/Tokyo"
    assert len(zone["element"]["options"]) <= 100


def test_a_form_opened_again_is_the_same_view_and_a_new_dict() -> None:
    origin = FormOrigin("story", "", "C1", "support")
    first = modal(forms.STORY, origin)
    first["blocks"].clear()
    first["private_metadata"] = "changed by a caller"
    again = modal(forms.STORY, origin)
    assert again == _view(forms.STORY, origin, None) and again["blocks"]
    assert decode_origin(again["private_metadata"]) == origin
    elsewhere = modal(forms.STORY, FormOrigin("story", "", "C2", "sales"))
    assert decode_origin(elsewhere["private_metadata"]) == FormOrigin("story", "", "C2", "sales")
    assert modal(forms.STORY, origin, zone="Asia/Tokyo") == again  # no zone field: the zone changes nothing


@pytest.mark.parametrize("form", [forms.STORY, forms.SHOUTOUT], ids=["story", "shoutout"])
def test_a_blank_form_whose_box_starts_unticked_is_kept(form: Form) -> None:
    origin = FormOrigin(form.form_id, "", "C9", "kept")
    modal(form, origin)
    hits = _kept_view.cache_info().hits
    assert modal(form, origin) == _view(form, origin, None)
    assert _kept_view.cache_info().hits == hits + 1


def test_a_box_is_kept_ticked_or_unticked_only_as_true_or_false() -> None:
    origin = FormOrigin("story", "", "C8", "boxes")

    def ticked(initial: object) -> bool:
        view = modal(forms.prefilled(forms.STORY, {"anonymous": initial}), origin)
        box = next(b for b in view["blocks"] if b["block_id"] == "anonymous")
        return "initial_options" in box["element"]

    assert ticked(True) and not ticked(False)
    kept = _kept_view.cache_info()
    assert not ticked(1) and not ticked(0)  # equal to True and False, but not kept as them
    assert ticked(True) and not ticked(False)
    now = _kept_view.cache_info()
    assert now.currsize == kept.currsize and now.hits == kept.hits + 2


def test_a_form_filled_in_beforehand_is_built_each_time_as_filled() -> None:
    origin = FormOrigin("story", "", "C1", "support")
    blank = modal(forms.STORY, origin)
    kept = _kept_view.cache_info().currsize
    ticked = modal(forms.story_form(7, {"situation": "A parcel went astray", "anonymous": True}), origin)
    unticked = modal(forms.story_form(7, {"situation": "A parcel went astray", "anonymous": 1}), origin)
    assert ticked != blank and _kept_view.cache_info().currsize == kept
    anonymous = [next(b for b in view["blocks"] if b["block_id"] == "anonymous") for view in (ticked, unticked)]
    assert "initial_options" in anonymous[0]["element"] and "initial_options" not in anonymous[1]["element"]


def test_a_form_opened_without_a_channel_asks_for_one() -> None:
    assert modal(forms.STORY, FormOrigin("story"))["blocks"][0]["block_id"] == CHANNEL_BLOCK
    assert modal(forms.reject_form(3), FormOrigin("reject", "3"))["blocks"][0]["block_id"] == "reason"


def test_origin_round_trip() -> None:
    origin = FormOrigin("reject", "12", "C1", "support")
    assert decode_origin(encode_origin(origin)) == origin
    assert decode_origin("[]") is None


def test_errors_for_missing_fields_land_on_the_first_input() -> None:
    view = modal(forms.SCHEDULE, FormOrigin("schedule", "", "C1"))
    assert input_errors({"zone": "Unknown zone", "review": "x"}, view) == {"zone": "Unknown zone", "repeat": "x"}


def test_home_view_stays_within_100_blocks() -> None:
    big = Reply(card=Card(title="Queue", sections=tuple(Section(f"line {i}") for i in range(80))))
    view = home_view(HomeContent(mine=[big], queues=[big, big], review=[big], notice="Approved #1 <!here>"))
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    assert "&lt;!here&gt;" in json.dumps(view)
