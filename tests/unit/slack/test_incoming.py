"""Slack payloads → neutral incoming events."""

from __future__ import annotations

from typing import Any

from adapters.slack.incoming import (
    Tenant,
    action_incoming,
    command_incoming,
    command_mentions,
    delivery_key,
    form_incoming,
    pressed,
    split_workspace_key,
    tenant_of,
    user_of,
    workspace_key,
)
from adapters.slack.modals import answers, decode_origin
from bot.events import Person

STEVE = Person("U2147483697", "Steve")


def test_workspace_keys_round_trip() -> None:
    assert workspace_key(None, "T1") == "T1"
    assert workspace_key("E1", "T1") == "E1:T1"
    assert split_workspace_key("E1:T1") == Tenant("E1", "T1")
    assert split_workspace_key("T1") == Tenant(None, "T1")
    assert split_workspace_key("E1") == Tenant("E1", None, is_enterprise_install=True)


def test_slash_command(slash_command: dict[str, Any]) -> None:
    people = {"@U012ABCDEF": Person("U012ABCDEF", "Ann"), "@U345GHIJKL": Person("U345GHIJKL", "Lee")}
    assert set(command_mentions(slash_command)) == set(people)
    incoming = command_incoming(slash_command, actor=STEVE, people=people)
    assert incoming.place.platform == "slack"
    assert incoming.place.workspace_id == "E0001:T0001"
    assert incoming.place.workspace_name == "example"
    assert (incoming.place.channel_id, incoming.place.channel_name, incoming.place.direct) == (
        "C2147483705",
        "support",
        False,
    )
    assert incoming.text.startswith("shoutout @U012ABCDEF @U345GHIJKL kept")
    assert incoming.people == people
    assert incoming.ref["response_url"] == "https://hooks.slack.com/commands/1234/5678"
    assert user_of(slash_command) == ("U2147483697", "steve")


def test_slash_command_in_a_direct_message(slash_command: dict[str, Any]) -> None:
    body = {**slash_command, "channel_id": "D123", "channel_name": "directmessage"}
    assert command_incoming(body, actor=STEVE, people={}).place.direct


def test_block_actions(block_actions: dict[str, Any]) -> None:
    press = pressed(block_actions)
    assert press is not None
    assert (press.action_id, press.value, press.channel_id, press.message_ts) == (
        "agenda.swap",
        "42",
        "C2147483705",
        "1700000001.000100",
    )
    assert not press.in_home
    incoming = action_incoming(block_actions, press, actor=STEVE)
    assert (incoming.action, incoming.action_value) == ("agenda.swap", "42")
    assert incoming.place.workspace_id == "T0001"
    assert incoming.ref["message"] == {"channel": "C2147483705", "ts": "1700000001.000100"}
    assert delivery_key(block_actions) == "block_actions:12466734323.1395872398.0df9c2d3ea86ab64b3bbee7eaa5d8d9f"


def test_a_button_on_an_ephemeral_message_cannot_be_updated(block_actions: dict[str, Any]) -> None:
    body = {**block_actions, "container": {**block_actions["container"], "is_ephemeral": True}}
    press = pressed(body)
    assert press is not None and press.message_ts is None


def test_a_payload_without_actions_is_ignored(block_actions: dict[str, Any]) -> None:
    assert pressed({**block_actions, "actions": []}) is None


def test_view_submission(view_submission: dict[str, Any]) -> None:
    view = view_submission["view"]
    origin = decode_origin(view["private_metadata"])
    assert origin is not None and origin.form_id == "shoutout" and origin.channel_id == "C2147483705"
    found = answers(view)
    assert found.values == {
        "recipients": ["@U012ABCDEF", "@U345GHIJKL"],
        "reason": "Stayed on the call until the refund went through <!channel>",
        "private": True,
    }
    assert found.users == ("U012ABCDEF", "U345GHIJKL")
    incoming = form_incoming(view_submission, origin, found, actor=STEVE, people={})
    assert (incoming.form_id, incoming.place.channel_id, incoming.place.workspace_id) == (
        "shoutout",
        "C2147483705",
        "T0001",
    )
    assert tenant_of(view_submission) == Tenant(None, "T0001")


def test_event_envelope(app_home_opened: dict[str, Any]) -> None:
    assert tenant_of(app_home_opened).workspace_id == "T0001"
    assert delivery_key(app_home_opened) == "event:Ev0LAN670R"
    assert delivery_key({}) is None
