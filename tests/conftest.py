"""Fixtures shared by every test layer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import text

from adapters.composition import build
from adapters.runtime import Runtime
from adapters.settings import Settings
from bot.storage.models import Base
from tests.support.clock import FakeClock
from tests.support.databases import BACKENDS, postgres_database

# Tests assert behaviour, never speed (that is what benchmarks/ is for): no per-example time limit, so a busy
# CI machine cannot turn a slow example into a failure.
settings.register_profile("customer-moment", deadline=None)
settings.load_profile("customer-moment")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    yield from postgres_database()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on SQLite and (when available) PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'customer_moment.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(DATABASE_URL=database_url)


@pytest.fixture
async def runtime(settings: Settings, clock: FakeClock) -> AsyncIterator[Runtime]:
    """A migrated, empty database behind a real core."""
    built = await build(settings, clock=clock)
    if built.engine.dialect.name == "postgresql":
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with built.engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    try:
        yield built
    finally:
        await built.close()
