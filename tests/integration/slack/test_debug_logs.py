"""At LOG_LEVEL=DEBUG Bolt still logs at INFO: its debug lines carry request bodies (an install's OAuth code)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from adapters.cli import logs
from adapters.runtime import Runtime
from tests.integration.slack.conftest import ENCRYPTION_KEY, clear_slack_tables, slack_runtime, start
from tests.support.fake_slack import FakeSlack


@pytest.fixture
def debug_logs() -> Iterator[io.StringIO]:
    """The product's own logging set up as `serve` does, at DEBUG, into a buffer; put back afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in (*logs.QUIET_AT_DEBUG, "alembic", "slack_bolt.AsyncApp")}
    buffer = io.StringIO()
    logs.configure("DEBUG", "text", stream=buffer)
    try:
        yield buffer
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)


async def test_an_oauth_callback_at_debug_logs_neither_its_code_nor_its_state(
    runtime: Runtime, fake_slack: FakeSlack, debug_logs: io.StringIO
) -> None:
    await clear_slack_tables(runtime)
    configured = slack_runtime(
        runtime,
        fake_slack,
        SLACK_CLIENT_ID="111.222",
        SLACK_CLIENT_SECRET="client-secret",
        ENCRYPTION_KEY=ENCRYPTION_KEY,
    )
    async for slack in start(configured, fake_slack):
        for params in ({"code": "secret-code-4711", "state": "secret-state-0815"}, {"code": "secret-code-4711"}):
            async with slack.session.get(slack.base_url + "slack/oauth_redirect", params=params) as response:
                assert response.status in (200, 400, 401, 403)
        await slack.command("help secret-story-text")
    # The test server writes an access log with each query string; `serve` runs without one (access_log=None).
    written = "\n".join(line for line in debug_logs.getvalue().splitlines() if " aiohttp.access: " not in line)
    assert "DEBUG" in written  # the product itself does log at DEBUG
    for secret in ("secret-code-4711", "secret-state-0815", "secret-story-text"):
        assert secret not in written
