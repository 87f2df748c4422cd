"""An answer waits for a slot only so long; past the bound it is shed (Busy), and slots come back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import cast

import pytest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.http.inflight import FORMS
from adapters.http.overload import BUSY, Backlog, Busy, _Notice
from adapters.slack.overload import (
    FAILED_ANSWER,
    FAILED_SHORTCUT_ANSWER,
    error_handler,
    is_home_visit,
    kind_of,
)
from adapters.slack.surface import CONCURRENT_WORK
from adapters.teams.endpoint import CONCURRENT_TURNS
from bot.storage.engine import POOL_SIZE


async def test_an_answer_that_gets_no_slot_within_the_bound_is_shed_and_the_holder_is_unaffected() -> None:
    backlog = Backlog(limit=1, bound=0.05)
    release = asyncio.Event()

    async def hold() -> str:
        async with backlog:
            await release.wait()
            return "answered"

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)  # the holder takes the only slot
    with pytest.raises(Busy):
        async with backlog:
            raise AssertionError("the shed answer must not run")
    release.set()
    assert await holder == "answered"


async def test_once_a_slot_is_free_again_answers_run_normally() -> None:
    backlog = Backlog(limit=1, bound=0.05)
    with pytest.raises(Busy):
        async with backlog, backlog:
            pass
    ran = []
    async with backlog:
        ran.append(1)
    async with backlog:
        ran.append(2)
    assert ran == [1, 2]


async def test_a_waiting_answer_gets_the_slot_when_it_frees_within_the_bound() -> None:
    backlog = Backlog(limit=1, bound=5.0)
    release = asyncio.Event()

    async def hold() -> None:
        async with backlog:
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)

    async def wait_then_answer() -> str:
        async with backlog:
            return "answered"

    waiter = asyncio.create_task(wait_then_answer())
    await asyncio.sleep(0)
    release.set()
    assert await waiter == "answered"
    await holder


def test_the_busy_answer_says_busy_and_to_try_again() -> None:
    assert "busy" in BUSY and "try again" in BUSY


@pytest.mark.parametrize(
    ("event", "visit"),
    [
        ({"type": "app_home_opened", "user": "U1", "tab": "home"}, True),
        ({"type": "app_home_opened", "user": "U1", "tab": "messages"}, False),
        ({"type": "app_home_opened", "tab": "home"}, False),
        ({"type": "message", "user": "U1", "channel_type": "im"}, False),
    ],
)
def test_only_a_visit_to_the_home_tab_itself_gets_the_tab_with_the_busy_notice(
    event: dict[str, object], visit: bool
) -> None:
    assert is_home_visit(event) is visit


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"command": "/moment", "text": "help"}, "command"),
        ({"type": "block_actions", "actions": []}, "action"),
        ({"type": "message_action", "callback_id": "make_moment"}, "shortcut"),
        ({"type": "event_callback", "event": {"type": "app_home_opened"}}, "event"),
    ],
)
def test_what_was_shed_is_named_by_the_kind_of_request(body: dict[str, object], kind: str) -> None:
    assert kind_of(body) == kind


def test_shedding_is_noticed_in_the_log_now_and_then_not_once_per_request(caplog: pytest.LogCaptureFixture) -> None:
    notice = _Notice()
    with caplog.at_level(logging.WARNING, logger="adapters.http.overload"):
        for _ in range(50):
            notice.shed("slack", "command")
    assert len(caplog.records) == 1
    assert "busy" in caplog.records[0].getMessage()


def test_all_the_answers_a_process_runs_at_once_fit_in_its_request_pool() -> None:
    """The bounded work alone cannot fill the database pool, whose wait no busy answer cuts short."""
    assert CONCURRENT_WORK + FORMS + CONCURRENT_TURNS < POOL_SIZE


async def test_a_shed_direct_message_is_tracked_from_its_claim_to_its_busy_answer() -> None:
    """Shutdown (and tests) wait for the whole busy answer to a message: the delivery claim, a database
    write, happens inside the tracked block too."""
    inside: list[bool] = []
    depth = 0

    @contextlib.asynccontextmanager
    async def tracked() -> AsyncIterator[None]:
        nonlocal depth
        depth += 1
        try:
            yield
        finally:
            depth -= 1

    async def claim(_body: dict[str, object]) -> bool:
        inside.append(depth > 0)
        return True

    class Client:
        async def chat_postMessage(self, *, channel: str, text: str) -> None:
            inside.append(depth > 0)

    handle = error_handler(cast(AsyncWebClient, None), tracked, claim)
    event = {"type": "message", "channel_type": "im", "user": "U1", "channel": "D1", "text": "story", "ts": "1.0"}
    body = {"type": "event_callback", "team_id": "T1", "event_id": "Ev1", "event": event}
    await handle(Busy(), body, cast(AsyncWebClient, Client()))
    assert inside == [True, True], "the claim and the busy answer, both tracked"


async def test_a_busy_answer_that_fails_unexpectedly_is_logged_not_lost(caplog: pytest.LogCaptureFixture) -> None:
    """The handler runs in a task nobody awaits: whatever goes wrong sending the busy answer is logged."""

    @contextlib.asynccontextmanager
    async def tracked() -> AsyncIterator[None]:
        yield

    async def claim(_body: dict[str, object]) -> bool:
        return True

    class Client:
        async def views_publish(self, **_: object) -> None:
            raise RuntimeError("unexpected")

    handle = error_handler(cast(AsyncWebClient, None), tracked, claim)
    visit = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}
    await handle(Busy(), {"type": "event_callback", "team_id": "T1", "event": visit}, cast(AsyncWebClient, Client()))
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "busy answer failed" in record.getMessage() and record.exc_info is not None


@pytest.mark.parametrize(
    ("body", "told"),
    [
        ({"command": "/moment", "team_id": "T1", "user_id": "U1", "response_url": "https://x/r"}, FAILED_ANSWER),
        (
            {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"}, "response_url": "https://x/r"},
            FAILED_ANSWER,
        ),
        (
            {"type": "message_action", "team": {"id": "T1"}, "user": {"id": "U1"}, "response_url": "https://x/r"},
            FAILED_SHORTCUT_ANSWER,
        ),
        ({"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"}, "view": {"type": "home"}}, None),
    ],
    ids=["command", "press", "shortcut", "home-press"],
)
async def test_a_failure_after_the_acknowledgement_is_told_on_the_response_url_when_there_is_one(
    monkeypatch: pytest.MonkeyPatch, body: dict[str, object], told: dict[str, object] | None
) -> None:
    posted = await failure_handled(monkeypatch, body, response=None)
    assert posted == ([("https://x/r", told)] if told is not None else [])


async def test_a_failure_before_the_acknowledgement_is_left_to_slacks_own_error_for_the_500(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    body = {"command": "/moment", "team_id": "T1", "user_id": "U1", "response_url": "https://x/r"}
    assert await failure_handled(monkeypatch, body, response=BoltResponse(status=500)) == []
    assert any("failed in a listener" in r.getMessage() for r in caplog.records), "logged all the same"


async def failure_handled(
    monkeypatch: pytest.MonkeyPatch, body: dict[str, object], *, response: BoltResponse | None
) -> list[tuple[str, object]]:
    """What the error handler posts to response URLs for a failure (not Busy) in ``body``'s request."""
    posted: list[tuple[str, object]] = []

    async def respond(_sender: object, url: str, answer: object) -> int:
        posted.append((url, answer))
        return 200

    @contextlib.asynccontextmanager
    async def tracked() -> AsyncIterator[None]:
        yield

    async def claim(_body: dict[str, object]) -> bool:
        return True

    monkeypatch.setattr("adapters.slack.overload.respond", respond)
    handle = error_handler(cast(AsyncWebClient, None), tracked, claim)
    await handle(RuntimeError("a bug"), dict(body), None, response)
    return posted
