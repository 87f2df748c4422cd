"""``/moment`` and button presses taken past Bolt's dispatch: only those, only when authorized."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, cast
from urllib.parse import urlencode

import pytest
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize, AsyncCallableAuthorize
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.http.overload import BUSY, Busy
from adapters.slack.acknowledgement import WORK_SECONDS, Acknowledgement
from adapters.slack.fastpath import FastPath
from adapters.slack.overload import FAILED_ACKNOWLEDGEMENT


class Asked:
    """An ``authorize`` function for workspace T1 and its bot token; records what it was asked; can fail."""

    def __init__(self, *, fails: Exception | None = None) -> None:
        self.asked: list[tuple[str | None, str | None, str | None]] = []
        self.fails = fails

    async def answer(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult | None:
        self.asked.append((enterprise_id, team_id, user_id))
        if self.fails is not None:
            raise self.fails
        if team_id != "T1":
            return None
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-t1", user_id=user_id)


def authorizer(*, fails: Exception | None = None) -> tuple[AsyncAuthorize, Asked]:
    """Bolt's own wrapper around a function, as the app uses in token mode: it reads the request context."""
    asked = Asked(fails=fails)

    async def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult | None:
        return await asked.answer(enterprise_id, team_id, user_id)

    return AsyncCallableAuthorize(logger=logging.getLogger("test"), func=cast(Any, authorize)), asked


class Recorder:
    def __init__(self, *, raises: Exception | None = None, carries: dict[str, Any] | None = None) -> None:
        self.answered: list[tuple[str, dict[str, Any], str | None]] = []
        self.errors: list[tuple[Exception, dict[str, Any], AsyncWebClient | None]] = []
        self.workspaces: list[str | None] = []  # the workspace each listener's client calls for
        self.done = asyncio.Event()
        self.failed = asyncio.Event()
        self.raises = raises
        self.carries = carries  # what the command listener offers its acknowledgement
        self.carried: bool | None = None

    async def command(self, body: dict[str, Any], client: AsyncWebClient, ack: Acknowledgement) -> None:
        if self.carries is not None:
            self.carried = ack.carry(self.carries)
        await self._answered("command", body, client)

    async def press(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        await self._answered("press", body, client)

    async def _answered(self, kind: str, body: dict[str, Any], client: AsyncWebClient) -> None:
        self.answered.append((kind, body, client.token))
        self.workspaces.append(client.default_params.get("team_id"))
        self.done.set()
        if self.raises is not None:
            raise self.raises

    async def on_error(
        self, error: Exception, body: dict[str, Any], client: AsyncWebClient | None = None, _response: object = None
    ) -> None:
        self.errors.append((error, body, client))
        self.failed.set()


def fast(authorize: AsyncAuthorize, recorder: Recorder) -> FastPath:
    return FastPath(
        command="/moment",
        on_command=recorder.command,
        on_press=recorder.press,
        authorize=authorize,
        client_for=lambda token, team_id: AsyncWebClient(token=token, team_id=team_id),
        on_error=recorder.on_error,
    )


def form(**fields: str) -> AsyncBoltRequest:
    values = {"command": "/moment", "text": "queue", "team_id": "T1", "user_id": "U1", "response_url": "https://x/r"}
    return AsyncBoltRequest(body=urlencode({**values, **fields}), headers={})


async def test_the_apps_command_is_answered_by_its_listener_with_the_workspaces_token() -> None:
    (authorize, asked), recorder = authorizer(), Recorder()
    assert await fast(authorize, recorder).take(form(text="story A customer called"))
    await asyncio.wait_for(recorder.done.wait(), 5)
    (kind, body, token), *more = recorder.answered
    assert (kind, body["text"], token, more) == ("command", "story A customer called", "xoxb-t1", [])
    assert recorder.workspaces == ["T1"]
    assert asked.asked == [(None, "T1", "U1")]


async def test_a_button_press_is_answered_by_its_listener_with_the_workspaces_token() -> None:
    (authorize, asked), recorder = authorizer(), Recorder()
    press = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U2", "team_id": "T1"},
        "actions": [{"action_id": "vote.helpful", "value": "7"}],
    }
    assert await fast(authorize, recorder).take(AsyncBoltRequest(body=json.dumps(press), headers={}))
    await asyncio.wait_for(recorder.done.wait(), 5)
    [(kind, body, token)] = recorder.answered
    assert (kind, body["actions"][0]["value"], token) == ("press", "7", "xoxb-t1")
    assert asked.asked == [(None, "T1", "U2")]


@pytest.mark.parametrize(
    "request_",
    [
        form(command="/other"),
        form(ssl_check="1"),
        AsyncBoltRequest(body='{"type": "view_submission", "team": {"id": "T1"}, "view": {}}', headers={}),
        AsyncBoltRequest(body='{"type": "message_action", "team": {"id": "T1"}}', headers={}),
        AsyncBoltRequest(body='{"type": "event_callback", "team_id": "T1", "event": {}}', headers={}),
    ],
    ids=["another command", "an SSL check", "a form", "a message shortcut", "an event"],
)
async def test_anything_else_is_left_to_bolt(request_: AsyncBoltRequest) -> None:
    (authorize, asked), recorder = authorizer(), Recorder()
    assert not await fast(authorize, recorder).take(request_)
    assert asked.asked == []


