"""The scheduler across a database outage: its loop logs and carries on, then posts every due card exactly once.

The dispatcher runs its real ``run`` loop (a short interval) against the proxied database, with a fake
clock for the meeting times and a recording surface for the posts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from adapters.runtime import Runtime
from bot.replies import Reply
from bot.scheduler.dispatcher import Dispatcher
from bot.storage.models import AgendaItem
from tests.integration.faults import ON_POSTGRES, eventually
from tests.support.clock import FakeClock
from tests.support.db_proxy import DbProxy
from tests.support.events import said
from tests.support.fake_surface import RecordingSurface

pytestmark = ON_POSTGRES

# Monday 23 Nov 2026, 09:00 UTC (the fake clock's start); meetings on Tuesday, posted 30 minutes before.
MEETING = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POST = MEETING - timedelta(minutes=30)
CHANNELS = tuple(f"support-{n}" for n in range(5))  # one weekly meeting each, Tuesday 10:00 Berlin
OUTAGE = 2.0  # seconds; the load script demonstrates 30 s (benchmarks/load.py --db-outage 30)
LEASE = timedelta(minutes=2)


async def no_sleep(_seconds: float) -> None:
    return None


def dispatcher(runtime: Runtime, clock: FakeClock, surface: RecordingSurface) -> Dispatcher:
    return Dispatcher(
        sessions=runtime.sessions, surfaces={"console": surface}, clock=clock, worker="w1", lease=LEASE, sleep=no_sleep
    )


async def schedule_meetings(runtime: Runtime) -> None:
    """The same weekly meeting in several channels (a channel has one recurring meeting)."""
    for channel in CHANNELS:
        replies = await runtime.core.handle(said("schedule weekly tue 10:00 Europe/Berlin lead 30m", channel=channel))
        assert replies[0].text.startswith("Scheduled"), replies[0].text


async def agenda(runtime: Runtime) -> list[AgendaItem]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(AgendaItem).order_by(AgendaItem.starts_at)))


def card_keys(surface: RecordingSurface) -> Counter[str]:
    return Counter(p.reply.message.key for p in surface.cards if p.reply.message is not None)


def failed_passes(records: Sequence[logging.LogRecord]) -> int:
    return sum(1 for r in records if r.getMessage().startswith("scheduler pass failed"))


@dataclass
class CuttingSurface(RecordingSurface):
    """Posts like the recording surface, then runs ``after_first_card`` once: the database dies right after
    a card went out and before the dispatcher could record it."""

    after_first_card: Callable[[], Awaitable[None]] | None = None

    async def deliver(self, *, workspace_id: str, channel_id: str | None, replies: Sequence[Reply]) -> list[Any]:
        refs = await super().deliver(workspace_id=workspace_id, channel_id=channel_id, replies=replies)
        if not any(reply.card is not None and reply.message is not None for reply in replies):
            return refs  # a notice (the pool's invitation, a reminder): not the card this fault is about
        hook, self.after_first_card = self.after_first_card, None
        if hook is not None:
            await hook()
        return refs


async def stop(worker: Dispatcher, loop: asyncio.Task[None]) -> None:
    worker.stop()
    await asyncio.wait_for(loop, timeout=10)  # re-raises anything fatal from the loop


async def test_the_loop_survives_an_outage_and_then_posts_every_due_card_exactly_once(
    runtime: Runtime, clock: FakeClock, proxy: DbProxy, caplog: pytest.LogCaptureFixture
) -> None:
    await schedule_meetings(runtime)
    surface = RecordingSurface()
    worker = dispatcher(runtime, clock, surface)
    clock.now = POST + timedelta(minutes=5)  # every card is due; no meeting has started
    caplog.set_level(logging.INFO, logger="bot.scheduler.dispatcher")
    await proxy.cut()
    loop = asyncio.create_task(worker.run(interval=0.05))
    cut_at = time.monotonic()

    async def outage_seen() -> bool:
        return failed_passes(caplog.records) >= 3 and time.monotonic() - cut_at >= OUTAGE

    assert await eventually(outage_seen, within=20)
    assert not loop.done()  # nothing fatal: the loop logs and tries again
    assert surface.posts == []
    await proxy.restore()

    async def all_posted() -> bool:
        return len(surface.cards) >= len(CHANNELS)

    assert await eventually(all_posted, within=20)
    await stop(worker, loop)
    keys = card_keys(surface)
    assert len(keys) == len(CHANNELS) and set(keys.values()) == {1}
    items = await agenda(runtime)
    assert [i.state for i in items] == ["posted"] * len(CHANNELS)
    assert all(i.locked_by is None for i in items)


async def test_an_outage_between_posting_and_recording_causes_no_duplicate_and_no_loss(
    runtime: Runtime, clock: FakeClock, proxy: DbProxy, caplog: pytest.LogCaptureFixture
) -> None:
    """The first card goes out, then the database dies before the post is recorded; after the outage and the
    lease, the worker finds that card in the channel and records it instead of posting it again."""
    await schedule_meetings(runtime)
    surface = CuttingSurface(after_first_card=proxy.cut)
    worker = dispatcher(runtime, clock, surface)
    clock.now = POST + timedelta(minutes=5)
    caplog.set_level(logging.INFO, logger="bot.scheduler.dispatcher")
    loop = asyncio.create_task(worker.run(interval=0.05))

    async def outage_seen() -> bool:
        return proxy.is_cut and failed_passes(caplog.records) >= 3

    assert await eventually(outage_seen, within=20)
    assert not loop.done()
    posted_during = len(surface.cards)
    assert posted_during >= 1
    await proxy.restore()
    clock.advance(LEASE + timedelta(seconds=1))  # leases held when the database died have run out

    async def all_recorded() -> bool:
        return [i.state for i in await agenda(runtime)] == ["posted"] * len(CHANNELS)

    assert await eventually(all_recorded, within=20)
    await stop(worker, loop)
    keys = card_keys(surface)
    assert len(keys) == len(CHANNELS)
    assert [key for key, times in keys.items() if times > 1] == []
    assert any("already posted by an earlier attempt" in r.getMessage() for r in caplog.records)
    items = await agenda(runtime)
    assert all(i.locked_by is None for i in items)
    refs = {(p.channel_id, p.ts) for p in surface.cards}
    assert {(i.post_ref or {}).get("ts") for i in items} <= {ts for _, ts in refs}
