"""The core's cards and forms as Adaptive Cards 1.5, and replies as message activities."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.teams.adaptive import CONTENT_TYPE, card_json, escape, form_json
from adapters.teams.outgoing import message, render, welcome
from bot import forms
from bot.replies import Button, Card, Fact, Form, Option, Reply, Section

AGENDA = Card(
    title="Customer Moment · Tue 24 Nov 10:00 CET",
    sections=(Section("A *customer* called [twice](https://evil.example)", "What happened"),),
    facts=(Fact("Presenter", "Bob_Smith"),),
    buttons=(Button("Swap", "agenda.swap", "12"), Button("Presented", "agenda.done", "12", "primary")),
    note="Why this one: never featured",
)
ALL_FORMS = [forms.STORY, forms.SHOUTOUT, forms.EXERCISE, forms.SCHEDULE, forms.reject_form(7)]


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def unescape(text: str) -> str:
    out, skip = [], False
    for char in text:
        if char == "\\" and not skip:
            skip = True
            continue
        out.append(char)
        skip = False
    return "".join(out)


def test_escaping_neutralises_markdown() -> None:
    assert escape("*bold* _it_ [a](b) `c` ~d~") == r"\*bold\* \_it\_ \[a\](b) \`c\` \~d\~"
    assert escape("1. one\n- two\n+ three") == "1\\. one\n\\- two\n\\+ three"
    assert escape("<at>Bob</at> & 3-2") == "<at>Bob</at> & 3-2"


@given(st.text(max_size=200))
def test_escaped_text_reads_back_as_written(text: str) -> None:
    assert unescape(escape(text)) == text


def test_escaping_a_long_run_of_blank_lines_takes_one_pass() -> None:
    # With an indent pattern that crossed line breaks, each of these line starts rescanned the rest of the
    # run: about 2 * 10**10 steps, which never finishes within a test run. Linear, it is instant.
    text = "\n" * 200_000 + " 1. a\n" + "\n \t" * 50_000 + "- b"
    assert escape(text) == "\n" * 200_000 + " 1\\. a\n" + "\n \t" * 50_000 + "\\- b"


def test_a_card_is_version_1_5_with_submit_buttons() -> None:
    card = card_json(AGENDA)
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    assert card["actions"] == [
        {"type": "Action.Submit", "title": "Swap", "data": {"action": "agenda.swap", "value": "12"}},
        {
            "type": "Action.Submit",
            "title": "Presented",
            "data": {"action": "agenda.done", "value": "12"},
            "style": "positive",
        },
    ]
    texts = [e["text"] for e in walk(card) if e.get("type") == "TextBlock"]
    assert r"A \*customer\* called \[twice\](https://evil.example)" in texts
    assert card["body"][-2]["facts"] == [{"title": "Presenter", "value": r"Bob\_Smith"}]


def test_no_card_carries_mention_entities() -> None:
    rendered = [card_json(AGENDA), *(form_json(f) for f in ALL_FORMS), welcome()]
    assert all("entities" not in str(node.get("msteams", {})) for card in rendered for node in walk(card))


@pytest.mark.parametrize("form", ALL_FORMS, ids=lambda f: f.form_id)
def test_every_form_becomes_inputs_and_one_submit(form: Form) -> None:
    card = form_json(form)
    inputs = [e for e in card["body"] if e["type"].startswith("Input.")]
    assert [e["id"] for e in inputs] == [f"field.{f.name}" for f in form.fields]
    assert card["actions"] == [
        {
            "type": "Action.Submit",
            "title": form.submit_label,
            "style": "positive",
            "data": {"form": form.form_id, "context": form.context},
        }
    ]
    for field, element in zip(form.fields, inputs, strict=True):
        assert element.get("isRequired", False) == field.required
        if field.max_length and element["type"] == "Input.Text":
            assert element["maxLength"] == field.max_length


def test_field_kinds_map_to_adaptive_inputs() -> None:
    kinds = {e["id"]: e for e in form_json(forms.SCHEDULE)["body"] if "id" in e}
    assert kinds["field.time"] == {
        "id": "field.time",
        "label": "Time",
        "type": "Input.Time",
        "value": "10:00",
        "isRequired": True,
        "errorMessage": "Time is required.",
    }
    assert kinds["field.repeat"]["type"] == "Input.ChoiceSet" and kinds["field.repeat"]["value"] == "weekly"
    story = {e["id"]: e for e in form_json(forms.STORY)["body"] if "id" in e}
    assert story["field.tags"]["isMultiSelect"] is True
    assert story["field.anonymous"]["type"] == "Input.Toggle" and story["field.anonymous"]["value"] == "false"
    assert story["field.situation"]["isMultiline"] is True
    exercise = {e["id"]: e for e in form_json(forms.EXERCISE)["body"] if "id" in e}
    assert exercise["field.minutes"] == {"id": "field.minutes", "label": "Minutes", "type": "Input.Number", "value": 10}


def test_the_people_field_offers_the_roster_or_asks_for_names() -> None:
    roster = [Option("aad-b", "Bob"), Option("aad-c", "Carol")]
    picker = next(e for e in form_json(forms.SHOUTOUT, people=roster)["body"] if e.get("id") == "field.recipients")
    assert picker["type"] == "Input.ChoiceSet" and picker["isMultiSelect"] is True
    assert picker["choices"] == [{"title": "Bob", "value": "aad-b"}, {"title": "Carol", "value": "aad-c"}]
    typed = next(e for e in form_json(forms.SHOUTOUT)["body"] if e.get("id") == "field.recipients")
    assert typed["type"] == "Input.Text" and "Names" in typed["placeholder"]


def test_a_form_shown_again_keeps_values_and_puts_problems_under_their_fields() -> None:
    card = form_json(
        forms.STORY,
        values={"situation": "late", "tags": ["listening", "ownership"], "anonymous": "true"},
        errors={"situation": "Tell a bit more.", "elsewhere": "Something else."},
    )
    body = card["body"]
    index = next(i for i, e in enumerate(body) if e.get("id") == "field.situation")
    assert body[index]["value"] == "late"
    assert body[index + 1]["text"] == "Tell a bit more." and body[index + 1]["color"] == "Attention"
    assert next(e for e in body if e.get("id") == "field.tags")["value"] == "listening,ownership"
    assert next(e for e in body if e.get("id") == "field.anonymous")["value"] == "true"
    assert body[-1]["text"] == "Something else."


def test_text_replies_are_plain_text_and_capped() -> None:
    assert message("a *b*") == {"type": "message", "text": "a *b*", "textFormat": "plain"}
    assert len(message("x" * 50_000)["text"]) == 20_000


def test_render_modes() -> None:
    text = render(Reply(text="Hi"))
    assert text == message("Hi")
    with_card = render(Reply(text="Scheduled", card=AGENDA))
    assert with_card["text"] == "Scheduled" and with_card["attachments"][0]["contentType"] == CONTENT_TYPE
    outcome = render(
        Reply(text="Thanks! Your customer story #3 is in the pool."), mode="outcome", used_form=forms.STORY
    )
    texts = [e["text"] for e in outcome["attachments"][0]["content"]["body"]]
    assert texts == ["Share a customer story", "Thanks! Your customer story #3 is in the pool."]
    again = render(
        Reply(text="problem", errors={"lesson": "Add the lesson."}, retry_form=forms.STORY),
        mode="reshow",
        submitted_values={"situation": "x"},
    )
    body = again["attachments"][0]["content"]["body"]
    assert any(e.get("text") == "Add the lesson." for e in body)
    assert not any(e.get("text") == "problem" for e in body)


def test_the_welcome_card_opens_the_story_and_shoutout_forms() -> None:
    card = welcome()["attachments"][0]["content"]
    assert [a["data"]["action"] for a in card["actions"]] == ["open.story", "open.shoutout"]
