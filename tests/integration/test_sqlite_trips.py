"""SQLite's one-trip cursor: what a statement returns, counts and raises is what the driver says, a
statement costs one trip to the connection's thread, and a transaction's BEGIN travels with its first
statement."""

from __future__ import annotations

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


async def test_a_statement_is_one_trip_to_the_thread(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    async with engine.begin() as connection:  # BEGIN IMMEDIATE goes with the first statement
        raw: Any = await connection.get_raw_connection()
        driver = raw.driver_connection
        trips = 0
        sent = driver._execute

        async def counted(*args: Any, **kwargs: Any) -> Any:
            nonlocal trips
            trips += 1
            return await sent(*args, **kwargs)

        monkeypatch.setattr(driver, "_execute", counted)
        statements = 0

        def seen(*_args: Any) -> None:
            nonlocal statements
            statements += 1

        event.listen(engine.sync_engine, "before_cursor_execute", seen)
        for _ in range(3):
            assert (await connection.execute(text("SELECT 1"))).scalar() == 1
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
        assert statements == 3
        assert trips == 3  # SQLAlchemy's own adapter makes four: cursor, execute, fetch, close


def count_trips(driver: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    trips = [0]
    sent = driver._execute

    async def counted(*args: Any, **kwargs: Any) -> Any:
        trips[0] += 1
        return await sent(*args, **kwargs)

    monkeypatch.setattr(driver, "_execute", counted)
    return trips


async def test_begin_travels_with_the_first_statement_and_commit_goes_alone(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine.connect() as connection:
        raw: Any = await connection.get_raw_connection()
        trips = count_trips(raw.driver_connection, monkeypatch)
        async with connection.begin():
            await connection.execute(text("INSERT INTO notes (body) VALUES ('one')"))
            assert raw.driver_connection._conn.in_transaction  # the write lock is held from the first statement
            await connection.execute(text("INSERT INTO notes (body) VALUES ('two')"))
        assert trips[0] == 3  # two statements, then COMMIT
        assert not raw.driver_connection._conn.in_transaction
        async with connection.begin():
            pass  # a transaction in which nothing ran: nothing to begin, nothing to commit
        assert trips[0] == 3
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM notes"))).scalar() == 2


async def test_a_rollback_after_writes_undoes_them(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        await connection.execute(text("INSERT INTO notes (body) VALUES ('undone')"))
        await transaction.rollback()
        assert (await connection.execute(text("SELECT count(*) FROM notes"))).scalar() == 0
