"""The core's side of start-up: its database, migrations, the core itself and the scheduler, built when asked.

The composition root (``adapters/composition.py``) builds a process through this module, so that nothing
outside ``bot/`` reaches into ``bot.storage`` or ``bot.scheduler``. Nothing is built at import time: an
engine exists only once :func:`open_backend` (or :func:`scheduler_pool`) is called.

Importing this module stays light (the database layer only): ``serve --processes N`` asks it about the
database before it sets up metrics shared by its processes, which must happen before anything imports
``prometheus_client`` — and the core and the scheduler count things in it. They are imported when built.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage import migrate as migrations
from bot.storage.engine import SCHEDULER_POOL_SIZE, create_engine, is_sqlite, session_factory

if TYPE_CHECKING:
    from bot.core import Clock, CustomerMoment
    from bot.ports import CalendarFetcher, Conversations, OneTimeClaims, Surface
    from bot.scheduler.dispatcher import Dispatcher
    from bot.secrets import SecretBox
    from bot.services.calendars import Calendars

__all__ = [
    "Backend",
    "Scheduler",
    "SchemaState",
    "is_sqlite",
    "migrate",
    "open_backend",
    "scheduler_pool",
    "schema_state",
]

logger = logging.getLogger(__name__)


class Scheduler:
    """One process's scheduler: the dispatcher loop, and the pool of its own it draws on (if it has one)."""

    def __init__(self, dispatcher: Dispatcher, *, own_engine: AsyncEngine | None) -> None:
        self._dispatcher = dispatcher
        self._own_engine = own_engine

    @property
    def own_engine(self) -> AsyncEngine | None:
        """The scheduler's own pool (PostgreSQL inside ``serve``); None when it shares the core's."""
        return self._own_engine

    async def run(self, *, interval: float) -> None:
        """Post due cards until :meth:`stop`; an idle pass waits ``interval`` seconds before the next."""
        await self._dispatcher.run(interval=interval)

    async def run_once(self) -> None:
        """One pass at the clock's current time: prepare, post and notify whatever is due by then."""
        await self._dispatcher.run_once()

    async def next_due(self) -> datetime | None:
        """When the next pass would find work (a clock moved by hand steps to it); None: nothing planned."""
        return await self._dispatcher.next_due()

    def stop(self) -> None:
        """Claim nothing more; :meth:`run` returns once the cards it holds are settled."""
        self._dispatcher.stop()

    async def release(self) -> int:
        """Give back what this worker still holds, for another worker to take at once; how many."""
        return await self._dispatcher.release()

    async def close(self) -> None:
        if self._own_engine is not None:
            await self._own_engine.dispose()


@dataclass(slots=True)
class Backend:
    """The core on its database, as one process runs it."""

    database_url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    core: CustomerMoment
    calendars: Calendars | None = None  # what following calendars needs; None: no series may follow one

    def scheduler(
        self,
        surfaces: Iterable[Surface],
        *,
        worker: str,
        lease_seconds: float,
        batch: int,
        concurrency: int,
        own_pool: bool = False,
        clock: Clock | None = None,
    ) -> Scheduler:
        """The scheduler posting through ``surfaces``; with ``own_pool``, on a pool of its own where that helps.

        ``clock`` defaults to the wall clock (UTC).
        """
        from bot.core import utc_now
        from bot.scheduler.dispatcher import Dispatcher
        from bot.scheduler.feeds import FeedRefresher

        engine = scheduler_pool(self.database_url) if own_pool else None
        sessions = session_factory(engine) if engine is not None else self.sessions
        by_platform = {surface.platform: surface for surface in surfaces}
        feeds = None
        if self.calendars is not None:  # followed calendars are read by the scheduler, beside its posting
            feeds = FeedRefresher(
                sessions=sessions, calendars=self.calendars, surfaces=by_platform, clock=clock or utc_now, worker=worker
            )
        dispatcher = Dispatcher(
            sessions=sessions,
            surfaces=by_platform,
            clock=clock or utc_now,
            worker=worker,
            lease=timedelta(seconds=lease_seconds),
            batch=batch,
            concurrency=concurrency,
            feeds=feeds,
        )
        return Scheduler(dispatcher, own_engine=engine)

    def conversations(self, *, clock: Clock | None = None) -> Conversations:
        """Where surfaces keep the conversations they may post to unasked (Teams' conversation references).

        ``clock`` defaults to the wall clock (UTC).
        """
        from bot.core import utc_now
        from bot.services.conversations import StoredConversations

        return StoredConversations(sessions=self.sessions, clock=clock or utc_now)

    def claims(self, *, clock: Clock | None = None) -> OneTimeClaims:
        """Where surfaces claim what may be used once, across every process (Teams' file offers, Slack's deliveries).

        ``clock`` (the wall clock in UTC unless given) says when a claim's time is over.
        """
        from bot.core import utc_now
        from bot.services.claims import StoredClaims

        return StoredClaims(sessions=self.sessions, clock=clock or utc_now)

    async def close(self) -> None:
        await self.engine.dispose()


async def open_backend(
    database_url: str,
    *,
    clock: Clock | None = None,
    apply_migrations: bool = True,
    calendar_fetcher: CalendarFetcher | None = None,
    box: SecretBox | None = None,
) -> Backend:
    """Connect to the database, bring its schema up to date (unless told not to) and put the core on it.

    ``clock`` is the core's (the wall clock in UTC unless given). With a ``calendar_fetcher``, meeting
    series may follow calendar feeds, whose addresses ``box`` seals (without a box, following is refused).
    """
    from bot.core import CustomerMoment, utc_now
    from bot.services.calendars import Calendars

    engine = create_engine(database_url)
    if apply_migrations:
        await migrations.upgrade(engine)
    sessions = session_factory(engine)
    calendars = Calendars(fetcher=calendar_fetcher, box=box) if calendar_fetcher is not None else None
    core = CustomerMoment(sessions=sessions, clock=clock or utc_now, calendars=calendars)
    return Backend(database_url=database_url, engine=engine, sessions=sessions, core=core, calendars=calendars)


def scheduler_pool(database_url: str) -> AsyncEngine | None:
    """An engine for the scheduler that runs beside the request handlers in ``serve``: on PostgreSQL a
    pool of its own (``SCHEDULER_POOL_SIZE``), so that posting a burst of due cards cannot take every
    connection a request needs. None on SQLite, where one process shares one engine."""
    if is_sqlite(database_url):
        return None
    return create_engine(database_url, pool_size=SCHEDULER_POOL_SIZE)


async def migrate(database_url: str) -> None:
    """Apply the migrations this version ships with, and let go of the database."""
    engine = create_engine(database_url)
    try:
        await migrations.upgrade(engine)
    finally:
        await engine.dispose()


@dataclass(frozen=True, slots=True)
class SchemaState:
    """Where the database's schema is, and where this version needs it to be."""

    current: str | None
    head: str | None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


async def schema_state(database_url: str) -> SchemaState:
    """Read the schema's revision; raises whatever the driver raises when the database cannot be reached."""
    engine = create_engine(database_url, pool_size=1)

    def _revisions(connection: Connection) -> SchemaState:
        current = MigrationContext.configure(connection).get_current_revision()
        head = ScriptDirectory.from_config(migrations.alembic_config()).get_current_head()
        return SchemaState(current=current, head=head)

    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_revisions)
    finally:
        await engine.dispose()
