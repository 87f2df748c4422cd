"""SQLite's one-trip cursor: what a statement returns, counts and raises is what the driver says, a
statement costs one trip to the connection's thread, and a transaction's BEGIN travels with its first
statement."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.engine import create_engine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    built = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'trips.db'}")
    async with built.begin() as connection:
        await connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT UNIQUE NOT NULL)"))
    try:
        yield built
    finally:
        await built.dispose()


async def test_rows_counts_and_new_ids(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        inserted = await connection.execute(text("INSERT INTO notes (body) VALUES ('first')"))
        assert inserted.lastrowid == 1
        many = await connection.execute(text("INSERT INTO notes (body) VALUES (:body)"), [{"body": "a"}, {"body": "b"}])
        assert many.rowcount == 2
        returned = await connection.execute(text("INSERT INTO notes (body) VALUES ('c') RETURNING id, body"))
        assert returned.all() == [(4, "c")]
        updated = await connection.execute(text("UPDATE notes SET body = body || '!' WHERE id > 1"))
        assert updated.rowcount == 3
    async with engine.connect() as connection:
        result = await connection.execute(text("SELECT id, body FROM notes ORDER BY id"))
        assert list(result.keys()) == ["id", "body"]
        assert result.all() == [(1, "first"), (2, "a!"), (3, "b!"), (4, "c!")]
        empty = await connection.execute(text("SELECT id, body FROM notes WHERE id < 0"))
        assert list(empty.keys()) == ["id", "body"] and empty.all() == []


async def test_a_failed_statement_raises_and_rolls_back(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes (body) VALUES ('kept only if all went well')"))
            await connection.execute(text("INSERT INTO notes (body) VALUES ('twice'), ('twice')"))
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM notes"))).scalar() == 0


async def test_a_transactions_first_statement_is_one_trip_and_the_rest_run_here(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine.begin() as connection:  # BEGIN IMMEDIATE goes with the first statement
        raw: Any = await connection.get_raw_connection()
        trips = count_trips(raw.driver_connection, monkeypatch)
        statements = 0

        def seen(*_args: Any) -> None:
            nonlocal statements
            statements += 1

        event.listen(engine.sync_engine, "before_cursor_execute", seen)
        for _ in range(3):
            assert (await connection.execute(text("SELECT 1"))).scalar() == 1
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
        assert statements == 3
        # SQLAlchemy's own adapter makes four trips a statement (cursor, execute, fetch, close); here the first
        # statement, which takes the write lock, makes one, and the others, holding it, none.
        assert trips[0] == 1


def count_trips(driver: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    trips = [0]
    sent = driver._execute

    async def counted(*args: Any, **kwargs: Any) -> Any:
        trips[0] += 1
        return await sent(*args, **kwargs)

    monkeypatch.setattr(driver, "_execute", counted)
    return trips


async def test_begin_travels_with_the_first_statement_and_the_rest_of_the_transaction_runs_here(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine.connect() as connection:
        raw: Any = await connection.get_raw_connection()
        trips = count_trips(raw.driver_connection, monkeypatch)
        async with connection.begin():
            await connection.execute(text("INSERT INTO notes (body) VALUES ('one')"))
            assert raw.driver_connection._conn.in_transaction  # the write lock is held from the first statement
            await connection.execute(text("INSERT INTO notes (body) VALUES ('two')"))
        assert trips[0] == 1  # the first statement; the second and the COMMIT hold the lock and run here
        assert not raw.driver_connection._conn.in_transaction
        async with connection.begin():
            pass  # a transaction in which nothing ran: nothing to begin, nothing to commit
        assert trips[0] == 1
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM notes"))).scalar() == 2


async def test_a_rollback_after_writes_undoes_them(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        await connection.execute(text("INSERT INTO notes (body) VALUES ('undone')"))
        await transaction.rollback()
        assert (await connection.execute(text("SELECT count(*) FROM notes"))).scalar() == 0


async def test_a_database_without_a_write_ahead_log_sends_every_statement_to_the_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a rollback journal (a database in memory has one) a commit waits for other connections' reads to
    end: nothing of a transaction runs on the event loop."""
    memory = create_engine("sqlite+aiosqlite://")
    try:
        async with memory.connect() as connection:
            raw: Any = await connection.get_raw_connection()
            assert not raw.dbapi_connection.write_ahead_log
            trips = count_trips(raw.driver_connection, monkeypatch)
            async with connection.begin():
                await connection.execute(text("CREATE TABLE notes (body TEXT)"))
                await connection.execute(text("INSERT INTO notes (body) VALUES ('one')"))
            assert trips[0] == 3  # two statements, then COMMIT
            assert (await connection.execute(text("SELECT count(*) FROM notes"))).scalar() == 1
    finally:
        await memory.dispose()


async def test_a_failed_first_statement_leaves_the_rollback_to_the_thread_and_no_lock_held(
    engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine.connect() as connection:
        raw: Any = await connection.get_raw_connection()
        trips = count_trips(raw.driver_connection, monkeypatch)
        with pytest.raises(IntegrityError):
            async with connection.begin():
                await connection.execute(text("INSERT INTO notes (body) VALUES ('twice'), ('twice')"))
        assert trips[0] == 2  # the statement, then its rollback, after it on the thread
        assert not raw.driver_connection._conn.in_transaction
    other = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'trips.db'}")
    try:
        async with other.begin() as connection:  # the write lock is free: this does not wait
            await asyncio.wait_for(connection.execute(text("INSERT INTO notes (body) VALUES ('next')")), 5)
    finally:
        await other.dispose()
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT body FROM notes"))).scalars().all() == ["next"]


async def test_a_transaction_waits_for_another_connections_lock_while_the_holder_runs_on(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """Two engines on one file (the requests' and the scheduler's): the second transaction's first statement
    waits for the lock on its thread, while the first transaction's statements and commit, on the event
    loop, go on; then the second one runs."""
    other = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'trips.db'}")
    order: list[str] = []
    try:
        async with engine.begin() as holder:
            await holder.execute(text("INSERT INTO notes (body) VALUES ('first')"))

            async def second() -> None:
                async with other.begin() as waiting:
                    await waiting.execute(text("INSERT INTO notes (body) VALUES ('second')"))
                    order.append("second")

            waiting = asyncio.create_task(second())
            await asyncio.sleep(0.2)  # the second transaction is waiting for the lock by now
            assert not waiting.done()
            await holder.execute(text("UPDATE notes SET body = 'first!' WHERE body = 'first'"))
            order.append("first")
        await asyncio.wait_for(waiting, 10)
    finally:
        await other.dispose()
    assert order == ["first", "second"]
    async with engine.connect() as connection:
        bodies = (await connection.execute(text("SELECT body FROM notes ORDER BY id"))).scalars().all()
    assert bodies == ["first!", "second"]


async def test_a_transaction_begun_without_the_write_lock_sends_its_statements_to_the_thread(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SAVEPOINT on a connection in autocommit opens a transaction that takes the write lock only when it
    first writes (and may wait for it then): none of it runs on the event loop."""
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        raw: Any = await autocommit.get_raw_connection()
        trips = count_trips(raw.driver_connection, monkeypatch)
        async with autocommit.begin_nested():
            await autocommit.execute(text("INSERT INTO notes (body) VALUES ('saved')"))
            await autocommit.execute(text("INSERT INTO notes (body) VALUES ('again')"))
        assert trips[0] == 4  # SAVEPOINT, both statements and RELEASE, each on the thread
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM notes"))).scalar() == 2
