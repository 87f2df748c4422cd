"""Several result sets read in one statement: ``UNION ALL`` parts told apart by a ``part`` column."""

from __future__ import annotations

from sqlalchemy import Integer, Label, literal_column


def part(number: int) -> Label[int]:
    """The ``part`` column of the rows of part ``number`` (a literal, so the statement stays cacheable)."""
    return literal_column(str(number), Integer).label("part")
