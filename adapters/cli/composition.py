"""The composition root: settings → engine → migrations → core. Nothing is built at import time."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.settings import Settings
from bot.core import Clock, CustomerMoment, utc_now
from bot.storage import migrate
from bot.storage.engine import create_engine, session_factory

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    core: CustomerMoment

    async def close(self) -> None:
        await self.engine.dispose()


async def build(settings: Settings, *, clock: Clock = utc_now, apply_migrations: bool = True) -> Runtime:
    engine = create_engine(settings.database_url)
    if apply_migrations:
        await migrate.upgrade(engine)
    sessions = session_factory(engine)
    return Runtime(
        settings=settings, engine=engine, sessions=sessions, core=CustomerMoment(sessions=sessions, clock=clock)
    )
