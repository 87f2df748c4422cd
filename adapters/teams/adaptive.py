"""The core's cards and forms as Adaptive Cards (version 1.5, the highest Teams renders).

Pure functions from :mod:`bot.replies` types to card JSON. Every text from people goes through
:func:`escape`: a TextBlock renders a Markdown subset, so ``*``, ``_``, ``[…](…)`` and list markers
are escaped; mentions need ``msteams.entities``, which these cards never carry, so ``<at>`` in
someone's text stays text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.replies import Button, Card, Form, FormField, Option

logger = logging.getLogger(__name__)

FIELD_PREFIX = "field."  # a form input's id: this prefix and the field's name (read back in ``turn.py``)

JsonDict = dict[str, Any]

VERSION = "1.5"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_CHOICES = 100  # a card stays far below Teams' 40 KB message limit

_MARKDOWN = re.compile(r"([\\`*_\[\]~])")
# The indent is whitespace other than a line break: with "\s*" a run of empty lines was rescanned from
# each of its line starts, which took time quadratic in the run's length.
_LIST_START = re.compile(r"^([^\S\n]*)(\d+)\.(\s)", re.MULTILINE)
_BULLET_START = re.compile(r"^([^\S\n]*)([-+])(\s)", re.MULTILINE)
_TIME = re.compile(r"^\d{2}:\d{2}$")
_NUMBER = re.compile(r"^[0-9]{1,9}$")  # what an Input.Number can show again (ASCII digits; int() takes them all)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)  # what an Input.Date can show again
_STYLES = {"primary": "positive", "danger": "destructive"}


def escape(text: str) -> str:
    """Plain text → TextBlock text that renders exactly as written."""
    text = _MARKDOWN.sub(r"\\\1", text)
    text = _LIST_START.sub(r"\1\2\\.\3", text)
    return _BULLET_START.sub(r"\1\\\2\3", text)


def attachment(card: JsonDict) -> JsonDict:
    return {"contentType": CONTENT_TYPE, "content": card}


def _card(body: list[JsonDict], actions: list[JsonDict] | None = None) -> JsonDict:
    card: JsonDict = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}
    if actions:
        card["actions"] = actions
    card["msteams"] = {"width": "Full"}
    return card


def text_block(text: str, **style: Any) -> JsonDict:
    return {"type": "TextBlock", "text": escape(text), "wrap": True, **style}


def submit(button: Button) -> JsonDict:
    action: JsonDict = {
        "type": "Action.Submit",
        "title": button.label[:80],
        "data": {"action": button.action, "value": button.value},
    }
    if button.style in _STYLES:
        action["style"] = _STYLES[button.style]
    return action


def card_json(card: Card, *, lead: str = "") -> JsonDict:
    """A display card: title, sections, facts, the note on why, and its buttons."""
    body: list[JsonDict] = []
    if lead:
        body.append(text_block(lead))
    body.append(text_block(card.title, size="Medium", weight="Bolder"))
    for section in card.sections:
        if section.heading:
            body.append(text_block(section.heading, weight="Bolder", spacing="Medium"))
        body.append(text_block(section.text, spacing="Small" if section.heading else "Default"))
    if card.facts:
        body.append(
            {
                "type": "FactSet",
                "facts": [{"title": escape(f.label), "value": escape(f.value)} for f in card.facts],
            }
        )
    if card.note:
        body.append(text_block(card.note, isSubtle=True, size="Small"))
    return _card(body, [submit(b) for b in card.buttons])


def outcome_json(title: str, text: str) -> JsonDict:
    """What a form or review card turns into once it has been acted on."""
    return _card([text_block(title, size="Medium", weight="Bolder"), text_block(text)])


def _initial(field: FormField, values: Mapping[str, Any]) -> Any:
    if field.name in values:
        return values[field.name]
    return field.initial


def _joined(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def _picked(value: Any, people: Sequence[Option]) -> str:
    """A people field's value as the roster choices it names: a mention token the core wrote
    (``@<member id>``, e.g. a message's author) becomes that member's choice value."""
    known = {o.value for o in people[:MAX_CHOICES]}
    tokens = value if isinstance(value, list | tuple) else _joined(value).split(",")
    picked = [str(t).strip() for t in tokens if str(t).strip()]
    return ",".join(t[1:] if t not in known and t.startswith("@") and t[1:] in known else t for t in picked)


def _choices(options: Sequence[Option]) -> list[JsonDict]:
    return [{"title": o.label[:100], "value": o.value} for o in options[:MAX_CHOICES]]


def _input(field: FormField, value: Any, people: Sequence[Option] | None) -> JsonDict:
    element: JsonDict = {"id": FIELD_PREFIX + field.name, "label": field.label}
    kind = field.kind
    if kind == "people" and people:
        element.update(
            type="Input.ChoiceSet",
            isMultiSelect=True,
            style="filtered",
            choices=_choices(people),
            value=_picked(value, people),
        )
    elif kind in ("select", "multiselect"):
        element.update(type="Input.ChoiceSet", choices=_choices(field.options), style="compact")
        if kind == "multiselect":
            element["isMultiSelect"] = True
        if _joined(value):
            element["value"] = _joined(value)
    elif kind == "checkbox":
        checked = value is True or str(value).lower() in ("true", "yes", "1", "on")
        element.update(type="Input.Toggle", title=field.label, value="true" if checked else "false")
        element.update(valueOn="true", valueOff="false")
    elif kind == "time":
        element["type"] = "Input.Time"
        if isinstance(value, str) and _TIME.match(value):
            element["value"] = value
    elif kind == "date":
        element["type"] = "Input.Date"
        if isinstance(value, str) and _DATE.fullmatch(value):
            element["value"] = value
    elif kind == "number":
        element["type"] = "Input.Number"
        shown = str(value if value is not None else "").strip()
        if _NUMBER.match(shown):
            element["value"] = int(shown)
    else:
        element["type"] = "Input.Text"
        if kind == "multiline":
            element["isMultiline"] = True
        if kind == "people":
            element["placeholder"] = "Names, separated by commas"
        elif kind == "zone":
            element["placeholder"] = "Area/City, e.g. Europe/Berlin"
        if field.max_length:
            element["maxLength"] = field.max_length
        if _joined(value):
            element["value"] = _joined(value)
    if field.hint and "placeholder" not in element and element["type"] == "Input.Text":
        element["placeholder"] = field.hint[:200]
    if field.required:
        element.update(isRequired=True, errorMessage=f"{field.label} is required.")
    return element


def form_json(
    form: Form,
    *,
    people: Sequence[Option] | None = None,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str = "",
) -> JsonDict:
    """A form as an input card; ``values`` and ``errors`` re-show it after a failed submission.

    ``people`` are the conversation's members for ``people`` fields; without them the field asks
    for names as text.
    """
    values = values or {}
    errors = dict(errors or {})
    body: list[JsonDict] = [text_block(form.title, size="Medium", weight="Bolder")]
    if message:
        body.append(text_block(message, color="Attention"))
    for field in form.fields:
        body.append(_input(field, _initial(field, values), people))
        if field.hint and field.kind not in ("text", "multiline", "zone"):
            body.append(text_block(field.hint, isSubtle=True, size="Small", spacing="None"))
        problem = errors.pop(field.name, "")
        if problem:
            body.append(text_block(problem, color="Attention", size="Small", spacing="None"))
    for leftover in errors.values():
        body.append(text_block(leftover, color="Attention", size="Small"))
    action: JsonDict = {
        "type": "Action.Submit",
        "title": form.submit_label[:80],
        "style": "positive",
        "data": {"form": form.form_id, "context": form.context},
    }
    return _card(body, [action])
