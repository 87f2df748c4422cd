"""Every Adaptive Card the bot sends is valid against the official Adaptive Cards 1.5 schema.

The cards are rendered the way the bot renders them: the core's own card builders (agenda cards in every
state and for every kind, review cards), every form of the core (empty, pre-filled and re-shown with its
problems), outcome cards and the welcome card, through ``adapters.teams.outgoing``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.teams.adaptive import CONTENT_TYPE
from adapters.teams.outgoing import outcome_card, render, welcome
from bot import cards, forms
from bot.domain.lifecycle import AgendaState
from bot.replies import Button, Card, Fact, Form, Option, Reply, Section

SCHEMA_FILE = Path(__file__).parents[2] / "data" / "adaptive-card.schema.v1.5.json"
OFFICIAL = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def as_teams_renders_1_5(official: dict[str, Any]) -> dict[str, Any]:
    """The official schema widened by exactly the two things Teams documents for 1.5 cards beyond it.

    - ``msteams: {"width": "Full"}`` on the card: Teams' own extension, outside the Adaptive Cards schema.
    - ``Input.ChoiceSet`` style ``filtered`` (typeahead): the Adaptive Cards type definitions declare it as
      version 1.5 (``schemas/src/enums/ChoiceInputStyle.json``), but the generated 1.5.0 schema file left it
      out; the 1.6.0 file has it.
    Everything else is checked as published."""
    schema = copy.deepcopy(official)
    definitions = schema["definitions"]
    definitions["AdaptiveCard"]["properties"]["msteams"] = {
        "type": "object",
        "properties": {"width": {"enum": ["Full"]}},
        "additionalProperties": False,
    }
    styles = definitions["ChoiceInputStyle"]["anyOf"]
    styles[0]["enum"].append("filtered")
    styles[1]["pattern"] = styles[1]["pattern"].removesuffix("$") + "|([fF][iI][lL][tT][eE][rR][eE][dD])$"
    return schema


SCHEMA = as_teams_renders_1_5(OFFICIAL)
VALIDATOR = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PEOPLE = [Option("29:alice", "Alice"), Option("29:bob", "Bob")]
EVERY_FORM = [value for value in vars(forms).values() if isinstance(value, Form)] + [
    forms.reject_form(7),
    forms.pool_form([Option("3", "Support Team › Support"), Option("5", "Sales *team*")]),
]


def moment(kind: str) -> cards.MomentView:
    return cards.MomentView(
        id=12,
        kind=kind,
        state="approved",
        title="Bad news, delivered early" if kind == "exercise" else "",
        situation="The customer was promised a patch that slipped. <at>Bob</at> [link](https://evil.example)",
        action="Called before they found out",
        reaction="Thanked us, stayed",
        lesson="Call first",
        steps=("Pair up", "Role-play the call", "Swap roles"),
        minutes=10,
        tags=("bad-news",),
        author="Alice *Admin*",
        recipients=("Bob_Smith",),
    )


def agenda(state: AgendaState, *, moment: cards.MomentView | None, zone: str = "Europe/Berlin") -> cards.AgendaView:
    return cards.AgendaView(
        id=42,
        state=state,
        starts_at=NOW,
        zone=zone,
        reason="never featured",
        moment=moment,
        presenter="Bob_Smith" if moment is not None else None,
        helpful=3 if moment is not None else 0,
    )


def core_cards() -> Iterator[Card]:
    for kind in ("story", "shoutout", "exercise"):
        for state in AgendaState:
            yield cards.agenda_card(agenda(state, moment=moment(kind)))
        yield cards.review_card(moment(kind))
    yield cards.agenda_card(agenda(AgendaState.SKIPPED, moment=None, zone="UTC"))
    for pool in (cards.MeetingPool(), cards.MeetingPool(linked_to="Support Team › Support")):  # in a meeting chat
        item = replace(agenda(AgendaState.POSTED, moment=moment("story")), meeting_pool=pool)
        yield cards.agenda_card(item)


def activities() -> Iterator[tuple[str, dict[str, Any]]]:
    for number, card in enumerate(core_cards()):
        yield f"card {number}: {card.title}", render(Reply(text="Posted.", card=card))
        yield f"card {number} as outcome", render(Reply(text="Done.", card=card), mode="outcome")
    for form in EVERY_FORM:
        yield f"form {form.form_id}", render(Reply(form=form), people=PEOPLE)
        yield f"form {form.form_id} without people", render(Reply(form=form))
        filled = {field.name: field.initial or "x" for field in form.fields}
        problems = {field.name: f"{field.label} is not right." for field in form.fields[:2]}
        problems["elsewhere"] = "Something else went wrong."
        yield (
            f"form {form.form_id} re-shown",
            render(
                Reply(text="Fix these.", errors=problems, retry_form=form),
                mode="reshow",
                submitted_values=filled,
                people=PEOPLE,
            ),
        )
        yield f"form {form.form_id} outcome", render(Reply(text="Saved."), mode="outcome", used_form=form)
    yield "outcome card", outcome_card("Review", "Approved #12.")
    yield "welcome", welcome()


def adaptive_cards(activity: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["content"] for a in activity.get("attachments", []) if a["contentType"] == CONTENT_TYPE]


def leaves(error: jsonschema.ValidationError) -> Iterator[jsonschema.ValidationError]:
    """The innermost errors: an element matching none of the element types says why for each type."""
    if not error.context:
        yield error
    for inner in error.context or ():
        yield from leaves(inner)


def problems(card: dict[str, Any]) -> list[str]:
    errors = [leaf for error in VALIDATOR.iter_errors(card) for leaf in leaves(error)]
    return [f"{error.json_path}: {error.message}" for error in errors]


RENDERED = list(activities())


def test_the_kept_schema_is_the_official_adaptive_cards_1_5_schema() -> None:
    assert OFFICIAL["id"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert OFFICIAL["$schema"] == "http://json-schema.org/draft-06/schema#"
    assert {"Action.Execute", "Table"} <= set(OFFICIAL["definitions"])  # new in 1.4 and 1.5
    # What as_teams_renders_1_5 adds is really missing from the published file (else the widening goes).
    assert "msteams" not in OFFICIAL["definitions"]["AdaptiveCard"]["properties"]
    assert "filtered" not in OFFICIAL["definitions"]["ChoiceInputStyle"]["anyOf"][0]["enum"]


@pytest.mark.parametrize(("name", "activity"), RENDERED, ids=[name for name, _ in RENDERED])
def test_every_card_the_bot_sends_is_valid_adaptive_card_1_5(name: str, activity: dict[str, Any]) -> None:
    (card,) = adaptive_cards(activity)
    assert card["version"] == "1.5"
    assert problems(card) == []


def test_the_schema_check_catches_a_card_teams_would_refuse() -> None:
    (card,) = adaptive_cards(welcome())
    broken = {**card, "body": [*card["body"], {"type": "TextBlock", "text": "x", "size": "Enormous"}]}
    assert problems(broken) != []
    assert problems({**card, "msteams": {"width": "Wide"}}) != []
    choice = {"type": "Input.ChoiceSet", "id": "who", "choices": [{"title": "A", "value": "a"}], "style": "fancy"}
    assert problems({**card, "body": [choice]}) != []
    assert problems({**card, "body": [{**choice, "style": "filtered"}]}) == []


@given(
    title=st.text(max_size=150),
    text=st.text(max_size=500),
    label=st.text(max_size=75),
    value=st.text(max_size=100),
)
def test_any_text_people_write_keeps_the_card_valid(title: str, text: str, label: str, value: str) -> None:
    card = Card(
        title=title,
        sections=(Section(text, label),),
        facts=(Fact(label, value),),
        buttons=(Button(label or "Go", "agenda.swap", value),),
        note=text,
    )
    (rendered,) = adaptive_cards(render(Reply(text=text, card=card)))
    assert problems(rendered) == []
