"""Replicas that start together on one fresh PostgreSQL database migrate it once, without errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.storage import migrate
from bot.storage.engine import create_engine
from tests.support.databases import POSTGRES_URL, postgres_database

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="needs CM_TEST_POSTGRES_URL"),
]

REPLICAS = 4


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """A database of its own: the run's shared one is already migrated."""
    yield from postgres_database()


class _Waiting(logging.Handler):
    """Counts the processes that found the migration lock taken."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0
        self.changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "waiting for it to finish" in record.getMessage():
            self.count += 1
            self.changed.set()


async def test_concurrent_upgrades_of_a_fresh_database_migrate_once(
    fresh_postgres: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="alembic.runtime.migration")
    waiting = _Waiting()
    logging.getLogger(migrate.__name__).addHandler(waiting)
    caplog.set_level(logging.INFO, logger=migrate.__name__)
    engines = [create_engine(fresh_postgres, pool_size=1) for _ in range(REPLICAS + 1)]
    holder, replicas = engines[0], engines[1:]
    try:
        # Hold the lock ourselves until every replica has started and is waiting, so that they really overlap.
        async with holder.begin() as held:
            await held.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": migrate.MIGRATION_LOCK})
            upgrades = [asyncio.create_task(migrate.upgrade(engine)) for engine in replicas]
            async with asyncio.timeout(60):
                while waiting.count < REPLICAS:
                    waiting.changed.clear()
                    await waiting.changed.wait()
            assert not any(task.done() for task in upgrades)
        await asyncio.gather(*upgrades)  # none raises (duplicate tables, a second alembic_version row)

        async with holder.connect() as connection:
            versions = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
        head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
        assert versions == [head]
        ran = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Running upgrade")]
        revisions = list(ScriptDirectory.from_config(migrate.alembic_config()).walk_revisions())
        assert len(ran) == len(revisions), "each migration ran exactly once across all replicas"
    finally:
        logging.getLogger(migrate.__name__).removeHandler(waiting)
        for engine in engines:
            await engine.dispose()


async def test_a_start_on_a_migrated_database_runs_nothing_and_waits_for_no_lock(
    fresh_postgres: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine, holder = create_engine(fresh_postgres, pool_size=1), create_engine(fresh_postgres, pool_size=1)
    try:
        await migrate.upgrade(engine)
        caplog.clear()
        caplog.set_level(logging.INFO, logger="alembic.runtime.migration")
        caplog.set_level(logging.INFO, logger=migrate.__name__)
        async with holder.begin() as held:
            await held.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": migrate.MIGRATION_LOCK})
            async with asyncio.timeout(60):  # it would wait for ever if it asked for the lock held here
                await migrate.upgrade(engine)
        messages = [r.getMessage() for r in caplog.records]
        assert not [m for m in messages if m.startswith("Running upgrade") or "waiting for it" in m]
    finally:
        await engine.dispose()
        await holder.dispose()
