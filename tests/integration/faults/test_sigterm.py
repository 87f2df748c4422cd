"""SIGTERM to ``customer-moment serve``: in-flight requests finish, claims are released, exit 0 within 10 s.

The server runs as a real process (the console command) on a free port against the run's PostgreSQL
database, with fake Slack and a fake Bot Connector. At the moment of the signal:

* a Teams activity is in flight (its reply to the connector is slow and retried);
* a Slack command's work after the ack is in flight (its Web API calls hang);
* the server's scheduler holds the lease of an agenda card whose post hangs at Slack.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select, update

from adapters.runtime import Runtime
from benchmarks.common import free_port
from bot.events import Incoming, Person, Place
from bot.storage.models import AgendaItem, MeetingSeries
from tests.integration.faults import ACK_DEADLINE, ON_POSTGRES, SLACK_TOKEN, eventually
from tests.integration.slack.driver import SIGNING_SECRET, SlackDriver
from tests.integration.teams.builders import message
from tests.integration.teams.reading import content
from tests.support.db_proxy import DbProxy
from tests.support.fake_connector import FakeConnector
from tests.support.fake_slack import FakeSlack
from tests.support.serving import start_serving, wait_ready

pytestmark = ON_POSTGRES

EXIT_WITHIN = 10.0
SLACK_HANGS = 20.0  # longer than everything here: only a bounded shutdown gets the process out in time
TEAMS_DELAY = 2.0  # the first attempt of the in-flight Teams reply takes this long, then fails and is retried


async def a_card_due_now(runtime: Runtime) -> None:
    """A meeting series in Slack channel C1 whose card is due now (real time: the server's clock)."""
    place = Place(platform="slack", workspace_id="T1", channel_id="C1", channel_name="support")
    replies = await runtime.core.handle(
        Incoming(place=place, actor=Person("U1", "Alice"), text="schedule weekly tue 10:00 Europe/Berlin lead 30m")
    )
    assert replies[0].text.startswith("Scheduled"), replies[0].text
    now = datetime.now(UTC)
    async with runtime.sessions.begin() as session:
        await session.execute(
            update(MeetingSeries).values(
                next_prepare_at=now - timedelta(seconds=1),
                next_post_at=now - timedelta(seconds=1),
                next_start_at=now + timedelta(minutes=30),
            )
        )


async def claimed(runtime: Runtime) -> list[AgendaItem]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(AgendaItem).where(AgendaItem.series_id.is_not(None))))


@pytest.fixture
async def server(
    runtime: Runtime, database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str, Path]]:
    """``customer-moment serve`` on a free port; its database is reached through this test's proxy."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLACK_API_URL": fake_slack.api_url,
        "MICROSOFT_APP_ID": "",
        "TEAMS_DEV_NO_AUTH": "true",  # Teams served without a token, replying to the local fake
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "INFO",
        "SCHEDULER_INTERVAL_SECONDS": "0.2",
    }
    log = tmp_path / "serve.log"
    process = await start_serving([], env=env, cwd=tmp_path, log=log)
    base_url = f"http://127.0.0.1:{port}/"
    try:
        await wait_ready(process, base_url, log)
        yield process, base_url, log
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_sigterm_lets_in_flight_work_finish_releases_claims_and_exits_0_within_10s(
    runtime: Runtime,
    server: tuple[asyncio.subprocess.Process, str, Path],
    fake_slack: FakeSlack,
    connector: FakeConnector,
) -> None:
    process, base_url, log = server
    fake_slack.slow("chat.postMessage", SLACK_HANGS)
    fake_slack.slow("conversations.open", SLACK_HANGS)
    await a_card_due_now(runtime)

    async def card_in_flight() -> bool:
        items = await claimed(runtime)
        return bool(items) and items[0].locked_by is not None and bool(fake_slack.calls_to("chat.postMessage"))

    assert await eventually(card_in_flight, within=20), log.read_text()

    async with aiohttp.ClientSession() as http:
        slack = SlackDriver(base_url=base_url, fake=fake_slack, surface=None, session=http)  # type: ignore[arg-type]
        for text in ("help", "queue", "shoutout <@U2|bob> stayed late to call the customer back twice"):
            started = time.monotonic()
            await slack.command(text, settle=False)
            assert time.monotonic() - started < ACK_DEADLINE
        answer = await http.post(base_url + "api/messages", json=message("help", connector.url))
        assert answer.status == 200

        connector.clear()
        connector.fail_next(1, 503, delay=TEAMS_DELAY, only="POST")
        in_flight = asyncio.create_task(http.post(base_url + "api/messages", json=message("queue", connector.url)))

        async def reply_started() -> bool:
            return bool(connector.posts())

        assert await eventually(reply_started, within=5)
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()

        response = await asyncio.wait_for(in_flight, timeout=EXIT_WITHIN)
        assert response.status == 200  # the activity in flight was finished, not cut off
        assert len(connector.posts()) == 2  # the failed attempt and the retry that delivered the reply
        assert content(connector.posts()[-1])  # and the reply reached Teams

        code = await asyncio.wait_for(process.wait(), timeout=EXIT_WITHIN + 5)
        took = time.monotonic() - signalled
    output = log.read_text()
    assert code == 0, output
    assert took < EXIT_WITHIN, f"exit took {took:.1f}s\n{output}"
    assert "Traceback" not in output, output
    (item,) = await claimed(runtime)
    assert item.locked_by is None  # released for another worker at once, not held until the lease runs out
    assert item.state == "scheduled"


async def test_sigterm_during_a_database_outage_still_exits_0_within_10s(
    runtime: Runtime, server: tuple[asyncio.subprocess.Process, str, Path], fake_slack: FakeSlack, proxy: DbProxy
) -> None:
    process, base_url, log = server
    await proxy.cut()
    async with aiohttp.ClientSession() as http:
        slack = SlackDriver(base_url=base_url, fake=fake_slack, surface=None, session=http)  # type: ignore[arg-type]
        started = time.monotonic()
        await slack.command("help", settle=False)
        assert time.monotonic() - started < ACK_DEADLINE

        async def answered() -> bool:
            return bool(fake_slack.responses)

        assert await eventually(answered, within=ACK_DEADLINE)
    process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    code = await asyncio.wait_for(process.wait(), timeout=EXIT_WITHIN + 5)
    took = time.monotonic() - signalled
    output = log.read_text()
    assert (code, took < EXIT_WITHIN) == (0, True), f"exit {code} after {took:.1f}s\n{output}"
    assert "could not release the scheduler's claims" in output  # said plainly, not as a crash
    await proxy.restore()
