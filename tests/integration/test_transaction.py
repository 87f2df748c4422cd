"""One unit of work (``Transaction``): committed when the block ends, undone when it raises or is
cancelled, and its connection back in the pool either way, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.storage.engine import Transaction, create_engine, session_factory


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    built = create_engine(database_url)
    async with built.begin() as connection:
        await connection.execute(text("DROP TABLE IF EXISTS unit_notes"))
        await connection.execute(text("CREATE TABLE unit_notes (id integer PRIMARY KEY, body text UNIQUE NOT NULL)"))
        await connection.execute(text("INSERT INTO unit_notes (id, body) VALUES (1, 'kept')"))
    try:
        yield built
    finally:
        async with built.begin() as connection:
            await connection.execute(text("DROP TABLE IF EXISTS unit_notes"))
        await built.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


async def bodies(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return list(await session.scalars(select(text("body")).select_from(text("unit_notes")).order_by(text("id"))))


def checked_out(engine: AsyncEngine) -> int:
    return int(engine.pool.checkedout())  # type: ignore[attr-defined]


async def add(session: AsyncSession, note_id: int, body: str) -> None:
    await session.execute(text("INSERT INTO unit_notes (id, body) VALUES (:id, :body)"), {"id": note_id, "body": body})


async def test_a_block_that_ends_is_committed(sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine) -> None:
    async with Transaction(sessions) as session:
        await add(session, 2, "second")
    assert await bodies(sessions) == ["kept", "second"]
    assert checked_out(engine) == 0


async def test_a_block_that_raises_leaves_nothing_behind(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    with pytest.raises(LookupError):
        async with Transaction(sessions) as session:
            await add(session, 2, "second")
            raise LookupError("no such thing")
    assert await bodies(sessions) == ["kept"]
    assert checked_out(engine) == 0


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "unit_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str]


async def test_a_commit_that_fails_is_raised_and_undone(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    """A unique clash found only when the commit flushes raises to the caller and keeps nothing."""
    with pytest.raises(IntegrityError):
        async with Transaction(sessions) as session:
            await add(session, 2, "second")
            session.add(Note(id=3, body="kept"))  # flushed by the commit, where it clashes
    assert await bodies(sessions) == ["kept"]
    assert checked_out(engine) == 0


async def test_a_cancelled_block_is_undone_and_its_connection_returned(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    inside = asyncio.Event()

    async def unit() -> None:
        async with Transaction(sessions) as session:
            await add(session, 2, "second")
            inside.set()
            await asyncio.Event().wait()  # until cancelled

    task = asyncio.create_task(unit())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await bodies(sessions) == ["kept"]
    assert checked_out(engine) == 0
