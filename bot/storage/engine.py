"""Engine and session set-up for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from bot.storage import pg_begin, sqlite_trips

logger = logging.getLogger(__name__)

# PostgreSQL: how long to wait for a new connection, and for any one statement (the checkout ping
# included), before giving up. Without them, a database that stops answering (a network partition, as
# opposed to a refused connection) blocks a request or the scheduler for as long as it lasts: asyncpg
# waits 60 s to connect and forever for a statement.
CONNECT_TIMEOUT_SECONDS = 5.0
STATEMENT_TIMEOUT_SECONDS = 30.0
# Connections per process, in two pools: one for requests, one for the scheduler inside ``serve``, so
# that a burst of due cards never leaves a person's request waiting for a connection. All of them stay
# open once made: "overflow" connections would be closed on every return to the pool, so a burst of
# scheduled posts would reconnect (a new server process, SSL negotiation) again and again. Four server
# processes (23 connections each) stay inside PostgreSQL's default max_connections of 100.
POOL_SIZE = 15
SCHEDULER_POOL_SIZE = 8
# A pooled connection handed back less than this long ago is not pinged again on checkout (only checked
# for a socket the server has closed, which costs nothing); an older one is pinged with one round trip.
# A busy server thus pays for no pings, and one that sat idle through a database restart still notices.
PING_AFTER_IDLE_SECONDS = 1.0
_RETURNED_AT = "customer_moment_returned_at"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, pool_size: int = POOL_SIZE) -> AsyncEngine:
    """An async engine with the per-database settings the product relies on."""
    if is_sqlite(url):
        database = make_url(url).database
        on_file = bool(database and database != ":memory:")
        if on_file:
            Path(str(database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # One connection per engine for a file: every transaction takes SQLite's write lock up front (BEGIN
        # IMMEDIATE, below), so they run one at a time anyway. Queueing for the pool's one connection hands
        # it on the moment it is free; several connections would each poll for the lock (the busy handler
        # sleeps up to 100 ms between tries), leaving the process idle while requests wait.
        pool: dict[str, Any] = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 30} if on_file else {}
        engine = create_async_engine(
            url,
            module=sqlite_trips.dbapi(),
            # A transaction holding the write lock runs its statements on the event loop, not only on the
            # connection's thread (bot/storage/sqlite_trips.py).
            connect_args={"timeout": 30, "check_same_thread": False},
            hide_parameters=True,
            **pool,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Take transaction control away from the driver: by default it issues BEGIN lazily and lets
            # RELEASE SAVEPOINT commit, which would make a rolled-back event half-saved.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            (mode,) = cursor.fetchone()  # "memory" for a database in memory, and WAL may be refused
            dbapi_connection.write_ahead_log = str(mode).lower() == "wal"
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(connection: Any) -> None:
            # IMMEDIATE: take the write lock up front, so concurrent writers wait (busy_timeout) instead of
            # failing when a read transaction tries to become a write transaction.
            # It travels with the transaction's first statement (bot/storage/sqlite_trips.py).
            if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                connection.connection.dbapi_connection.begin_with_next_statement()

        return engine
    # asyncpg (the only PostgreSQL driver settings accept): BEGIN only once a transaction writes or locks.
    lazy_begin = {"module": pg_begin.dbapi()} if make_url(url).get_driver_name() == "asyncpg" else {}
    engine = create_async_engine(
        url,
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=10,
        connect_args={"timeout": CONNECT_TIMEOUT_SECONDS, "command_timeout": STATEMENT_TIMEOUT_SECONDS},
        **lazy_begin,
    )
    check_liveness_on_checkout(engine)
    return engine


def check_liveness_on_checkout(engine: AsyncEngine) -> None:
    """Replace dead pooled connections before a request gets one: a cheaper pre-ping for asyncpg.

    SQLAlchemy's own pre-ping costs three round trips on every checkout (BEGIN, an empty statement,
    ROLLBACK). Here a connection whose socket the server closed (a restart, a cut) is refused for free,
    one idle for more than ``PING_AFTER_IDLE_SECONDS`` is pinged with a single statement, and one just
    handed back is trusted. Either failure invalidates the whole pool, as the pre-ping does: connections
    made before it are replaced as they come out, and the pool makes a new one for this checkout.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _connected(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise exc.InvalidatePoolError("the database closed this connection")
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is not None and time.monotonic() - returned_at < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dbapi_connection.run_async(lambda driver: driver.execute("SELECT 1"))
        except Exception as error:
            logger.info("pooled connection failed its ping; replacing the pool's connections: %r", error)
            raise exc.InvalidatePoolError(f"ping failed: {error!r}") from error


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


class Transaction:
    """``async with Transaction(sessions) as session``: one unit of work, committed when the block ends,
    rolled back when it raises, and the session closed either way.

    The same as ``sessions.begin()``, for less: on every exit SQLAlchemy's context manager starts two
    tasks to shield the commit and the close from cancellation, each costing the event loop extra turns,
    and runs the commit and the close in a greenlet each (measured: a quarter of what a unit of work
    costs outside its statements, about 0.1 ms a command). Here the commit and the close share one
    greenlet, and only an exit that is already failing or cancelled is shielded: its rollback and close
    run to completion whatever happens meanwhile, so the connection always goes back to the pool. A
    cancellation landing during the ``COMMIT`` itself leaves the outcome to the database, which applies
    the transaction whole or not at all.
    """

    __slots__ = ("_session", "_sessions")

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> AsyncSession:
        self._session = self._sessions()
        return self._session

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        session = self._session
        if kind is None:
            try:
                await session.run_sync(_commit_and_close)  # one greenlet for both
            except BaseException:
                await _to_completion(session.close())
                raise
        else:
            await _to_completion(session.close())  # closing rolls back what the block left open


def _commit_and_close(session: Session) -> None:
    session.commit()
    session.close()  # the commit has returned the connection already: nothing left to cancel


async def _to_completion(cleanup: Coroutine[Any, Any, None]) -> None:
    """Run ``cleanup`` to its end even if the caller is cancelled meanwhile; then re-raise the cancellation."""
    task = asyncio.ensure_future(cleanup)
    cancelled: asyncio.CancelledError | None = None
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError as exc:
            cancelled = exc
    task.result()
    if cancelled is not None:
        raise cancelled
