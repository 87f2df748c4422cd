"""Slack payloads → neutral incoming events. Pure functions over the JSON Slack sends.

A workspace is named by its team id, or ``enterprise:team`` inside an Enterprise Grid org, so that
the same team id can never be confused across orgs. People are looked up separately (users.info);
these functions take the looked-up ``Person`` objects as arguments.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.slack.modals import FormAnswers, FormOrigin
from adapters.slack.text import read_command
from bot.events import CAPTURE_MESSAGE, MESSAGE_AUTHOR, Incoming, Person, Place

logger = logging.getLogger(__name__)

PLATFORM = "slack"
SEPARATOR = ":"


@dataclass(frozen=True, slots=True)
class Tenant:
    """Which installation a payload belongs to."""

    enterprise_id: str | None
    team_id: str | None
    is_enterprise_install: bool = False

    @property
    def workspace_id(self) -> str:
        return workspace_key(self.enterprise_id, self.team_id)


def workspace_key(enterprise_id: str | None, team_id: str | None) -> str:
    if enterprise_id and team_id:
        return f"{enterprise_id}{SEPARATOR}{team_id}"
    return team_id or enterprise_id or ""


def split_workspace_key(key: str) -> Tenant:
    enterprise, sep, team = key.partition(SEPARATOR)
    if sep:
        return Tenant(enterprise_id=enterprise or None, team_id=team or None)
    if key.startswith("E"):
        return Tenant(enterprise_id=key, team_id=None, is_enterprise_install=True)
    return Tenant(enterprise_id=None, team_id=key or None)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _id_of(value: Any) -> str | None:
    if isinstance(value, dict):
        found = value.get("id")
        return found if isinstance(found, str) and found else None
    return value if isinstance(value, str) and value else None


def tenant_of(body: Mapping[str, Any]) -> Tenant:
    """The installation a command, interaction or event envelope comes from."""
    enterprise = _id_of(body.get("enterprise")) or _id_of(body.get("enterprise_id"))
    team = _id_of(body.get("team")) or _id_of(body.get("team_id"))
    if team is None:
        user = body.get("user")
        team = _id_of(user.get("team_id")) if isinstance(user, dict) else None
    if team is None:
        view = body.get("view")
        team = _id_of(view.get("team_id")) if isinstance(view, dict) else None
    enterprise_install = body.get("is_enterprise_install")
    if isinstance(enterprise_install, str):
        enterprise_install = enterprise_install == "true"
    return Tenant(enterprise_id=enterprise, team_id=team, is_enterprise_install=bool(enterprise_install))


def workspace_name(body: Mapping[str, Any]) -> str:
    team = body.get("team")
    if isinstance(team, dict):
        return _text(team.get("domain")) or _text(team.get("name"))
    return _text(body.get("team_domain"))


def user_of(body: Mapping[str, Any]) -> tuple[str, str]:
    """The acting user's id and the name Slack put into the payload (may be empty)."""
    user = body.get("user")
    if isinstance(user, dict):
        return _text(user.get("id")), _text(user.get("username")) or _text(user.get("name"))
    if isinstance(user, str):
        return user, ""
    return _text(body.get("user_id")), _text(body.get("user_name"))


def is_direct(channel_id: str | None, channel_name: str = "") -> bool:
    return bool(channel_id and channel_id.startswith("D")) or channel_name == "directmessage"


@dataclass(frozen=True, slots=True)
class Sender:
    """Who a payload comes from, read once per payload: the installation, its name and the acting user."""

    tenant: Tenant
    workspace_name: str
    user_id: str
    user_name: str  # the name Slack put into the payload; may be empty

    @property
    def workspace_id(self) -> str:
        return self.tenant.workspace_id

    @property
    def known(self) -> bool:
        """Slack always names the workspace and the person; a payload that does not is not acted on."""
        return bool(self.workspace_id and self.user_id)


def sender_of(body: Mapping[str, Any]) -> Sender:
    user_id, user_name = user_of(body)
    return Sender(tenant=tenant_of(body), workspace_name=workspace_name(body), user_id=user_id, user_name=user_name)


def place(sender: Sender, channel_id: str | None, channel_name: str = "") -> Place:
    return Place(
        platform=PLATFORM,
        workspace_id=sender.workspace_id,
        workspace_name=sender.workspace_name,
        channel_id=channel_id,
        channel_name=channel_name,
        direct=channel_id is None or is_direct(channel_id, channel_name),
        canvases=True,
    )


def command_mentions(body: Mapping[str, Any]) -> dict[str, str]:
    """``@U123`` token → label for every user mentioned in a slash command's text."""
    return read_command(_text(body.get("text"))).mentioned


def command_incoming(
    body: Mapping[str, Any], sender: Sender, *, actor: Person, people: Mapping[str, Person]
) -> Incoming:
    """``/moment …`` → Incoming; ``people`` maps the mention tokens to looked-up people."""
    command = read_command(_text(body.get("text")))
    channel_id = _text(body.get("channel_id")) or None
    return Incoming(
        place=place(sender, channel_id, _text(body.get("channel_name"))),
        actor=actor,
        text=command.text,
        people={token: people[token] for token in command.mentioned if token in people},
        ref={"response_url": _text(body.get("response_url")), "trigger_id": _text(body.get("trigger_id"))},
    )


