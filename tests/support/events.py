"""Builders for neutral incoming events, as the console or any surface would make them."""

from __future__ import annotations

from typing import Any

from bot.events import Incoming, Person, Place


def place(
    workspace: str = "acme", channel: str | None = "support", *, platform: str = "console", canvases: bool = False
) -> Place:
    return Place(
        platform=platform,
        workspace_id=workspace,
        workspace_name=workspace.title(),
        channel_id=channel,
        channel_name=f"#{channel}" if channel else "",
        direct=channel is None,
        canvases=canvases,
    )


def said(text: str, actor: str = "alice", **where: Any) -> Incoming:
    return Incoming(place=place(**where), actor=Person(actor, actor), text=text)


def pressed(action: str, value: str, actor: str = "alice", **where: Any) -> Incoming:
    return Incoming(place=place(**where), actor=Person(actor, actor), action=action, action_value=value)


def submitted(form_id: str, values: dict[str, Any], actor: str = "alice", context: str = "", **where: Any) -> Incoming:
    return Incoming(
        place=place(**where), actor=Person(actor, actor), form_id=form_id, form_values=values, form_context=context
    )
