"""Logging set-up: readable text by default, one JSON object per line with LOG_FORMAT=json."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

# Libraries that log what they carry at DEBUG: statements with their values (aiosqlite), request and
# response bodies (slack_sdk, slack_bolt, msrest). People's stories and tokens must not reach the logs,
# so these stay at INFO even when the product logs at DEBUG.
QUIET_AT_DEBUG = (
    "aiosqlite",
    "asyncpg",
    "sqlalchemy.engine",
    "slack_sdk",
    "slack_bolt",
    "msrest",
    "botbuilder",
    "urllib3",
)

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure(level: str, fmt: str, *, stream: object = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    for name in QUIET_AT_DEBUG:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    # SQLAlchemy echoes every statement at INFO: off, as SQLAlchemy itself sets it, at every level.
    logging.getLogger("sqlalchemy.engine").setLevel(max(logging.WARNING, root.level))
