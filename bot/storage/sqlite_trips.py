"""SQLite through aiosqlite, one trip to the connection's thread per statement.

aiosqlite runs every sqlite3 call on the connection's own thread. SQLAlchemy's adapter makes four such
calls for one statement (open a cursor, execute, fetch the rows, close the cursor), and each trip there
and back (a queue hand-off, waking the thread, waking the event loop) costs more CPU than a small query
itself. The cursor here makes the four calls in one trip, so a command's statements cost a quarter of the
trips. A transaction's ``BEGIN IMMEDIATE`` travels with its first statement rather than alone
(:meth:`OneTripConnection.begin_with_next_statement`), and a commit or rollback with no transaction open
on the thread (nothing ran since the last one) makes no trip. Everything else (connecting, errors) stays
SQLAlchemy's aiosqlite adapter. It is handed to :func:`sqlalchemy.ext.asyncio.create_async_engine` as
the DBAPI ``module``.

Only a statement that may have to wait for another connection needs the thread: a transaction's first
one, which takes the write lock (``BEGIN IMMEDIATE``, waiting while another connection holds it), and one
outside any transaction. Once the lock is held, nothing the transaction does waits for another
connection (in WAL mode a commit takes no further lock, and the checkpoint after it waits for no one), so
its later statements, its commit and its rollback run right here on the event loop, at a tenth of a
trip's cost; they hold the event loop only while SQLite works (microseconds for the product's statements,
milliseconds for a commit that checkpoints the log to disk). After a
statement on the thread failed or was cancelled (it may still be running there), everything goes to the
thread again until the rollback has, so nothing can overtake it.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

BEGIN = "BEGIN IMMEDIATE"
T = TypeVar("T")

# What a statement leaves behind: its rows (when it returns any), description, rowcount, lastrowid, and
# whether a transaction is open on the connection afterwards.
Outcome = tuple[list[Any], Any, int, int | None, bool]


def _execute(connection: sqlite3.Connection, operation: str, parameters: Any, begin: bool) -> Outcome:
    """On the connection's thread: begin the transaction if asked, run one statement and read everything
    about it."""
    if begin:
        connection.execute(BEGIN)
    cursor = connection.cursor()
    try:
        cursor.execute(operation, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else []
        return rows, cursor.description, cursor.rowcount, cursor.lastrowid, connection.in_transaction
    finally:
        cursor.close()


def _execute_many(connection: sqlite3.Connection, operation: str, parameters: Sequence[Any], begin: bool) -> Outcome:
    if begin:
        connection.execute(BEGIN)
    cursor = connection.cursor()
    try:
        cursor.executemany(operation, parameters)
        return [], cursor.description, cursor.rowcount, cursor.lastrowid, connection.in_transaction
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement runs, is fetched and is closed in one trip to the thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:  # no cursor on the thread until a statement runs
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        return None  # nothing is open on the thread between statements

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        return self._run(_execute, operation, parameters)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        return self._run(_execute_many, operation, seq_of_parameters)

    def _run(self, work: Any, operation: Any, parameters: Any) -> None:
        owner = cast(OneTripConnection, self._adapt_connection)
        rows, self._description, self._rowcount, self._lastrowid, _ = await_(owner.trip(work, operation, parameters))
        self._rows = collections.deque(rows)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """A connection that knows, without asking its thread, whether a transaction is open on it: every
    statement runs through :class:`OneTripCursor`, which reports it."""

    __slots__ = ("begin_pending", "holds_lock", "in_transaction", "unsettled", "write_ahead_log")
    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.begin_pending = False
        self.in_transaction = False
        # The open transaction began with BEGIN IMMEDIATE and so holds the write lock (one begun otherwise, as
        # a SAVEPOINT on a connection in autocommit does, takes it only when it first writes, waiting for it).
        self.holds_lock = False
        self.unsettled = False  # a statement on the thread failed or was cancelled: it may still run there
        # Whether the database is in WAL mode (set once connected), where a commit takes no further lock. With a
        # rollback journal it waits for other connections' reads to end, so it goes to the thread.
        self.write_ahead_log = False

    def _locked_here(self) -> bool:
        """Whether the open transaction holds the write lock and the thread has nothing of it left to run:
        its statements can run on the event loop without waiting for anyone."""
        return self.write_ahead_log and self.holds_lock and not self.unsettled and not self._execute_mutex.locked()

    def begin_with_next_statement(self) -> None:
        """Open the transaction (``BEGIN IMMEDIATE``) on the same trip as the next statement."""
        self.begin_pending = True

    async def trip(self, work: Any, operation: Any, parameters: Any) -> Outcome:
        """Run ``work`` (:func:`_execute` or :func:`_execute_many`) in one trip to the thread, a pending
        ``BEGIN IMMEDIATE`` with it, and note whether a transaction is open there afterwards. A failure
        comes out as the adapter's DBAPI error."""
        begin, self.begin_pending = self.begin_pending, False
        connection: Any = self._connection  # an aiosqlite.Connection: run ``work`` on its thread
        if not begin and self._locked_here():
            outcome: Outcome = self._here(lambda driver: work(driver, operation, parameters, False))
            self.in_transaction = self.holds_lock = outcome[4]
            return outcome
        try:
            async with self._execute_mutex:
                outcome = await connection._execute(work, connection._conn, operation, parameters, begin)
        except BaseException as error:
            # Unknown after a failure or a cancellation (the statement, and its BEGIN, may still run on the
            # thread): let the rollback go there, after it, so no transaction is left open on the connection.
            self.in_transaction = self.unsettled = True
            if isinstance(error, Exception):
                self._handle_exception(error)
            raise
        self.in_transaction = outcome[4]
        self.holds_lock = (begin or self.holds_lock) and outcome[4]
        return outcome

    async def read_rows(self, sql: str, parameters: Sequence[Any]) -> Sequence[Sequence[Any]]:
        """Run a read as the cursor does, without SQLAlchemy's cursor around it (:mod:`bot.storage.reads`)."""
        return (await self.trip(_execute, sql, parameters))[0]

    def _here(self, call: Callable[[sqlite3.Connection], T]) -> T:
        """``call`` on the driver's connection, on the event loop (:meth:`_locked_here`); a failure comes out
        as the adapter's DBAPI error, with the transaction as the driver leaves it."""
        driver: sqlite3.Connection = cast(Any, self._connection)._conn
        try:
            return call(driver)
        except Exception as error:
            self.in_transaction = self.holds_lock = driver.in_transaction
            self._handle_exception(error)
            raise

    def commit(self) -> None:
        self._end(super().commit, sqlite3.Connection.commit)

    def rollback(self) -> None:
        self._end(super().rollback, sqlite3.Connection.rollback)

    def _end(self, on_thread: Callable[[], None], here: Callable[[sqlite3.Connection], None]) -> None:
        """Commit or roll back only if a transaction is open: on the event loop while the transaction holds
        the lock (:meth:`_locked_here`), else on the thread, after what may still run there."""
        self.begin_pending = False
        if not self.in_transaction:
            return
        if self._locked_here():
            self._here(here)
        else:
            on_thread()
            self.unsettled = False
        self.in_transaction = self.holds_lock = False


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI adapter, handing out :class:`OneTripConnection`\\ s."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        connection = self.aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy's adapter: never keep the process alive
        return OneTripConnection(self, await_(connection))


def dbapi() -> OneTripDBAPI:
    return OneTripDBAPI(aiosqlite, sqlite3)
