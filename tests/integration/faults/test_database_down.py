"""The database goes away and comes back: people get a friendly "try again", acks stay fast, nothing is lost.

The outage is a proxy cut (open connections dropped, new ones refused), a few seconds long here; the
load script demonstrates a 30-second one (``benchmarks/load.py --db-outage 30``). Recovery is by the
engine alone — pooled connections killed by the cut are noticed on checkout and replaced — with no
restart of anything.
"""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from adapters.composition import build
from adapters.runtime import Runtime
from bot.core import UNAVAILABLE
from bot.storage import engine
from tests.integration.core import text
from tests.integration.faults import ACK_DEADLINE, ON_POSTGRES
from tests.integration.slack.driver import SlackDriver, all_text
from tests.integration.teams.builders import message
from tests.integration.teams.conftest import TeamsApp
from tests.integration.teams.reading import content
from tests.support.db_proxy import DbProxy
from tests.support.events import said

pytestmark = ON_POSTGRES

KEPT = "story A parcel went to the wrong city twice | rebooked it | relieved | call before they chase us"
DURING = "story The refund took three weeks to arrive | chased finance | grateful | promise only dates we control"
STACK_WORDS = ("Traceback", "Error", "Exception", "sqlalchemy", "asyncpg")


def friendly(answer: str) -> None:
    """The person was told to try again, and saw nothing of the machinery."""
    assert UNAVAILABLE in answer, answer
    for word in STACK_WORDS:
        assert word not in answer, answer


async def test_the_core_says_try_again_while_the_database_is_down_and_recovers_by_itself(
    runtime: Runtime, proxy: DbProxy
) -> None:
    kept = await runtime.core.handle(said(KEPT))
    assert "is in the pool" in text(kept)
    await proxy.cut()
    started = time.monotonic()
    replies = await runtime.core.handle(said(DURING))
    assert time.monotonic() - started < ACK_DEADLINE
    assert len(replies) == 1
    friendly(text(replies))
    await proxy.restore()
    mine = text(await runtime.core.handle(said("mine")))
    assert "wrong city" in mine  # acknowledged before the outage: still there
    assert "refund took" not in mine  # refused during the outage: not half-saved
    again = await runtime.core.handle(said(DURING))
    assert "is in the pool" in text(again)
    assert proxy.accepted >= 2  # the pool reconnected through the restored proxy


async def test_a_slash_command_is_acked_at_once_and_answered_try_again_then_works_after_restore(
    slack: SlackDriver, proxy: DbProxy
) -> None:
    first = await slack.command(KEPT)
    assert "is in the pool" in slack.said(first)
    await proxy.cut()
    started = time.monotonic()
    during = await slack.command(DURING, settle=False)  # asserts the 200
    assert time.monotonic() - started < ACK_DEADLINE
    await slack.settle()
    friendly(slack.said(during))
    await proxy.restore()
    mine = await slack.command("mine")
    assert "wrong city" in slack.said(mine) and "refund took" not in slack.said(mine)
    again = await slack.command(DURING)
    assert "is in the pool" in slack.said(again)


async def test_a_modal_submitted_while_the_database_is_down_is_acked_in_time_and_told_to_retry(
    slack: SlackDriver, proxy: DbProxy
) -> None:
    await slack.command("story")
    view = slack.opened_view()
    await proxy.cut()
    started = time.monotonic()
    status, body = await slack.submit(
        view,
        {
            "situation": "The customer's order went to the wrong city.",
            "action": "Rebooked it and called every day.",
            "lesson": "Call before they have to chase us.",
        },
    )
    assert time.monotonic() - started < ACK_DEADLINE
    assert (status, body) == (200, {})  # the modal closes; no inline errors about a database
    [answer] = slack.fake.ephemerals
    blocks = answer["blocks"]
    friendly(all_text(json.loads(blocks) if isinstance(blocks, str) else blocks))
    await proxy.restore()


async def test_readiness_follows_the_database_and_health_does_not(slack: SlackDriver, proxy: DbProxy) -> None:
    async def status(path: str) -> int:
        async with slack.session.get(slack.base_url + path, timeout=aiohttp.ClientTimeout(total=5)) as response:
            return response.status

    assert (await status("readyz"), await status("healthz")) == (200, 200)
    await proxy.cut()
    assert (await status("readyz"), await status("healthz")) == (503, 200)
    await proxy.restore()
    assert await status("readyz") == 200


async def test_a_teams_message_gets_the_try_again_reply_and_a_200(teams: TeamsApp, proxy: DbProxy) -> None:
    await proxy.cut()
    started = time.monotonic()
    response = await teams.post(message(DURING, teams.service_url))
    assert response.status == 200, await response.text()
    assert time.monotonic() - started < ACK_DEADLINE
    posts = teams.connector.posts()
    assert len(posts) == 1
    friendly(content(posts[0]))
    await proxy.restore()
    teams.connector.clear()
    response = await teams.post(message(DURING, teams.service_url))
    assert response.status == 200
    assert "is in the pool" in content(teams.connector.posts()[0])


async def test_a_database_that_stops_answering_costs_a_bounded_wait_not_a_hang(
    runtime: Runtime, database_url: str, proxy: DbProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A network partition refuses nothing and answers nothing: the connect and statement timeouts end the wait
    (shortened here; 5 s and 30 s in production) and the person is told to try again."""
    monkeypatch.setattr(engine, "CONNECT_TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(engine, "STATEMENT_TIMEOUT_SECONDS", 0.5)
    bounded = await build(runtime.settings, apply_migrations=False)
    try:
        assert "is in the pool" in text(await bounded.core.handle(said(KEPT)))
        proxy.stall()
        started = time.monotonic()
        replies = await asyncio.wait_for(bounded.core.handle(said(DURING)), timeout=30)
        assert time.monotonic() - started < ACK_DEADLINE
        friendly(text(replies))
        await proxy.restore()
        assert "is in the pool" in text(await bounded.core.handle(said(DURING)))
    finally:
        await proxy.restore()
        await bounded.close()
