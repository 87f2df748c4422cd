"""Inside ``serve`` the scheduler draws on a pool of its own: however busy it is, requests get connections."""

from __future__ import annotations

import asyncio
import contextlib

from adapters.composition import build_scheduler
from adapters.runtime import Runtime
from bot.storage.engine import SCHEDULER_POOL_SIZE, is_sqlite
from tests.integration.core import text
from tests.support.events import said


async def test_requests_are_answered_while_the_scheduler_holds_every_connection_of_its_pool(runtime: Runtime) -> None:
    scheduler = build_scheduler(runtime, [], own_pool=True)
    engine = scheduler.own_engine
    if is_sqlite(runtime.settings.database_url):
        assert engine is None  # one process, one engine
        return
    assert engine is not None and engine.sync_engine.pool is not runtime.engine.sync_engine.pool
    try:
        async with contextlib.AsyncExitStack() as held:
            for _ in range(SCHEDULER_POOL_SIZE):
                await held.enter_async_context(engine.connect())
            assert engine.sync_engine.pool.checkedout() == SCHEDULER_POOL_SIZE
            replies = await asyncio.wait_for(runtime.core.handle(said("help")), timeout=5)
            assert "story" in text(replies)
            assert runtime.engine.sync_engine.pool.checkedout() == 0  # the request's connection went back
    finally:
        await scheduler.close()
