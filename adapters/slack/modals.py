"""Neutral forms ↔ Slack modals: a ``Form`` becomes a modal view; a view submission becomes form values.

Each form field is one input block whose ``block_id`` and ``action_id`` are the field name, so that
the core's per-field errors map straight onto ``response_action="errors"``. The form id, its opaque
context and the channel it was opened from travel in ``private_metadata``.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ConversationFilter,
    ConversationSelectElement,
    DatePickerElement,
    InputBlock,
    InputInteractiveElement,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticMultiSelectElement,
    StaticSelectElement,
    TimePickerElement,
    UserMultiSelectElement,
)
from slack_sdk.models.views import View

from adapters.slack.text import cut
from adapters.slack.zones import COMMON_ZONES
from bot.replies import Form, FormField

logger = logging.getLogger(__name__)

CALLBACK_ID = "customer_moment.form"
CHANNEL_BLOCK = "slack_channel"
# Forms opened where there is no channel (the App Home) ask which channel they are for; the review
# form is about an item that already belongs to a channel.
CHANNEL_FREE_FORMS = frozenset({"reject"})
CHECKED = "yes"
TITLE = 24
LABEL = 2000
HINT = 2000
INPUT_MAX = 3000
OPTION_LABEL = 75
OPTION_VALUE = 150
OPTIONS = 100
ERROR_TEXT = 1000
DEFAULT_TIME = "10:00"


@dataclass(frozen=True, slots=True)
class FormOrigin:
    """What a modal must remember until it is submitted (kept in ``private_metadata``)."""

    form_id: str
    context: str = ""
    channel_id: str | None = None
    channel_name: str = ""


@dataclass(frozen=True, slots=True)
class FormAnswers:
    """A view submission read back: values by field name, the users picked, the channel picked."""

    values: dict[str, Any] = field(default_factory=dict)
    users: tuple[str, ...] = ()
    channel_id: str | None = None


def encode_origin(origin: FormOrigin) -> str:
    data = {"form": origin.form_id, "context": origin.context, "channel": origin.channel_id}
    if origin.channel_name:
        data["channel_name"] = cut(origin.channel_name, 80)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def decode_origin(private_metadata: str) -> FormOrigin | None:
    try:
        data = json.loads(private_metadata or "")
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("form"), str):
        return None
    channel, context, name = data.get("channel"), data.get("context"), data.get("channel_name")
    return FormOrigin(
        form_id=data["form"],
        context=context if isinstance(context, str) else "",
        channel_id=channel if isinstance(channel, str) and channel else None,
        channel_name=name if isinstance(name, str) else "",
    )


def _option(value: str, label: str) -> Option | None:
    if len(value) > OPTION_VALUE:
        logger.warning("option value %r is too long for Slack; left out", value[:40])
        return None
    return Option(value=value, label=cut(label, OPTION_LABEL))


def _options(pairs: list[tuple[str, str]]) -> list[Option]:
    options = [o for o in (_option(v, label) for v, label in pairs) if o is not None]
    return options[:OPTIONS]


def _pick(options: list[Option], values: set[str]) -> list[Option]:
    return [o for o in options if o.value in values]


def _initial_values(initial: object) -> set[str]:
    if isinstance(initial, tuple | list):
        return {str(v) for v in initial}
    if isinstance(initial, str) and initial:
        return {initial}
    return set()


def element_for(form_field: FormField, *, zone: str | None = None) -> InputInteractiveElement:
    """The Block Kit input element for one neutral form field."""
    name, kind, initial = form_field.name, form_field.kind, form_field.initial
    if kind in ("select", "multiselect", "zone"):
        if kind == "zone":
            pairs = [(z, z.replace("_", " ")) for z in COMMON_ZONES]
            wanted = _initial_values(initial) or ({zone} if zone else set())
        else:
            pairs = [(o.value, o.label) for o in form_field.options]
            wanted = _initial_values(initial)
        options = _options(pairs)
        chosen = _pick(options, wanted)
        if kind == "multiselect":
            return StaticMultiSelectElement(action_id=name, options=options, initial_options=chosen or None)
        return StaticSelectElement(action_id=name, options=options, initial_option=chosen[0] if chosen else None)
    if kind == "people":
        # The core names people as "@" + their user id, the same tokens a submission hands back.
        users = [v.removeprefix("@") for v in _initial_values(initial) if v.startswith("@") and len(v) > 1]
        return UserMultiSelectElement(action_id=name, initial_users=sorted(users) or None)
    if kind == "checkbox":
        box = Option(value=CHECKED, label="Yes")
        return CheckboxesElement(action_id=name, options=[box], initial_options=[box] if initial is True else None)
    if kind == "time":
        return TimePickerElement(action_id=name, initial_time=initial if isinstance(initial, str) else DEFAULT_TIME)
    if kind == "date":
        return DatePickerElement(action_id=name, initial_date=initial if isinstance(initial, str) and initial else None)
    if kind == "number":
        return NumberInputElement(
            action_id=name, is_decimal_allowed=False, initial_value=initial if isinstance(initial, str) else None
        )
    limit = min(form_field.max_length or INPUT_MAX, INPUT_MAX)
    return PlainTextInputElement(
        action_id=name,
        multiline=kind == "multiline",
        max_length=limit,
        initial_value=cut(initial, limit) if isinstance(initial, str) and initial else None,
    )


def input_block(form_field: FormField, *, zone: str | None = None) -> InputBlock:
    return InputBlock(
        block_id=form_field.name,
        label=PlainTextObject(text=cut(form_field.label, LABEL), emoji=True),
        element=element_for(form_field, zone=zone),
        optional=not form_field.required,
        hint=PlainTextObject(text=cut(form_field.hint, HINT)) if form_field.hint else None,
    )


def channel_block() -> InputBlock:
    return InputBlock(
        block_id=CHANNEL_BLOCK,
        label=PlainTextObject(text="Which channel is it for?"),
        element=ConversationSelectElement(
            action_id=CHANNEL_BLOCK,
            filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
        ),
    )


def modal(form: Form, origin: FormOrigin, *, zone: str | None = None) -> dict[str, Any]:
    """The ``view`` argument of views.open for ``form``; ``zone`` pre-selects a zone field.

    A blank form opened from the same place is the same view. Building it through the Block Kit models
    (each object made, validated and turned into a dict) took about half a millisecond for the story form,
    so the last :data:`KEPT_VIEWS` blank views are kept as JSON and read back, a new dict each time, for
    about a tenth of that. A blank form may still tick or untick a box to begin with (a story is not
    anonymous unless the person says so). A form filled in beforehand with any other value (an edit, a form
    sent back with its errors) is made for one person once: it is built each time, and kept nowhere.
    """
    if not all(_blank(form_field.initial) for form_field in form.fields):
        return _view(form, origin, zone)
    if not any(form_field.kind == "zone" for form_field in form.fields):
        zone = None  # nothing to pre-select: the same view whatever the person's zone
    kept: dict[str, Any] = json.loads(_kept_view(form, origin, zone))
    return kept


KEPT_VIEWS = 256


def _blank(initial: object) -> bool:
    """Nothing filled in but where a box starts ticked or not: ``True`` or ``False`` themselves, so that a
    value that only equals one of them (``1``, ``0``) never shares a kept view with it."""
    return initial is None or type(initial) is bool


@functools.lru_cache(maxsize=KEPT_VIEWS)
def _kept_view(form: Form, origin: FormOrigin, zone: str | None) -> str:
    return json.dumps(_view(form, origin, zone), ensure_ascii=False, separators=(",", ":"))


def _view(form: Form, origin: FormOrigin, zone: str | None) -> dict[str, Any]:
    blocks: list[Block] = []
    if origin.channel_id is None and form.form_id not in CHANNEL_FREE_FORMS:
        blocks.append(channel_block())
    blocks += [input_block(f, zone=zone) for f in form.fields]
    view = View(
        type="modal",
        callback_id=CALLBACK_ID,
        title=PlainTextObject(text=cut(form.title, TITLE)),
        submit=PlainTextObject(text=cut(form.submit_label, TITLE)),
        close=PlainTextObject(text="Cancel"),
        private_metadata=encode_origin(origin),
        blocks=blocks[:100],
    )
    return view.to_dict()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _option_values(options: Any) -> list[str]:
    """The values of picked options; anything that is not an option with a text value is left out."""
    if not isinstance(options, list):
        return []
    return [o["value"] for o in options if isinstance(o, Mapping) and isinstance(o.get("value"), str)]


def _value_of(state: Mapping[str, Any]) -> tuple[Any, tuple[str, ...]]:
    """One input's value as the core wants it, and the user ids it names.

    Each element type has one shape in Slack's ``state.values``; a value of another shape (a forged or
    broken submission) counts as not filled in, so the core asks for it like for an empty field.
    """
    kind = state.get("type")
    if kind == "multi_users_select":
        picked = state.get("selected_users")
        users = tuple(u for u in picked if isinstance(u, str) and u) if isinstance(picked, list) else ()
        return [f"@{u}" for u in users], users
    if kind == "checkboxes":
        return CHECKED in _option_values(state.get("selected_options")), ()
    if kind == "static_select":
        option = state.get("selected_option")
        return (_text(option.get("value")) if isinstance(option, Mapping) else None), ()
    if kind == "multi_static_select":
        return _option_values(state.get("selected_options")), ()
    if kind == "timepicker":
        return _text(state.get("selected_time")), ()
    if kind == "datepicker":
        return _text(state.get("selected_date")), ()
    if kind == "conversations_select":
        return _text(state.get("selected_conversation")), ()
    return _text(state.get("value")), ()


def answers(view: Mapping[str, Any]) -> FormAnswers:
    """Read a submitted view's ``state.values`` into field values (name → str / list / bool)."""
    values: dict[str, Any] = {}
    users: list[str] = []
    channel: str | None = None
    state = view.get("state")
    blocks = state.get("values") if isinstance(state, Mapping) else None
    for block_id, actions in (blocks if isinstance(blocks, Mapping) else {}).items():
        if not isinstance(actions, Mapping):
            continue
        for entry in actions.values():
            value, named = _value_of(entry if isinstance(entry, Mapping) else {})
            if block_id == CHANNEL_BLOCK:
                channel = value if isinstance(value, str) and value else None
                continue
            if value is not None:
                values[block_id] = value
            users += [u for u in named if u not in users]
    return FormAnswers(values=values, users=tuple(users), channel_id=channel)


def input_errors(errors: Mapping[str, str], view: Mapping[str, Any]) -> dict[str, str]:
    """The core's field errors keyed by block id; an error about a field the modal lacks goes on the first input."""
    blocks = view.get("blocks")
    block_ids = [
        b["block_id"]
        for b in (blocks if isinstance(blocks, list) else ())
        if isinstance(b, Mapping) and b.get("type") == "input" and isinstance(b.get("block_id"), str)
    ]
    shown: dict[str, str] = {}
    for name, problem in errors.items():
        target = name if name in block_ids else (block_ids[0] if block_ids else name)
        message = cut(problem, ERROR_TEXT)
        shown[target] = f"{shown[target]} {message}" if target in shown else message
    return shown
