"""Test databases: a fresh SQLite file per test, and one throw-away PostgreSQL database per test run.

PostgreSQL tests run when CM_TEST_POSTGRES_URL names a server (CI always sets it); the run creates its
own database there and drops it at the end.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import asyncpg
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get("CM_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


def _dsn(database: str) -> str:
    url = make_url(POSTGRES_URL).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(_dsn(make_url(POSTGRES_URL).database or "postgres"))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def postgres_database() -> Iterator[str]:
    """Create a database for this test run; yields its async SQLAlchemy URL; drops it afterwards."""
    name = f"cm_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(POSTGRES_URL)
            .set(drivername="postgresql+asyncpg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
