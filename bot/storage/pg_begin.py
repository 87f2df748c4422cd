"""PostgreSQL through asyncpg, with ``BEGIN`` sent only when a transaction first writes or locks.

SQLAlchemy's asyncpg adapter sends ``BEGIN`` before a transaction's first statement and ``COMMIT`` at its
end: two of the five round trips a typical command makes, though most commands only read. Under READ
COMMITTED (the product's only isolation level) every statement reads from its own snapshot, inside a
transaction or not, so a plain ``SELECT`` run before the transaction has begun sees exactly what it would
have seen inside it. The cursor here therefore runs such reads on their own and lets ``BEGIN`` go out with
the first statement that writes, locks (``FOR UPDATE``/``FOR SHARE``), sets a savepoint or is anything
else; a transaction that only read has nothing to commit or roll back, and sends neither. Everything else
stays SQLAlchemy's asyncpg adapter. It is handed to :func:`sqlalchemy.ext.asyncio.create_async_engine` as
the DBAPI ``module``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.dialects.postgresql.asyncpg import (
    AsyncAdapt_asyncpg_connection,
    AsyncAdapt_asyncpg_cursor,
    AsyncAdapt_asyncpg_dbapi,
)
from sqlalchemy.util.concurrency import await_

# A statement that only reads: a SELECT that takes no row locks and calls nothing with a side effect
# (sequences, advisory locks, settings, notifications). Anything that does not match begins the transaction.
_SELECT = re.compile(r"\s*SELECT\b", re.IGNORECASE)
_NOT_ONLY_READING = re.compile(
    r"\bFOR\s+(?:UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b"
    r"|\b(?:nextval|setval|set_config|pg_advisory\w*|pg_try_advisory\w*|pg_notify|txid_current|pg_current_xact_id"
    r"|lo_\w+|dblink\w*)\s*\(",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=1024)  # statements come from SQLAlchemy's compiled cache: a few hundred texts
def only_reads(statement: str) -> bool:
    """True for a statement that may run before the transaction has begun without changing its meaning."""
    return _SELECT.match(statement) is not None and _NOT_ONLY_READING.search(statement) is None


class LazyBeginCursor(AsyncAdapt_asyncpg_cursor):
    """A cursor whose plain reads do not begin the transaction."""

    __slots__ = ()
    _adapt_connection: LazyBeginConnection  # the only connection handing out this cursor

    async def _prepare_and_execute(self, operation: Any, parameters: Any) -> Any:
        connection = self._adapt_connection
        connection.read_outside = only_reads(str(operation))
        try:
            return await super()._prepare_and_execute(operation, parameters)  # type: ignore[no-untyped-call]
        finally:
            connection.read_outside = False


class LazyBeginConnection(AsyncAdapt_asyncpg_connection):
    __slots__ = ("read_outside",)
    _cursor_cls = LazyBeginCursor

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)  # type: ignore[no-untyped-call]
        self.read_outside = False  # the statement about to run only reads: no BEGIN for it

    async def _start_transaction(self) -> None:
        if self.read_outside:
            return
        await super()._start_transaction()  # type: ignore[no-untyped-call]

    async def read_rows(self, sql: str, parameters: Sequence[Any]) -> Sequence[Sequence[Any]]:
        """Run a plain read (:func:`only_reads`) straight on the driver: inside the transaction if it has
        begun, else on its own without beginning it, as the cursor does (:mod:`bot.storage.reads`)."""
        async with self._execute_mutex:
            try:
                driver: Any = self._connection  # an asyncpg.Connection
                found: Sequence[Sequence[Any]] = await driver.fetch(sql, *parameters)
            except Exception as error:
                self._handle_exception(error)  # raises it as the adapter's DBAPI error
            return found


class LazyBeginDBAPI(AsyncAdapt_asyncpg_dbapi):
    """SQLAlchemy's asyncpg DBAPI adapter, handing out :class:`LazyBeginConnection`\\ s."""

    def connect(self, *arg: Any, **kw: Any) -> LazyBeginConnection:
        creator = kw.pop("async_creator_fn", self.asyncpg.connect)
        cache_size = kw.pop("prepared_statement_cache_size", 100)
        name_func = kw.pop("prepared_statement_name_func", None)
        connection: LazyBeginConnection = await_(
            LazyBeginConnection.create(
                self,
                creator(*arg, **kw),
                prepared_statement_cache_size=cache_size,
                prepared_statement_name_func=name_func,
            )
        )
        return connection


def dbapi() -> LazyBeginDBAPI:
    return LazyBeginDBAPI(asyncpg)  # type: ignore[no-untyped-call]
