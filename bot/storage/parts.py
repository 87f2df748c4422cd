"""Statement parts that keep a statement cached whole: ``UNION ALL`` parts told apart by a ``part``
column, and a column compared with a fixed set of values."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Integer, Label, SQLColumnExpression, literal_column, or_


def part(number: int) -> Label[int]:
    """The ``part`` column of the rows of part ``number`` (a literal, so the statement stays cacheable)."""
    return literal_column(str(number), Integer).label("part")


def one_of(column: SQLColumnExpression[Any], values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN (values)`` for a fixed set, written as ``column = a OR column = b …``: an ``IN`` list is
    expanded anew at every execution, these comparisons are compiled once with the statement."""
    return or_(*(column == value for value in values))
