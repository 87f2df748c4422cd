"""PostgreSQL's lazy BEGIN: a transaction that only reads sends no BEGIN or COMMIT; the first statement
that writes, locks or sets a savepoint begins it, and everything after it commits or rolls back together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.engine import create_engine
from bot.storage.pg_begin import only_reads
from tests.support.databases import POSTGRES_URL


@pytest.mark.parametrize(
    ("statement", "reads"),
    [
        ("SELECT notes.id FROM notes WHERE notes.body = $1", True),
        ("\n  select count(*) from notes", True),
        ("SELECT notes.id FROM notes WHERE notes.id = $1 FOR UPDATE", False),
        ("SELECT notes.id FROM notes FOR UPDATE SKIP LOCKED", False),
        ("select id from notes for  share", False),
        ("SELECT id FROM notes FOR NO KEY UPDATE", False),
        ("SELECT id FROM notes FOR KEY SHARE", False),
        ("SELECT nextval('notes_id_seq')", False),
        ("SELECT pg_advisory_xact_lock($1)", False),
        ("SELECT set_config('statement_timeout', '1s', true)", False),
        ("INSERT INTO notes (body) VALUES ($1)", False),
        ("UPDATE notes SET body = $1", False),
        ("DELETE FROM notes", False),
        ("WITH gone AS (DELETE FROM notes RETURNING id) SELECT count(*) FROM gone", False),
        ("SAVEPOINT sa_savepoint_1", False),
        ("CREATE TABLE t (id int)", False),
    ],
)
def test_which_statements_only_read(statement: str, reads: bool) -> None:
    assert only_reads(statement) is reads


needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="needs CM_TEST_POSTGRES_URL")


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    built = create_engine(postgres_url)
    async with built.begin() as connection:
        await connection.execute(text("DROP TABLE IF EXISTS lazy_notes"))
        await connection.execute(text("CREATE TABLE lazy_notes (id serial PRIMARY KEY, body text UNIQUE NOT NULL)"))
        await connection.execute(text("INSERT INTO lazy_notes (body) VALUES ('kept')"))
    try:
        yield built
    finally:
        async with built.begin() as connection:
            await connection.execute(text("DROP TABLE IF EXISTS lazy_notes"))
        await built.dispose()


async def in_transaction(connection: AsyncConnection) -> bool:
    raw: Any = (await connection.get_raw_connection()).driver_connection
    return bool(raw.is_in_transaction())


@needs_postgres
async def test_reads_alone_open_no_transaction(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        rows = await connection.execute(text("SELECT body FROM lazy_notes"))
        assert rows.scalars().all() == ["kept"]
        assert not await in_transaction(connection)


@needs_postgres
async def test_a_write_begins_the_transaction_and_a_failure_undoes_all_of_it(engine: AsyncEngine) -> None:
    with pytest.raises(RuntimeError):
        async with engine.begin() as connection:
            await connection.execute(text("SELECT count(*) FROM lazy_notes"))
            await connection.execute(text("INSERT INTO lazy_notes (body) VALUES ('first')"))
            assert await in_transaction(connection)
            seen = await connection.execute(text("SELECT count(*) FROM lazy_notes"))
            assert seen.scalar() == 2  # its own write, read inside the transaction
            await connection.execute(text("UPDATE lazy_notes SET body = 'changed' WHERE body = 'kept'"))
            raise RuntimeError("the event failed")
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT body FROM lazy_notes ORDER BY id"))
        assert rows.scalars().all() == ["kept"]


@needs_postgres
async def test_a_locking_read_begins_the_transaction_and_holds_the_lock(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("SELECT id FROM lazy_notes WHERE body = 'kept' FOR UPDATE"))
        assert await in_transaction(connection)
        async with engine.connect() as other:
            locked = await other.execute(text("SELECT id FROM lazy_notes FOR UPDATE SKIP LOCKED"))
            assert locked.all() == []


@needs_postgres
async def test_a_savepoint_after_reads_rolls_back_alone(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("SELECT 1"))
        nested = await connection.begin_nested()
        await connection.execute(text("INSERT INTO lazy_notes (body) VALUES ('undone')"))
        await nested.rollback()
        await connection.execute(text("INSERT INTO lazy_notes (body) VALUES ('done')"))
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT body FROM lazy_notes ORDER BY id"))
        assert rows.scalars().all() == ["kept", "done"]
