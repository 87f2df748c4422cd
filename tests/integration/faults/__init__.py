"""Fault injection on PostgreSQL: the database cut behind a proxy, slow platform APIs, SIGTERM mid-request.

Small helpers shared by these tests live here; fixtures are in ``conftest.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from tests.support.databases import POSTGRES_URL

ON_POSTGRES = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (CM_TEST_POSTGRES_URL)"),
]
SLACK_TOKEN = "xoxb-T1-faults"  # the bot token of workspace T1 at the fake Slack
ACK_DEADLINE = 3.0  # seconds Slack gives a command, an action or a modal submission


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float, every: float = 0.05) -> bool:
    """Poll ``check`` until it is true or ``within`` seconds have passed (bounded; no fixed sleeps)."""
    deadline = time.monotonic() + within
    while True:
        if await check():
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(every)
