"""Requests Slack did not sign are refused; a retried delivery is acknowledged and processed once."""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlencode

from adapters.slack.acknowledgement import ACK_WAIT_SECONDS
from tests.integration.slack.driver import SlackDriver, all_text

HOME = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}


def command_body(text: str = "help", trigger: str = "t-1") -> str:
    return urlencode(
        {
            "team_id": "T1",
            "channel_id": "C1",
            "user_id": "U1",
            "command": "/moment",
            "text": text,
            "trigger_id": trigger,
        }
    )


async def test_a_bad_signature_is_refused(slack: SlackDriver) -> None:
    status, _ = await slack.send(command_body(), "application/x-www-form-urlencoded", secret="someone-else")
    assert status == 401
    await slack.settle()
    assert slack.fake.calls == []


async def test_a_missing_signature_is_refused(slack: SlackDriver) -> None:
    async with slack.session.post(slack.base_url + "slack/events", data=command_body()) as response:
        assert response.status == 401


async def test_a_stale_timestamp_is_refused(slack: SlackDriver) -> None:
    status, _ = await slack.send(
        command_body(), "application/x-www-form-urlencoded", timestamp=int(time.time()) - 6 * 60
    )
    assert status == 401
    assert slack.fake.calls == []


async def test_a_retried_event_is_acknowledged_and_processed_once(slack: SlackDriver) -> None:
    assert await slack.event(HOME, event_id="Ev42") == 200
    assert await slack.event(HOME, event_id="Ev42", retry=1) == 200
    assert await slack.event(HOME, event_id="Ev42", retry=2) == 200
    assert len(slack.fake.calls_to("views.publish")) == 1


async def test_a_retry_racing_the_first_delivery_is_processed_once(slack: SlackDriver) -> None:
    slack.fake.slow("users.info", 0.5)
    envelope = {"team_id": "T1", "type": "event_callback", "event_id": "Ev43", "event": HOME}
    body = json.dumps(envelope)
    first, retry = await asyncio.gather(
        slack.send(body, "application/json"),
        slack.send(body, "application/json", extra={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}),
    )
    assert first[0] == retry[0] == 200
    await slack.settle()
    assert len(slack.fake.calls_to("views.publish")) == 1


async def test_the_same_command_delivered_twice_runs_once(slack: SlackDriver) -> None:
    await slack.command("story Lost parcel | Rebooked it | Call first", trigger="trigger-same")
    await slack.command("story Lost parcel | Rebooked it | Call first", trigger="trigger-same")
    mine = await slack.command("mine")
    assert slack.said(mine).count("Lost parcel") == 1


async def test_the_acknowledgement_does_not_wait_for_slow_slack(slack: SlackDriver) -> None:
    slack.fake.slow("users.info", 2.0)
    started = time.monotonic()
    name = await slack.command("help", settle=False)
    acknowledged = time.monotonic() - started
    assert acknowledged < ACK_WAIT_SECONDS + 0.5 < 3.0  # well inside Slack's 3 s
    assert slack.responses(name) == []  # the answer was not ready: the 200 carried nothing
    await slack.settle()
    [answer] = slack.responses(name)  # it came afterwards, on the response URL
    assert "story" in all_text(answer)


async def test_a_command_from_another_workspace_than_the_tokens_reaches_no_listener(slack: SlackDriver) -> None:
    name = await slack.command("story Lost parcel | Rebooked it | Call first", team="T9")
    assert "installation" in slack.said(name).lower()
    assert slack.fake.calls_to("users.info") == []
    mine = await slack.command("mine")
    assert "Lost parcel" not in slack.said(mine)
