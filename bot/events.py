"""The neutral incoming event: who did what, where. Surfaces build it; the core never sees SDK objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Person:
    external_id: str
    name: str
    platform_admin: bool = False  # e.g. a Slack workspace owner/admin


@dataclass(frozen=True, slots=True)
class Place:
    """The workspace (Slack workspace / Teams tenant) and the channel where something happened."""

    platform: str  # "console", "slack", "teams"
    workspace_id: str
    workspace_name: str = ""
    channel_id: str | None = None
    channel_name: str = ""
    direct: bool = False  # a 1:1 conversation with the bot


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a person did: a command line, a button press or a form submission.

    ``people`` maps mention tokens that appear in ``text`` (e.g. ``@U123``) to the people they
    name; a token not in the map is looked up by member name. ``ref`` carries the surface's own
    leftovers (response URLs, conversation references) untouched.
    """

    place: Place
    actor: Person
    text: str = ""
    action: str | None = None
    action_value: str = ""
    form_id: str | None = None
    form_values: dict[str, Any] = field(default_factory=dict)
    form_context: str = ""
    people: dict[str, Person] = field(default_factory=dict)
    ref: dict[str, Any] = field(default_factory=dict)
