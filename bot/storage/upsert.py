"""Inserts that leave a row already there alone, on either database this product runs on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

DIALECTS = {"postgresql": postgresql, "sqlite": sqlite}


def insert_or_ignore(dialect_name: str, model: Any, conflict: Sequence[Any]) -> Any:
    """``INSERT … ON CONFLICT (conflict) DO NOTHING`` into ``model`` for the named dialect."""
    return DIALECTS[dialect_name].insert(model).on_conflict_do_nothing(index_elements=list(conflict))


def dialect_of(session: AsyncSession) -> str:
    """The name of the dialect ``session`` talks to: a key of :data:`DIALECTS`."""
    return session.get_bind().dialect.name
