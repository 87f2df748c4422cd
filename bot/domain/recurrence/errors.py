"""Schedule errors and the small helpers that word their messages.

Every problem with something a chat user typed is a :class:`ScheduleError` whose ``str()`` is a
friendly sentence that can be shown to the user as it is; user input echoed inside one goes
through :func:`_quote` so it stays printable and short.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["ScheduleError", "UnknownZone"]


class ScheduleError(ValueError):
    """A schedule or rule the bot cannot use. ``str(error)`` is a friendly sentence for the user."""


class UnknownZone(ScheduleError):
    """A time zone name that is not in the IANA database, with up to three close names."""

    def __init__(self, name: str, suggestions: Iterable[str] = ()) -> None:
        self.name = name
        self.suggestions: tuple[str, ...] = tuple(suggestions)[:3]
        message = f"I don't know the time zone {_quote(name)}."
        if self.suggestions:
            message += f" Did you mean {_join_or(self.suggestions)}?"
        else:
            message += " Use an IANA name such as Europe/Berlin, America/New_York or Asia/Kolkata."
        super().__init__(message)

    def __reduce__(self) -> tuple[type[UnknownZone], tuple[str, tuple[str, ...]]]:
        return (type(self), (self.name, self.suggestions))


def _quote(text: str, limit: int = 40) -> str:
    """Echo a piece of user input safely inside a message: printable, short, quoted."""
    clean = "".join(c if c.isprintable() else "?" for c in text)
    if len(clean) > limit:
        clean = clean[: limit - 1] + "…"
    return f"'{clean}'"


def _join(items: Iterable[str], word: str) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _join_or(items: Iterable[str]) -> str:
    return _join(items, "or")
