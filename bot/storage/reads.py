"""Plain rows, read on a session's connection: for statements that select columns rather than entities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Executable, Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

Rows = Sequence[Row[*tuple[Any, ...]]]


async def rows(session: AsyncSession, statement: Executable, params: Mapping[str, Any]) -> Rows:
    """Every row of ``statement``, run in the session's transaction on its connection.

    ``session.execute`` takes any statement through the ORM's execution, which sets up entity loading
    even for a statement of plain columns; on the reads every command makes, that costs more than
    reading the rows does. The ORM is still what built the statement, and is skipped only at run time.
    What the session holds unflushed is flushed first, as autoflush would (and, like it, not inside
    ``no_autoflush``), so the read sees it. All of it runs in one greenlet, as ``session.execute``
    does (each greenlet costs the process a fresh stack).
    """
    return await session.run_sync(_read, statement, params)


def _read(session: Session, statement: Executable, params: Mapping[str, Any]) -> Rows:
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()
    return session.connection().execute(statement, params).all()
