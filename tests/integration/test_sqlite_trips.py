"""SQLite's one-trip cursor: what a statement returns, counts and raises is what the driver says, and a
statement costs one trip to the connection's thread."""

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
    async with engine.begin() as connection:  # BEGIN IMMEDIATE sent before counting
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
