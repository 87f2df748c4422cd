"""Slack payloads → neutral incoming events."""

from __future__ import annotations

from typing import Any

from adapters.slack.incoming import (
    Sender,
    Tenant,
    action_incoming,
    command_incoming,
    command_mentions,
    delivery_key,
    form_incoming,
    pressed,
    sender_of,
    split_workspace_key,
    tenant_of,
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
    incoming = command_incoming(slash_command, sender_of(slash_command), actor=STEVE, people=people)
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


def test_the_sender_of_a_slash_command_is_read_once_into_a_record(slash_command: dict[str, Any]) -> None:
    sender = sender_of(slash_command)
    assert sender == Sender(
        tenant=Tenant("E0001", "T0001"), workspace_name="example", user_id="U2147483697", user_name="steve"
    )
    assert sender.workspace_id == "E0001:T0001"
    assert sender.known


def test_a_payload_without_a_user_or_a_workspace_has_no_known_sender(slash_command: dict[str, Any]) -> None:
    assert not sender_of({**slash_command, "user_id": ""}).known
    nowhere = {key: value for key, value in slash_command.items() if key not in ("team_id", "enterprise_id")}
    assert not sender_of(nowhere).known


def test_slash_command_in_a_direct_message(slash_command: dict[str, Any]) -> None:
    body = {**slash_command, "channel_id": "D123", "channel_name": "directmessage"}
    assert command_incoming(body, sender_of(body), actor=STEVE, people={}).place.direct


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
    sender = sender_of(block_actions)
    assert (sender.workspace_id, sender.user_id, sender.known) == ("T0001", "U2147483697", True)
    incoming = action_incoming(block_actions, sender, press, actor=STEVE)
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
    incoming = form_incoming(view_submission, sender_of(view_submission), origin, found, actor=STEVE, people={})
    assert (incoming.form_id, incoming.place.channel_id, incoming.place.workspace_id) == (
        "shoutout",
        "C2147483705",
        "T0001",
    )
    assert tenant_of(view_submission) == Tenant(None, "T0001")


def test_event_envelope(app_home_opened: dict[str, Any]) -> None:
    assert tenant_of(app_home_opened).workspace_id == "T0001"
    assert not sender_of(app_home_opened).known  # the envelope names no user: the event inside does
    sender = sender_of({**app_home_opened, "user": app_home_opened["event"]["user"]})
    assert (sender.workspace_id, sender.user_id, sender.known) == ("T0001", "U2147483697", True)
    assert delivery_key(app_home_opened) == "event:Ev0LAN670R"
    assert delivery_key({}) is None
