"""Commands, button presses and message shortcuts are acknowledged before their listener runs.

Bolt would otherwise hold the HTTP response until its 10 ms poll sees the listener's ``ack()``; a
modal submission keeps its acknowledgement for the listener, which may put inline errors in it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest

from adapters.slack.ackfirst import AckFirst, acked_first


async def authorize(**_: Any) -> AuthorizeResult:
    return AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-T1", bot_user_id="UBOT", bot_id="B1")


def app_with(listening: asyncio.Event, release: asyncio.Event) -> AsyncApp:
    app = AsyncApp(signing_secret="secret", request_verification_enabled=False, authorize=authorize)
    app.use(AckFirst())

    async def slow(ack: AsyncAck) -> None:  # never acknowledges on its own
        listening.set()
        await release.wait()

    async def submitted(ack: AsyncAck) -> None:
        await ack(response_action="errors", errors={"what": "Please tell the story."})

    app.command("/moment")(slow)
    app.action("any")(slow)
    app.message_shortcut("make_moment")(slow)
    app.view_submission("form")(submitted)
    return app


def form_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


TEAM = {"id": "T1"}
USER = {"id": "U1", "team_id": "T1"}
COMMAND = urlencode({"command": "/moment", "text": "help", "team_id": "T1", "user_id": "U1", "channel_id": "C1"})
PRESS = form_body({"type": "block_actions", "team": TEAM, "user": USER, "actions": [{"action_id": "any"}]})
SHORTCUT = form_body(
    {"type": "message_action", "callback_id": "make_moment", "team": TEAM, "user": USER, "trigger_id": "1.2"}
)


@pytest.mark.parametrize("body", [COMMAND, PRESS, SHORTCUT], ids=["command", "button", "shortcut"])
async def test_the_response_does_not_wait_for_the_listener(body: str) -> None:
    listening, release = asyncio.Event(), asyncio.Event()
    app = app_with(listening, release)
    headers = {"content-type": ["application/x-www-form-urlencoded"]}
    response = await asyncio.wait_for(app.async_dispatch(AsyncBoltRequest(body=body, headers=headers)), 2)
    assert response.status == 200
    assert not release.is_set()
    await asyncio.wait_for(listening.wait(), 2)  # the listener still runs, after the acknowledgement
    release.set()


async def test_a_modal_submission_keeps_its_inline_errors() -> None:
    app = app_with(asyncio.Event(), asyncio.Event())
    body = form_body(
        {"type": "view_submission", "team": TEAM, "user": USER, "view": {"callback_id": "form", "type": "modal"}}
    )
    headers = {"content-type": ["application/x-www-form-urlencoded"]}
    response = await app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
    assert response.status == 200
    assert json.loads(response.body) == {"response_action": "errors", "errors": {"what": "Please tell the story."}}


@pytest.mark.parametrize(
    ("body", "first"),
    [
        ({"command": "/moment"}, True),
        ({"type": "block_actions"}, True),
        ({"type": "message_action"}, True),
        ({"type": "view_submission"}, False),
        ({"type": "block_suggestion"}, False),
        ({"type": "event_callback"}, False),
        ({}, False),
    ],
)
def test_which_requests_are_acknowledged_first(body: dict[str, object], first: bool) -> None:
    assert acked_first(body) is first
