"""Exercises: short facilitated activities a team can run as its Customer Moment."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Exercise:
    """One exercise of the built-in library.

    ``key`` is a stable slug (never renamed once shipped: featurings refer to it).
    ``style`` is ``"discussion"`` or ``"role play"``.
    """

    key: str
    title: str
    prompt: str
    steps: tuple[str, ...]
    minutes: int
    theme: str
    style: str = "discussion"
