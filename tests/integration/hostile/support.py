"""What the hostile-input tests share: database snapshots, raw (signed) requests, and what a reply may not say.

Snapshots read the database with plain SQL over every table the migrations made (the Slack stores
included), so a write anywhere — core or adapter — shows up as a difference.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core import BROKEN, UNAVAILABLE
from tests.integration.slack.driver import SIGNING_SECRET, SlackDriver
from tests.support.fake_connector import FakeConnector
from tests.support.fake_slack import FakeSlack

FAILURES = (BROKEN, UNAVAILABLE)
# Slack processes a mention, a special mention or a link written like this in mrkdwn.
PINGS = ("<!channel", "<!here", "<!everyone", "<!subteam", "<@U", "<@W", "<#C", "<http", "<mailto")
# The Slack delivery log (its events' one-time claims) is written on purpose before any work, so that a retry
# is skipped.
DELIVERY_LOG = "one_time_claims"
ONE_MEGABYTE = 1024 * 1024

_tables: dict[str, list[str]] = {}


async def _table_names(engine: AsyncEngine) -> list[str]:
    key = engine.url.render_as_string(hide_password=True)
    if key not in _tables:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        _tables[key] = sorted(n for n in names if n != "alembic_version")
    return _tables[key]


async def table_counts(engine: AsyncEngine, *, ignore: Iterable[str] = ()) -> dict[str, int]:
    """Rows in every table, in one query."""
    names = [n for n in await _table_names(engine) if n not in set(ignore)]
    query = " UNION ALL ".join(f"SELECT '{name}', COUNT(*) FROM \"{name}\"" for name in names)
    async with engine.connect() as connection:
        found = await connection.execute(text(query))
        return {str(name): int(count) for name, count in found}


async def table_rows(engine: AsyncEngine, *, ignore: Iterable[str] = ()) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, as sorted tuples of strings: equal snapshots mean nothing changed at all."""
    names = [n for n in await _table_names(engine) if n not in set(ignore)]
    rows: dict[str, list[tuple[str, ...]]] = {}
    async with engine.connect() as connection:
        for name in names:
            found = await connection.execute(text(f'SELECT * FROM "{name}"'))
            rows[name] = sorted(tuple(repr(value) for value in row) for row in found)
    return rows


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Tables whose snapshot differs: name → (before, after)."""
    return {
        name: (before.get(name), after.get(name)) for name in {*before, *after} if before.get(name) != after.get(name)
    }


# -- Slack -------------------------------------------------------------------------------------------


def slack_signature(body: bytes, *, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    """Slack's v0 signature over the raw bytes (slack_sdk's helper only signs text)."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


async def post_slack(
    slack: SlackDriver,
    body: bytes,
    content_type: str | None = "application/json",
    *,
    signed: bool = True,
    chunked: bool = False,
) -> tuple[int, str]:
    """POST raw bytes to ``/slack/events``, signed like Slack unless told otherwise."""
    headers: dict[str, str] = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if signed:
        stamp = str(int(time.time()))
        headers |= {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": slack_signature(body, timestamp=stamp)}
    data: Any = body
    if chunked:

        async def pieces() -> Any:
            for start in range(0, len(body), 64 * 1024):
                yield body[start : start + 64 * 1024]

        data = pieces()
    async with slack.session.post(
        slack.base_url + "slack/events", data=data, headers=headers, skip_auto_headers=["Content-Type"]
    ) as response:
        return response.status, await response.text()


def mrkdwn_texts(value: Any) -> list[str]:
    """Every text Slack would read as mrkdwn (``plain_text`` objects are shown literally and skipped)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "plain_text":
                return
            for key, item in node.items():
                if key == "text" and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, str) and node.startswith(("[", "{")):
            with contextlib.suppress(ValueError):  # blocks sent form-encoded arrive as a JSON string
                walk(json.loads(node))

    walk(value)
    return found


def slack_outputs(fake: FakeSlack) -> list[Any]:
    """Everything the bot sent to Slack since the last reset: Web API calls and response_url posts."""
    return [call.params for call in fake.calls] + [body for _, body in fake.responses]


def assert_slack_said_nothing_bad(fake: FakeSlack) -> None:
    """No failure message, and no mention, broadcast or link that anyone but the bot wrote, in mrkdwn."""
    for output in slack_outputs(fake):
        for said in mrkdwn_texts(output):
            assert not any(failure in said for failure in FAILURES), said[:300]
            assert not any(ping in said for ping in PINGS), said[:300]


def slack_wire(fake: FakeSlack) -> str:
    """Everything sent to Slack since the last reset, as one string (for "does X appear anywhere")."""
    return json.dumps(slack_outputs(fake), ensure_ascii=False, default=str)


# -- Teams -------------------------------------------------------------------------------------------


def teams_wire(connector: FakeConnector) -> str:
    """Everything sent to the Bot Connector, as one string."""
    return json.dumps([(c.method, c.path, c.body) for c in connector.calls], ensure_ascii=False, default=str)


def assert_teams_said_nothing_bad(connector: FakeConnector) -> None:
    wire = teams_wire(connector)
    assert not any(json.dumps(failure)[1:-1] in wire for failure in FAILURES), wire[:600]


def deep_json(levels: int, *, inner: str = "[]") -> bytes:
    """A JSON document nested ``levels`` deep (arrays inside an object's value)."""
    return ('{"type": ' + "[" * levels + inner + "]" * levels + "}").encode()
