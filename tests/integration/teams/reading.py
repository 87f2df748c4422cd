"""Reading what the bot sent to the fake connector: texts, Adaptive Cards, their buttons and inputs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from adapters.teams.adaptive import CONTENT_TYPE
from tests.support.fake_connector import Call

JsonDict = dict[str, Any]
_ESCAPE = re.compile(r"\\(.)")


def unescape(text: str) -> str:
    return _ESCAPE.sub(r"\1", text)


def cards(call: Call) -> list[JsonDict]:
    body = call.body or {}
    return [a["content"] for a in body.get("attachments") or [] if a.get("contentType") == CONTENT_TYPE]


def attachments(call: Call, content_type: str) -> list[JsonDict]:
    return [a for a in (call.body or {}).get("attachments") or [] if a.get("contentType") == content_type]


def elements(card: JsonDict) -> Iterator[JsonDict]:
    yield from card.get("body", [])


def card_text(card: JsonDict) -> str:
    parts: list[str] = []
    for element in elements(card):
        if element.get("type") == "TextBlock":
            parts.append(unescape(element["text"]))
        elif element.get("type") == "FactSet":
            parts += [f"{unescape(f['title'])}: {unescape(f['value'])}" for f in element["facts"]]
        elif str(element.get("type", "")).startswith("Input."):
            parts.append(str(element.get("label", "")))
    return "\n".join(parts)


def content(call: Call) -> str:
    """Everything a person would read in a message: its text, its cards and their buttons."""
    body = call.body or {}
    parts = [str(body.get("text", ""))]
    for card in cards(call):
        parts += [card_text(card), *(str(a.get("title", "")) for a in card.get("actions", []))]
    return "\n".join(parts)


def buttons(card: JsonDict) -> dict[str, JsonDict]:
    """Button title → its Action.Submit data."""
    return {a["title"]: a.get("data", {}) for a in card.get("actions", [])}


def inputs(card: JsonDict) -> dict[str, JsonDict]:
    return {e["id"]: e for e in elements(card) if str(e.get("type", "")).startswith("Input.")}


def last_card(calls: list[Call]) -> JsonDict:
    for call in reversed(calls):
        found = cards(call)
        if found:
            return found[-1]
    raise AssertionError("no card was sent")
