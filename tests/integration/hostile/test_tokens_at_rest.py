"""Slack tokens at rest: after an OAuth install through the real server, no token is in the database in clear.

On SQLite the database file itself (and its write-ahead log) is searched byte for byte; on PostgreSQL
every row of every table.
"""

from __future__ import annotations

from pathlib import Path

from adapters.runtime import Runtime
from tests.integration.hostile.support import table_rows
from tests.integration.slack.driver import SlackDriver
from tests.integration.slack.test_oauth import install


async def stored_bytes(runtime: Runtime) -> bytes:
    """Everything the database keeps: the SQLite files, or every PostgreSQL row as text."""
    if runtime.engine.dialect.name == "sqlite":
        database = Path(str(runtime.engine.url.database))
        return b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    return repr(await table_rows(runtime.engine)).encode()


async def test_an_oauth_install_leaves_no_token_in_clear_in_the_database(
    slack_oauth: SlackDriver, runtime: Runtime
) -> None:
    token = await install(slack_oauth, "T7", "code-7")
    slack_oauth.fake.add_user("U70", "Gina", team_id="T7")
    name = await slack_oauth.command("help", team="T7", user="U70")
    assert "story" in slack_oauth.said(name)  # the stored token still works
    assert {c.token for c in slack_oauth.fake.calls_to("users.info")} == {token}
    stored = await stored_bytes(runtime)
    assert token.encode() not in stored
    assert b"T7-installed" not in stored
