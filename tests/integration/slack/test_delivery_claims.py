"""A Slack event is processed once by all the server processes together: its delivery is claimed in the core's
one-time claims (``slack:<workspace>:delivery:<event id>``), kept two days, then pruned with the other claims."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from adapters.runtime import Runtime
from adapters.slack.dedupe import KEEP
from bot.storage.models import OneTimeClaim
from tests.integration.slack.conftest import TOKEN, clear_slack_tables, slack_runtime, start
from tests.integration.slack.driver import SlackDriver
from tests.support.fake_slack import FakeSlack

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


def direct_message(event_id: str, text: str = "help") -> str:
    event = {"type": "message", "channel": "DU1", "channel_type": "im", "user": "U1", "text": text, "ts": "1.000100"}
    return json.dumps(
        {"team_id": "T1", "api_app_id": "A1", "type": "event_callback", "event_id": event_id, "event": event}
    )


@contextlib.asynccontextmanager
async def two_servers(runtime: Runtime, fake: FakeSlack) -> AsyncIterator[tuple[SlackDriver, SlackDriver]]:
    """Two server processes on one database: each its own surface, delivery log and work slots."""
    await clear_slack_tables(runtime)
    async with contextlib.AsyncExitStack() as stack:
        drivers = []
        for _ in range(2):
            serving = start(slack_runtime(runtime, fake, SLACK_BOT_TOKEN=TOKEN), fake)
            drivers.append(await anext(serving))
            stack.push_async_callback(serving.aclose)
        yield drivers[0], drivers[1]


async def claims_kept(runtime: Runtime) -> dict[str, datetime]:
    async with runtime.sessions() as session:
        return {row.key: row.kept_until for row in await session.scalars(select(OneTimeClaim))}


async def test_an_event_is_claimed_under_its_workspace_and_kept_two_days(slack: SlackDriver, runtime: Runtime) -> None:
    assert await slack.direct_message("help", event_id="EvKept1") == 200
    await slack.command("help")  # a command's trigger id is remembered in memory only
    [(key, until)] = (await claims_kept(runtime)).items()
    assert key == "slack:T1:delivery:EvKept1"
    assert abs(until - (datetime.now(UTC) + KEEP)) < timedelta(minutes=1)


@pytest.mark.parametrize("rounds", [3])
async def test_a_direct_message_delivered_to_two_servers_at_once_is_answered_once(
    runtime: Runtime, fake_slack: FakeSlack, rounds: int
) -> None:
    fake_slack.slow("users.info", 0.2)  # both attempts are past the retry check before either claims
    async with two_servers(runtime, fake_slack) as (first, second):
        for n in range(rounds):
            body = direct_message(f"EvBoth{n}")
            answers = await asyncio.gather(
                first.send(body, "application/json"), second.send(body, "application/json", extra=RETRY)
            )
            assert [status for status, _ in answers] == [200, 200]
            await first.settle()
            await second.settle()
        assert len(fake_slack.posted("DU1")) == rounds


async def test_a_retry_reaching_another_server_is_acknowledged_without_running_a_listener(
    runtime: Runtime, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    async with two_servers(runtime, fake_slack) as (first, second):
        assert (await first.send(direct_message("EvAcross"), "application/json"))[0] == 200
        await first.settle()
        assert len(fake_slack.posted("DU1")) == 1
        fake_slack.reset()
        with caplog.at_level(logging.INFO, logger="adapters.slack.dedupe"):
            assert (await second.send(direct_message("EvAcross"), "application/json", extra=RETRY))[0] == 200
            await second.settle()
        assert fake_slack.calls == []
        assert any("acknowledged; already processed" in r.getMessage() for r in caplog.records)
        assert len(fake_slack.posted("DU1")) == 1
