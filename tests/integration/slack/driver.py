"""Talk to the real server like Slack does: signed form-encoded commands, ``payload=`` interactions, JSON events."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from adapters.slack.surface import SlackSurface
from tests.support.fake_slack import FakeSlack

SIGNING_SECRET = "test-signing-secret"


def all_text(value: Any) -> str:
    """Every ``text`` string inside a block structure, joined: what a person would read."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, item in node.items():
                if key == "text" and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(value)
    return "\n".join(found)


def state_for(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The ``view.state.values`` Slack would send for a modal filled in with ``values`` (field → value)."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        kind, action = element["type"], element["action_id"]
        value = values.get(block["block_id"])
        entry: dict[str, Any] = {"type": kind}
        if kind == "plain_text_input":
            entry["value"] = value
        elif kind == "number_input":
            entry["value"] = None if value is None else str(value)
        elif kind == "static_select":
            entry["selected_option"] = None if value is None else {"value": value, "text": {"type": "plain_text"}}
        elif kind == "multi_static_select":
            entry["selected_options"] = [{"value": v} for v in value or []]
        elif kind == "multi_users_select":
            entry["selected_users"] = list(value or [])
        elif kind == "checkboxes":
            entry["selected_options"] = [{"value": "yes"}] if value else []
        elif kind == "timepicker":
            entry["selected_time"] = value
        elif kind == "conversations_select":
            entry["selected_conversation"] = value
        state[block["block_id"]] = {action: entry}
    return state


class SlackDriver:
    def __init__(self, *, base_url: str, fake: FakeSlack, surface: SlackSurface, session: aiohttp.ClientSession):
        self.base_url = base_url
        self.fake = fake
        self.surface = surface
        self.session = session
        self.verifier = SignatureVerifier(SIGNING_SECRET)
        self._ids = itertools.count(1)

    def headers(self, body: str, *, timestamp: int | None = None, secret: str | None = None) -> dict[str, str]:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        verifier = SignatureVerifier(secret) if secret is not None else self.verifier
        signature = verifier.generate_signature(timestamp=stamp, body=body)
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}

    async def send(
        self, body: str, content_type: str, *, extra: dict[str, str] | None = None, **signing: Any
    ) -> tuple[int, str]:
        headers = {"Content-Type": content_type, **self.headers(body, **signing), **(extra or {})}
        async with self.session.post(self.base_url + "slack/events", data=body.encode(), headers=headers) as response:
            return response.status, await response.text()

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    async def command(
        self,
        text: str,
        *,
        user: str = "U1",
        channel: str = "C1",
        channel_name: str = "support",
        team: str = "T1",
        trigger: str | None = None,
        settle: bool = True,
    ) -> str:
        """Run ``/moment text``; returns the name of its response_url (see ``responses``)."""
        name = self.next_id("cmd")
        form = {
            "token": "legacy",
            "team_id": team,
            "team_domain": team.lower(),
            "channel_id": channel,
            "channel_name": channel_name,
            "user_id": user,
            "user_name": user.lower(),
            "command": "/moment",
            "text": text,
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url(name),
            "trigger_id": trigger or self.next_id("trigger-"),
        }
        status, carried = await self.send(urlencode(form), "application/x-www-form-urlencoded")
        assert status == 200, status
        self.fake.acknowledged(name, carried)
        if settle:
            await self.settle()
        return name

    async def interact(self, payload: dict[str, Any], *, extra: dict[str, str] | None = None) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.send(body, "application/x-www-form-urlencoded", extra=extra)

    async def press(
        self,
        action_id: str,
        value: str,
        *,
        user: str = "U1",
        channel: str | None = "C1",
        message_ts: str | None = None,
        team: str = "T1",
        in_home: bool = False,
    ) -> str:
        name = self.next_id("act")
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": team, "domain": team.lower()},
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "api_app_id": "A1",
            "trigger_id": self.next_id("trigger-"),
            "actions": [{"type": "button", "action_id": action_id, "value": value, "block_id": "b"}],
        }
        if in_home:  # as Slack sends it: the Home tab the person is looking at, with its hash
            home = self.fake.homes.get(user)
            shown = {"blocks": home["blocks"], "hash": home["hash"]} if home else {}
            payload["container"] = {"type": "view", "view_id": "VHOME"}
            payload["view"] = {"id": "VHOME", "type": "home", **shown}
        else:
            payload["response_url"] = self.fake.response_url(name)
            payload["channel"] = {"id": channel, "name": "support"}
            payload["container"] = {"type": "message", "message_ts": message_ts, "channel_id": channel}
            if message_ts:
                payload["message"] = {"ts": message_ts}
        status, _ = await self.interact(payload)
        assert status == 200, status
        await self.settle()
        return name

    async def submit(
        self, view: dict[str, Any], values: dict[str, Any], *, user: str = "U1", team: str = "T1"
    ) -> tuple[int, dict[str, Any]]:
        payload = {
            "type": "view_submission",
            "team": {"id": team, "domain": team.lower()},
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "api_app_id": "A1",
            "trigger_id": self.next_id("trigger-"),
            "view": {
                **view,
                "id": "V1",
                "team_id": team,
                "state": {"values": state_for(view, values)},
            },
        }
        status, text = await self.interact(payload)
        await self.settle()
        return status, (json.loads(text) if text.strip() else {})

    async def event(
        self, event: dict[str, Any], *, team: str = "T1", event_id: str | None = None, retry: int | None = None
    ) -> int:
        user = str(event.get("user"))
        if event.get("type") == "app_home_opened" and event.get("tab") == "home" and user in self.fake.homes:
            home = self.fake.homes[user]  # as Slack sends a visit: the tab as it is now, once one was published
            event = {"view": {"id": "VHOME", "type": "home", "blocks": home["blocks"], "hash": home["hash"]}, **event}
        envelope = {
            "token": "legacy",
            "team_id": team,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id or self.next_id("Ev"),
            "event_time": int(time.time()),
            "event": event,
        }
        extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        status, _ = await self.send(json.dumps(envelope), "application/json", extra=extra)
        await self.settle()
        return status

    async def direct_message(
        self,
        text: str,
        *,
        user: str = "U1",
        channel: str = "DU1",
        event_id: str | None = None,
        retry: int | None = None,
        **fields: Any,
    ) -> int:
        """``user`` writes ``text`` to the bot in its Messages tab (a ``message.im`` event)."""
        event = {
            "type": "message",
            "channel": channel,
            "channel_type": "im",
            "user": user,
            "text": text,
            "ts": f"{int(time.time())}.000100",
            "event_ts": f"{int(time.time())}.000100",
            **fields,
        }
        return await self.event(event, event_id=event_id, retry=retry)

    async def shortcut(
        self,
        text: str,
        *,
        author: str | None,
        user: str = "U1",
        channel: str = "C1",
        channel_name: str = "support",
        team: str = "T1",
        trigger: str | None = None,
        **message: Any,
    ) -> int:
        """``user`` picks "Make it a Customer Moment" on a message ``author`` wrote in ``channel``."""
        payload: dict[str, Any] = {
            "type": "message_action",
            "callback_id": "make_moment",
            "team": {"id": team, "domain": team.lower()},
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "channel": {"id": channel, "name": channel_name},
            "api_app_id": "A1",
            "trigger_id": trigger or self.next_id("trigger-"),
            "response_url": self.fake.response_url(self.next_id("shortcut")),
            "message_ts": "1700000000.000001",
            "message": {"type": "message", "ts": "1700000000.000001", "text": text, **message},
        }
        if author is not None:
            payload["message"]["user"] = author
        status, _ = await self.interact(payload)
        await self.settle()
        return status

    async def settle(self) -> None:
        await asyncio.sleep(0.01)  # let listeners that Bolt scheduled after the response start
        assert await self.surface.idle(20), "Slack work did not finish"

    def opened_view(self) -> dict[str, Any]:
        view = self.fake.calls_to("views.open")[-1].params["view"]
        return json.loads(view) if isinstance(view, str) else view

    def responses(self, name: str) -> list[dict[str, Any]]:
        return [body for key, body in self.fake.responses if key == name]

    def said(self, name: str) -> str:
        return all_text(self.responses(name))
