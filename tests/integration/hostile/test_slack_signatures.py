"""Requests that Slack did not sign: refused with a 401 before anything reads them, and never logged.

A forger controls every header and the body: a timestamp that is not a whole number of seconds, a
signature of the wrong shape, or a body full of someone's story. None of it may reach a 500, a
traceback, the database, the Web API or a log line — through the real server.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from adapters.runtime import Runtime
from tests.integration.hostile.support import slack_signature, table_counts
from tests.integration.slack.driver import SlackDriver

BOLT_VERIFICATION = "slack_bolt.RequestVerification"
SECRET_STORY = "Herr Brandauer of Brandauer Logistik shouted at Ines about parcel 44-1812"


def command_body() -> bytes:
    return urlencode(
        {
            "team_id": "T1",
            "channel_id": "C1",
            "user_id": "U1",
            "command": "/moment",
            "text": f"story {SECRET_STORY} lesson: call first",
            "trigger_id": "t-1",
        }
    ).encode()


@contextlib.contextmanager
def everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every log line at DEBUG, Bolt's too (Bolt fixes its loggers' levels when the app is built)."""
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger=BOLT_VERIFICATION):
        yield


async def post(slack: SlackDriver, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    async with slack.session.post(slack.base_url + "slack/events", data=body, headers=headers) as response:
        return response.status, await response.text()


@pytest.mark.parametrize(
    "timestamp",
    ["abc", "1e3", "", " ", "-1", "+1700000000", "1700000000.5", "٣٤٥", "9" * 40, "0x10", "1_000"],
)
async def test_a_timestamp_that_is_not_whole_seconds_is_refused_with_401(
    slack: SlackDriver, runtime: Runtime, caplog: pytest.LogCaptureFixture, timestamp: str
) -> None:
    body = command_body()
    before = await table_counts(runtime.engine)
    with everything_logged(caplog):
        status, _ = await post(
            slack,
            body,
            {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": slack_signature(body, timestamp=timestamp)},
        )
        await slack.settle()
    assert status == 401
    assert await table_counts(runtime.engine) == before
    assert slack.fake.calls == []
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)
    assert "Brandauer" not in caplog.text


@pytest.mark.parametrize(
    "signature",
    ["", "v0=", "v0=" + "0" * 64, "v1=" + "a" * 64, "v0=" + "g" * 64, "v0=" + "a" * 6400],
)
async def test_a_bad_signature_is_refused_and_its_body_is_not_logged(
    slack: SlackDriver, runtime: Runtime, caplog: pytest.LogCaptureFixture, signature: str
) -> None:
    before = await table_counts(runtime.engine)
    with everything_logged(caplog):
        status, _ = await post(
            slack, command_body(), {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": signature}
        )
        await slack.settle()
    assert status == 401
    assert await table_counts(runtime.engine) == before
    assert slack.fake.calls == []
    assert "Brandauer" not in caplog.text
    assert any("unsigned request refused" in r.getMessage() for r in caplog.records)


async def test_a_body_signed_with_another_secret_is_not_logged(
    slack: SlackDriver, caplog: pytest.LogCaptureFixture
) -> None:
    body, stamp = command_body(), str(int(time.time()))
    with everything_logged(caplog):
        status, _ = await post(
            slack,
            body,
            {
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": slack_signature(body, timestamp=stamp, secret="not-the-app"),
            },
        )
    assert status == 401
    assert "Brandauer" not in caplog.text


async def test_a_signed_request_still_works(slack: SlackDriver) -> None:
    body, stamp = command_body(), str(int(time.time()))
    status, _ = await post(
        slack, body, {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": slack_signature(body, timestamp=stamp)}
    )
    assert status == 200
