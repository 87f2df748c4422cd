"""Slack or Teams slow or failing: acknowledgements stay within the deadline, outbound calls are bounded.

Slack: the Web API client has a 10 s timeout (``API_TIMEOUT_SECONDS``) and retries only 429, 5xx and
connection errors; all of it runs after the ack. Teams: each Bot Connector call has a timeout and a few
jittered retries; the turn runs before Teams gets its 200, so the bound is attempts × timeout + backoff.
"""

from __future__ import annotations

import itertools
import time

from adapters.slack.surface import API_TIMEOUT_SECONDS
from tests.integration.faults import ACK_DEADLINE, ON_POSTGRES, eventually
from tests.integration.slack.driver import SlackDriver, all_text
from tests.integration.teams.builders import message
from tests.integration.teams.conftest import FAST, TeamsApp
from tests.integration.teams.reading import content

pytestmark = ON_POSTGRES

SHOUTOUT = "shoutout <@U2|bob> called the customer back before they had to chase us"
SLOW = 20.0  # seconds chat.postMessage takes to answer: longer than the client's timeout


async def test_commands_are_acked_in_time_while_chat_post_message_hangs(slack: SlackDriver) -> None:
    slack.fake.slow("chat.postMessage", SLOW)
    started = time.monotonic()
    await slack.command(SHOUTOUT, settle=False)  # posts to the channel and DMs Bob: both hang
    assert time.monotonic() - started < ACK_DEADLINE
    assert await slack.surface.idle(0.5) is False  # the shout-out's posts are still waiting on Slack

    started = time.monotonic()
    name = await slack.command("help", settle=False)
    assert time.monotonic() - started < ACK_DEADLINE

    async def answered() -> bool:
        return bool(slack.responses(name))

    assert await eventually(answered, within=ACK_DEADLINE), "help was not answered while another post hung"
    mine = await slack.command("mine", settle=False)
    assert await eventually(lambda: answered_by(slack, mine), within=ACK_DEADLINE)
    assert "called the customer back" in slack.said(mine)  # the shout-out itself was saved at once


async def answered_by(slack: SlackDriver, name: str) -> bool:
    return bool(slack.responses(name))


async def test_a_hanging_web_api_call_is_abandoned_after_the_client_timeout(slack: SlackDriver) -> None:
    slack.fake.slow("chat.postMessage", SLOW)
    started = time.monotonic()
    await slack.command("request in 30", settle=False)  # one card, one chat.postMessage
    assert time.monotonic() - started < ACK_DEADLINE
    assert await slack.surface.idle(API_TIMEOUT_SECONDS + 3), "the post was not abandoned after the timeout"


async def test_a_failing_slack_is_retried_with_backoff_and_the_ack_is_not_held(slack: SlackDriver) -> None:
    slack.fake.fail("chat.postMessage", "internal_error", status=503, retry_after=0, times=2)
    started = time.monotonic()
    await slack.command(SHOUTOUT, settle=False)
    assert time.monotonic() - started < ACK_DEADLINE
    assert await slack.surface.idle(API_TIMEOUT_SECONDS)
    calls = slack.fake.calls_to("chat.postMessage")
    assert len(calls) == 4  # the DM: two 503s, then through; then the channel post
    intervals = [later.at - earlier.at for earlier, later in itertools.pairwise(calls[:3])]
    assert all(interval >= 0.5 for interval in intervals), intervals  # backed off, not hammered
    [post] = slack.fake.posted("C1")
    assert "Bob" in all_text(post["blocks"])


async def test_a_slow_failing_teams_connector_is_bounded_and_the_activity_still_gets_its_200(
    teams: TeamsApp,
) -> None:
    delay = FAST.timeout + 1.0  # every attempt runs into the connector call's timeout
    teams.connector.fail_next(FAST.backoff.attempts, 503, delay=delay, only="POST")
    started = time.monotonic()
    response = await teams.post(message("help", teams.service_url))
    elapsed = time.monotonic() - started
    assert response.status == 200, await response.text()
    bound = FAST.backoff.attempts * (FAST.timeout + FAST.backoff.cap) + 2.0
    assert elapsed < bound, f"{elapsed:.1f}s"
    teams.connector.clear()
    response = await teams.post(message("help", teams.service_url))  # the connector answers again
    assert response.status == 200
    assert "Customer Moment" in content(teams.connector.posts()[0])