async def test_a_workspace_without_authorization_is_left_to_bolt() -> None:
    (authorize, _), recorder = authorizer(), Recorder()
    assert not await fast(authorize, recorder).take(form(team_id="T2"))
    await asyncio.sleep(0)
    assert recorder.answered == []


async def test_a_failing_authorization_is_left_to_bolt() -> None:
    recorder = Recorder()
    assert not await fast(authorizer(fails=OSError("store unreachable"))[0], recorder).take(form())
    assert recorder.answered == []


async def test_what_a_press_listener_raises_goes_to_the_error_handler_with_the_body() -> None:
    failure = RuntimeError("a bug")
    recorder = Recorder(raises=failure)
    press = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U2"}, "actions": []}
    assert await fast(authorizer()[0], recorder).take(AsyncBoltRequest(body=json.dumps(press), headers={}))
    await asyncio.wait_for(recorder.failed.wait(), 5)
    ((error, body, client),) = recorder.errors
    assert error is failure and body["type"] == "block_actions"
    assert client is not None and client.token, "with the request's client, which holds the workspace's token"


async def test_a_commands_acknowledgement_carries_the_first_answer_its_listener_offers() -> None:
    recorder = Recorder(carries={"response_type": "ephemeral", "text": "Your queue"})
    acknowledgement = await fast(authorizer()[0], recorder).take(form())
    assert acknowledgement is not None
    assert await asyncio.wait_for(acknowledgement.body(), 5) == {"response_type": "ephemeral", "text": "Your queue"}
    assert recorder.carried is True
    assert not acknowledgement.carry({"text": "a second answer"}), "a second answer goes its own way"


async def test_a_command_that_offers_nothing_is_acknowledged_empty_once_its_listener_is_done() -> None:
    recorder = Recorder()
    acknowledgement = await fast(authorizer()[0], recorder).take(form())
    assert acknowledgement is not None
    assert await asyncio.wait_for(acknowledgement.body(), 5) is None
    assert recorder.answered


async def test_a_button_press_is_acknowledged_empty_at_once() -> None:
    recorder = Recorder(carries={"text": "not for a press"})
    press = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U2"}, "actions": []}
    acknowledgement = await fast(authorizer()[0], recorder).take(AsyncBoltRequest(body=json.dumps(press), headers={}))
    assert acknowledgement is not None
    assert await acknowledgement.body() is None  # before the listener has even started
    await asyncio.wait_for(recorder.done.wait(), 5)


async def test_a_shed_command_carries_the_busy_answer_in_its_acknowledgement() -> None:
    recorder = Recorder(raises=Busy())
    acknowledgement = await fast(authorizer()[0], recorder).take(form())
    assert acknowledgement is not None
    carried = await asyncio.wait_for(acknowledgement.body(), 5)
    assert carried == {"response_type": "ephemeral", "text": BUSY}
    assert recorder.errors == [], "the error handler would post it to the response URL a second time"


@pytest.mark.parametrize("raised", [Busy(), RuntimeError("a bug")], ids=["shed", "failed"])
async def test_a_command_shed_or_failing_after_its_acknowledgement_went_out_is_left_to_the_error_handler(
    raised: Exception,
) -> None:
    recorder = Recorder(raises=raised, carries={"response_type": "ephemeral", "text": "first"})
    acknowledgement = await fast(authorizer()[0], recorder).take(form())
    assert acknowledgement is not None
    assert await asyncio.wait_for(acknowledgement.body(), 5) == {"response_type": "ephemeral", "text": "first"}
    await asyncio.wait_for(recorder.failed.wait(), 5)
    assert recorder.errors[0][0] is raised


async def test_an_answer_not_ready_in_time_leaves_the_acknowledgement_empty() -> None:
    acknowledgement = Acknowledgement(within=0.01)
    assert await asyncio.wait_for(acknowledgement.body(), 5) is None
    assert not acknowledgement.carry({"text": "too late"})


async def test_a_commands_work_may_wait_for_a_slot_only_while_its_acknowledgement_can_carry_the_answer() -> None:
    acknowledgement = Acknowledgement(within=0.3)
    wait = acknowledgement.slot_wait()
    assert wait is not None and 0.15 < wait <= 0.3 - WORK_SECONDS, "the wait leaves time for the work"
    time.sleep(0.3)  # noqa: ASYNC251 - the loop held past the deadline, before its timer could send the acknowledgement
    assert acknowledgement.slot_wait() is None, "past the deadline: the work waits as any answer after its 200"
    assert await asyncio.wait_for(acknowledgement.body(), 5) is None


async def test_a_sent_acknowledgement_leaves_no_wait_to_its_work() -> None:
    carried = Acknowledgement(within=5)
    assert carried.carry({"text": "answer"})
    assert carried.slot_wait() is None
    pressed = Acknowledgement(within=None)
    assert pressed.slot_wait() is None


async def test_a_command_whose_listener_fails_carries_the_failure_notice_instead_of_an_empty_acknowledgement() -> None:
    recorder = Recorder(raises=RuntimeError("a bug"))
    acknowledgement = await fast(authorizer()[0], recorder).take(form())
    assert acknowledgement is not None
    carried = await asyncio.wait_for(acknowledgement.body(), 5)
    assert carried == FAILED_ACKNOWLEDGEMENT and "Something went wrong" in carried["text"]
    assert recorder.errors == [], "the error handler would tell the person a second time"
