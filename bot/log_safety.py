"""What an error may say in the logs: its kind and where it happened, never its message.

Database errors carry the failing statement's parameters and the server's text (a duplicate key's
value, a trigger's message), and other errors may quote the input they choked on: stories, names,
notes. Log lines name the error's type, the database's error code and the code path, next to the
ids the caller logs anyway, so an operator can trace a failure without reading anyone's story.
"""

from __future__ import annotations

import traceback

from sqlalchemy.exc import DBAPIError

MAX_FRAMES = 8


def error_kind(exc: BaseException) -> str:
    """``IntegrityError (UniqueViolationError, SQLSTATE 23505)``: the type and codes, no message."""
    kind = type(exc).__name__
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        original = exc.orig
        details = [type(original).__name__]
        code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
        if isinstance(code, str) and code.isalnum():
            details.append(f"SQLSTATE {code}")
        name = getattr(original, "sqlite_errorname", None)
        if isinstance(name, str) and name.replace("_", "").isalnum():
            details.append(name)
        kind += f" ({', '.join(details)})"
    return kind


def error_trail(exc: BaseException) -> str:
    """The code path of an error, innermost first: files, lines and functions (the program's text only).

    The product's own frames say which use case failed; of the libraries' frames only the innermost
    (where the error was raised) is kept.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    own = [frame for frame in frames[:-1] if _own(frame.filename)][-MAX_FRAMES:]
    return " < ".join(
        f"{frame.name} ({_short(frame.filename)}:{frame.lineno})" for frame in reversed([*own, frames[-1]])
    )


def error_summary(exc: BaseException) -> str:
    trail = error_trail(exc)
    return f"{error_kind(exc)} at {trail}" if trail else error_kind(exc)


def _own(filename: str) -> bool:
    return "/site-packages/" not in filename and ("/bot/" in filename or "/adapters/" in filename)


def _short(filename: str) -> str:
    for marker in ("/site-packages/", "/bot/", "/adapters/"):
        if marker in filename:
            return marker.strip("/") + "/" + filename.split(marker, 1)[1]
    return filename.rsplit("/", 1)[-1]
