"""Apply the Alembic migrations shipped inside the package.

On PostgreSQL the migrations run under an advisory lock, so replicas that start together migrate once: the
first takes the lock and migrates, the others wait for it and then find the schema already at head.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
# The advisory lock key (the first 8 bytes of sha256("customer-moment migrations"), signed), fixed so that every
# version of the product takes the same lock; visible as objid/classid in pg_locks.
MIGRATION_LOCK = 413578085378250655
LOCK_POLL_SECONDS = 0.5


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def _lock(connection: AsyncConnection) -> None:
    """Take the migration lock for the rest of ``connection``'s transaction (commit or rollback releases it, so
    it cannot outlive a process that dies mid-way).

    It is polled rather than waited for in one statement: a long migration elsewhere must not run into the
    per-statement timeout of the process that waits."""
    if connection.dialect.name != "postgresql":
        return  # SQLite is one process's file; its own write lock serialises the rest
    try_lock = text("SELECT pg_try_advisory_xact_lock(:key)").bindparams(key=MIGRATION_LOCK)
    waiting = False
    while not (await connection.execute(try_lock)).scalar():
        if not waiting:
            logger.info("another process is migrating the database; waiting for it to finish")
            waiting = True
        await asyncio.sleep(LOCK_POLL_SECONDS)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (idempotent; concurrent callers migrate once)."""

    def _at_head(connection: Connection) -> bool:
        current = MigrationContext.configure(connection).get_current_revision()
        return revision == "head" and current == ScriptDirectory.from_config(alembic_config()).get_current_head()

    def _run(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    async with engine.begin() as connection:
        # The usual start (nothing to do) takes no lock, so replicas starting together do not queue for it.
        if not await connection.run_sync(_at_head):
            await _lock(connection)
            # Alembic reads the revision again under the lock: one that waited finds what the first committed.
            await connection.run_sync(_run)
    logger.info("database schema is at %s", revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    def _run(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), revision)

    async with engine.begin() as connection:
        await _lock(connection)
        await connection.run_sync(_run)
