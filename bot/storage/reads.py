"""Plain rows, read on a session's connection: for statements that select columns rather than entities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Executable, Row
from sqlalchemy.ext.asyncio import AsyncSession

Rows = Sequence[Row[*tuple[Any, ...]]]


async def rows(session: AsyncSession, statement: Executable, params: Mapping[str, Any]) -> Rows:
    """Every row of ``statement``, run in the session's transaction on its connection.

    ``session.execute`` takes any statement through the ORM's execution, which sets up entity loading
    even for a statement of plain columns; on the reads every command makes, that costs more than
    reading the rows does. The ORM is still what built the statement, and is skipped only at run time.
    What the session holds unflushed is flushed first, as autoflush would, so the read sees it.
    """
    if session.new or session.dirty or session.deleted:
        await session.flush()
    connection = await session.connection()
    return (await connection.execute(statement, params)).all()