def is_direct_message(event: Mapping[str, Any]) -> bool:
    """A message a person wrote to the bot in its Messages tab: not an edit, a join, or a bot's post."""
    return (
        event.get("type") == "message"
        and event.get("channel_type") == "im"
        and "subtype" not in event
        and not event.get("bot_id")
        and bool(_text(event.get("user")))
        and bool(_text(event.get("channel")))
    )


def message_mentions(event: Mapping[str, Any]) -> dict[str, str]:
    return read_command(_text(event.get("text"))).mentioned


def message_incoming(
    event: Mapping[str, Any],
    sender: Sender,
    *,
    actor: Person,
    people: Mapping[str, Person],
    bot_user_id: str | None = None,
) -> Incoming:
    """A direct message to the bot → Incoming: the same command line as after ``/moment``, in the DM.

    A leading mention of the bot itself ("@Customer Moment queue") is dropped, as a Teams surface does.
    """
    command = read_command(_text(event.get("text")))
    text = command.text.strip()
    if bot_user_id and text.startswith(f"@{bot_user_id}"):
        text = text.removeprefix(f"@{bot_user_id}")
    return Incoming(
        place=place(sender, _text(event.get("channel")), "directmessage"),
        actor=actor,
        text=text,
        people={token: people[token] for token in command.mentioned if token in people},
    )


def shortcut_mentions(body: Mapping[str, Any], limit: int) -> dict[str, str]:
    """The first ``limit`` people mentioned in the message a shortcut was used on."""
    mentioned = read_command(_text(_dict(body.get("message")).get("text"))).mentioned
    return dict(list(mentioned.items())[:limit])


def shortcut_incoming(
    body: Mapping[str, Any], sender: Sender, *, actor: Person, people: Mapping[str, Person]
) -> Incoming:
    """A message shortcut → the core's ``capture.message`` with the message's text, mentions and author.

    A message a bot posted has no person to recognise, so it names no author (it becomes a story).
    """
    channel = _dict(body.get("channel"))
    message = _dict(body.get("message"))
    command = read_command(_text(message.get("text")))
    found = {token: people[token] for token in command.mentioned if token in people}
    author = _text(message.get("user"))
    if author and not message.get("bot_id"):
        found[MESSAGE_AUTHOR] = Person(external_id=author, name="")
    return Incoming(
        place=place(sender, _text(channel.get("id")) or None, _text(channel.get("name"))),
        actor=actor,
        action=CAPTURE_MESSAGE,
        action_value=command.text,
        people=found,
        ref={"response_url": _text(body.get("response_url")), "trigger_id": _text(body.get("trigger_id"))},
    )


@dataclass(frozen=True, slots=True)
class Pressed:
    """A button press read from a ``block_actions`` payload."""

    action_id: str
    value: str
    channel_id: str | None
    channel_name: str
    message_ts: str | None
    in_home: bool
    in_modal: bool


def pressed(body: Mapping[str, Any]) -> Pressed | None:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        return None
    action = actions[0]
    container = _dict(body.get("container"))
    channel = _dict(body.get("channel"))
    view = _dict(body.get("view"))
    channel_id = _text(channel.get("id")) or _text(container.get("channel_id")) or None
    message_ts = _text(container.get("message_ts")) or None
    if message_ts is None and isinstance(body.get("message"), dict):
        message_ts = _text(body["message"].get("ts")) or None
    if container.get("is_ephemeral"):
        message_ts = None  # an ephemeral message cannot be updated with chat.update
    return Pressed(
        action_id=_text(action.get("action_id")),
        value=_text(action.get("value")),
        channel_id=channel_id,
        channel_name=_text(channel.get("name")),
        message_ts=message_ts,
        in_home=view.get("type") == "home",
        in_modal=view.get("type") == "modal",
    )


def action_incoming(body: Mapping[str, Any], sender: Sender, press: Pressed, *, actor: Person) -> Incoming:
    return Incoming(
        place=place(sender, press.channel_id, press.channel_name),
        actor=actor,
        action=press.action_id,
        action_value=press.value,
        ref={
            "response_url": _text(body.get("response_url")),
            "trigger_id": _text(body.get("trigger_id")),
            "message": {"channel": press.channel_id, "ts": press.message_ts} if press.message_ts else None,
        },
    )


def form_incoming(
    body: Mapping[str, Any],
    sender: Sender,
    origin: FormOrigin,
    found: FormAnswers,
    *,
    actor: Person,
    people: Mapping[str, Person],
) -> Incoming:
    """A modal submission → Incoming; the channel is the one it was opened from, or the one picked."""
    channel_id = origin.channel_id or found.channel_id
    channel_name = origin.channel_name if origin.channel_id else ""
    return Incoming(
        place=place(sender, channel_id, channel_name),
        actor=actor,
        form_id=origin.form_id,
        form_values=dict(found.values),
        form_context=origin.context,
        people=dict(people),
        ref={"trigger_id": _text(body.get("trigger_id"))},
    )


def delivery_key(body: Mapping[str, Any]) -> str | None:
    """A unique id for one delivery from Slack, the same on every retry of it."""
    event_id = body.get("event_id")
    if isinstance(event_id, str) and event_id:
        return f"event:{event_id}"
    trigger = body.get("trigger_id")
    if isinstance(trigger, str) and trigger:
        kind = body.get("type") if isinstance(body.get("type"), str) else "command"
        return f"{kind}:{trigger}"
    return None
