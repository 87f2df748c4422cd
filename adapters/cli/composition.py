"""The composition root: settings → engine → migrations → core. Nothing is built at import time."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.http.calendar_fetch import HttpCalendarFetcher
from adapters.http.foreground import Foreground
from adapters.settings import Settings, SettingsError
from bot.core import Clock, CustomerMoment, utc_now
from bot.domain.secrets import SecretBox, SecretError
from bot.services.calendars import Calendars
from bot.storage import migrate
from bot.storage.engine import SCHEDULER_POOL_SIZE, create_engine, is_sqlite, session_factory

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    core: CustomerMoment
    foreground: Foreground = field(default_factory=Foreground)  # this process's requests being answered

    async def close(self) -> None:
        await self.engine.dispose()


def own_pool(runtime: Runtime) -> AsyncEngine | None:
    """An engine for the scheduler that runs beside the request handlers in ``serve``: on PostgreSQL a
    pool of its own (``SCHEDULER_POOL_SIZE``), so that posting a burst of due cards cannot take every
    connection a request needs. None on SQLite, where one process shares one engine."""
    if is_sqlite(runtime.settings.database_url):
        return None
    return create_engine(runtime.settings.database_url, pool_size=SCHEDULER_POOL_SIZE)


async def build(settings: Settings, *, clock: Clock = utc_now, apply_migrations: bool = True) -> Runtime:
    if settings.calendar_allow_insecure:
        logger.warning("CALENDAR_ALLOW_INSECURE is on: calendar feeds may be read over http:// and from loopback")
    engine = create_engine(settings.database_url)
    if apply_migrations:
        await migrate.upgrade(engine)
    sessions = session_factory(engine)
    core = CustomerMoment(sessions=sessions, clock=clock, calendars=following_calendars(settings))
    return Runtime(settings=settings, engine=engine, sessions=sessions, core=core)


def following_calendars(settings: Settings) -> Calendars:
    """The network reader and the keys calendar series need; without ENCRYPTION_KEY, following is refused."""
    box = None
    if settings.encryption_key:
        try:
            box = SecretBox(settings.encryption_key)
        except SecretError as exc:
            raise SettingsError(str(exc)) from None
    return Calendars(fetcher=HttpCalendarFetcher(allow_insecure=settings.calendar_allow_insecure), box=box)
