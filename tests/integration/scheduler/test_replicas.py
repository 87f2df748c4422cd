"""Several worker processes on one PostgreSQL, posting through the real Slack surface to a fake Slack.

Every occurrence is posted exactly once — also when workers are killed with SIGKILL at random moments
and restarted.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from adapters.runtime import Runtime
from bot.events import Incoming, Person, Place
from bot.storage.models import AgendaItem, MeetingSeries, Team
from tests.support.clock import FakeClock
from tests.support.databases import POSTGRES_URL
from tests.support.fake_slack import FakeSlack

pytestmark = [
    pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (CM_TEST_POSTGRES_URL)"),
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]

CHANNELS = 100
PER_CHANNEL = 10
TOKEN = "xoxb-replicas"
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    fake.add_workspace(TOKEN, "T1", "Replicas Inc")
    yield fake
    await fake.close()


async def seed(runtime: Runtime, clock: FakeClock) -> None:
    """100 channels with 10 weekly meetings each, all due to be posted now, starting within the hour."""
    clock.now = datetime.now(UTC)
    for n in range(CHANNELS):
        place = Place(platform="slack", workspace_id="T1", channel_id=f"C{n:04d}", channel_name=f"team-{n}")
        await runtime.core.handle(Incoming(place=place, actor=Person("U1", "alice"), text="help"))
    now = clock.now
    async with runtime.sessions.begin() as session:
        teams = list(await session.scalars(select(Team).order_by(Team.id)))
        rows = []
        for team in teams:
            for k in range(PER_CHANNEL):
                start = now + timedelta(minutes=30 + k)
                rows.append(
                    {
                        "workspace_id": team.workspace_id,
                        "team_id": team.id,
                        "organizer_id": None,
                        "rule": f"FREQ=WEEKLY;BYDAY={start.strftime('%a')[:2].upper()}",
                        "at": start.strftime("%H:%M"),
                        "zone": "UTC",
                        "anchor": date.today().isoformat(),
                        "lead_minutes": 31 + k,
                        "skip_dates": [],
                        "state": "active",
                        "remind_minutes": 0,
                        "next_start_at": start,
                        "next_post_at": now - timedelta(seconds=1),
                        "next_prepare_at": now - timedelta(seconds=1),
                        "created_at": now,
                    }
                )
        await session.execute(insert(MeetingSeries), rows)


async def start_worker(database_url: str, slack: FakeSlack) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": slack.api_url,
        "SCHEDULER_INTERVAL_SECONDS": "0.2",
        "SCHEDULER_LEASE_SECONDS": "3",
        "LOG_LEVEL": "WARNING",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "adapters.cli.main",
        "worker",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def posted_count(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).where(AgendaItem.state == "posted")) or 0)


async def wait_until_posted(runtime: Runtime, *, seconds: float) -> None:
    for _ in range(int(seconds * 2)):
        if await posted_count(runtime) >= CHANNELS * PER_CHANNEL:
            return
        await asyncio.sleep(0.5)


def agenda_keys(slack: FakeSlack) -> Counter[str]:
    keys: Counter[str] = Counter()
    for messages in slack.messages.values():
        for message in messages:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if str(payload.get("key", "")).startswith("agenda:"):
                keys[payload["key"]] += 1
    return keys


async def stop_all(workers: list[asyncio.subprocess.Process]) -> None:
    for worker in workers:
        if worker.returncode is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        await asyncio.wait_for(worker.wait(), timeout=20)


async def test_three_workers_post_a_thousand_occurrences_exactly_once(
    runtime: Runtime, clock: FakeClock, slack: FakeSlack, database_url: str
) -> None:
    await seed(runtime, clock)
    workers = [await start_worker(database_url, slack) for _ in range(3)]
    try:
        await wait_until_posted(runtime, seconds=240)
    finally:
        await stop_all(workers)
    keys = agenda_keys(slack)
    assert await posted_count(runtime) == CHANNELS * PER_CHANNEL
    assert len(keys) == CHANNELS * PER_CHANNEL
    assert [key for key, times in keys.items() if times > 1] == []
    assert [w.returncode for w in workers] == [0, 0, 0]  # SIGTERM: a clean exit


async def test_workers_killed_at_random_lose_nothing_and_post_nothing_twice(
    runtime: Runtime, clock: FakeClock, slack: FakeSlack, database_url: str
) -> None:
    await seed(runtime, clock)
    chance = random.Random(20261123)
    workers = [await start_worker(database_url, slack) for _ in range(3)]
    kills = 0
    deadline = time.monotonic() + 300
    try:
        while await posted_count(runtime) < CHANNELS * PER_CHANNEL and time.monotonic() < deadline:
            await asyncio.sleep(chance.uniform(0.3, 1.5))
            if kills < 8:
                victim = chance.randrange(len(workers))
                workers[victim].send_signal(signal.SIGKILL)
                await workers[victim].wait()
                workers[victim] = await start_worker(database_url, slack)
                kills += 1
    finally:
        await stop_all(workers)
    keys = agenda_keys(slack)
    assert kills == 8
    assert await posted_count(runtime) == CHANNELS * PER_CHANNEL
    assert len(keys) == CHANNELS * PER_CHANNEL
    assert [key for key, times in keys.items() if times > 1] == []
