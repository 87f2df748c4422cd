"""The pool's checkout check: dead connections are replaced before use, busy ones are not pinged.

A real PostgreSQL behind :class:`DbProxy`; what the engine sends is read from asyncpg's query log.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import engine as storage
from tests.integration.faults import ON_POSTGRES
from tests.support.db_proxy import DbProxy

pytestmark = ON_POSTGRES

PING = "SELECT 1"
TRANSACTION_CONTROL = {"BEGIN;", "COMMIT;", "ROLLBACK;"}


class Sent:
    """Every statement the engine's connections sent, in order."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.queries: list[str] = []  # the driver's own statements (the ping) and the engine's
        self.driver: list[str] = []  # only the former, transaction control left out
        event.listen(engine.sync_engine, "connect", self._connected)
        event.listen(engine.sync_engine, "before_cursor_execute", self._executing)

    def _connected(self, dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(self._logged)

    def _logged(self, logged: Any) -> None:
        if logged.query not in TRANSACTION_CONTROL:
            self.queries.append(logged.query)
            self.driver.append(logged.query)

    def _executing(self, _connection: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        self.queries.append(statement)

    def pings(self) -> int:
        return self.queries.count(PING)


@pytest.fixture
async def proxy() -> AsyncIterator[DbProxy]:
    async with DbProxy() as started:
        yield started


@pytest.fixture
async def pool(postgres_url: str, proxy: DbProxy) -> AsyncIterator[AsyncEngine]:
    engine = storage.create_engine(proxy.url_for(postgres_url), pool_size=1)
    try:
        yield engine
    finally:
        await engine.dispose()


async def answer(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT 41 + 1"))).scalar_one())


async def test_a_connection_just_handed_back_is_reused_without_a_ping(pool: AsyncEngine) -> None:
    sent = Sent(pool)
    for _ in range(5):
        assert await answer(pool) == 42
    await asyncio.sleep(0)
    assert sent.driver == []
    assert sent.queries.count("SELECT 41 + 1") == 5


async def test_a_connection_idle_past_the_window_is_pinged_once_per_checkout(
    pool: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = Sent(pool)
    assert await answer(pool) == 42  # the connection is made: new connections are not pinged
    monkeypatch.setattr(storage, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert await answer(pool) == 42
    assert await answer(pool) == 42
    await asyncio.sleep(0)  # asyncpg calls its query loggers soon after the query, not at once
    assert sent.pings() == 2
    assert sent.queries.count("SELECT 41 + 1") == 3


async def test_connections_cut_while_pooled_are_replaced_before_the_next_statement(
    pool: AsyncEngine, proxy: DbProxy
) -> None:
    assert await answer(pool) == 42
    await proxy.cut()
    await proxy.restore()
    assert await answer(pool) == 42  # no error reaches the caller: the dead connection never left the pool
    assert proxy.open_connections == 1


async def test_a_dead_connection_whose_closing_went_unnoticed_fails_its_ping_and_is_replaced(
    pool: AsyncEngine, proxy: DbProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = Sent(pool)
    assert await answer(pool) == 42
    await proxy.cut()
    await proxy.restore()
    monkeypatch.setattr(asyncpg.Connection, "is_closed", lambda _self: False)
    monkeypatch.setattr(storage, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert await answer(pool) == 42
    assert sent.queries.count("SELECT 41 + 1") == 2
    assert proxy.open_connections == 1


async def test_while_the_database_is_unreachable_checkout_fails_and_the_pool_recovers_after(
    pool: AsyncEngine, proxy: DbProxy
) -> None:
    assert await answer(pool) == 42
    await proxy.cut()
    with pytest.raises(Exception) as refused:
        await answer(pool)
    assert "sqlalchemy" in type(refused.value).__module__ or isinstance(refused.value, OSError)
    await proxy.restore()
    assert await answer(pool) == 42
