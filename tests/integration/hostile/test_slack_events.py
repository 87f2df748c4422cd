"""Events API deliveries of any shape: missing fields, unknown types, parts of the wrong type.

Events are acknowledged before they are handled, so each must be a 200 or a 4xx; handling one that
names no workspace or no person writes nothing (the delivery log aside, which is written on purpose).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.runtime import Runtime
from tests.integration.hostile.strategies import hostile_text, json_values, jsonable
from tests.integration.hostile.support import DELIVERY_LOG, assert_slack_said_nothing_bad, changed, table_counts
from tests.integration.slack.driver import SlackDriver

FUZZ = settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


async def known(slack: SlackDriver, runtime: Runtime) -> None:
    """The workspace and person exist (a first contact writes them; that is not what is tested)."""
    if not (await table_counts(runtime.engine))["members"]:
        await slack.command("help")


EVENT_TYPES = ("app_home_opened", "app_uninstalled", "tokens_revoked", "message", "app_mention", "team_join", "")


@FUZZ
@given(
    kind=st.one_of(st.sampled_from(EVENT_TYPES), hostile_text),
    fields=st.dictionaries(
        st.sampled_from(["user", "tab", "channel", "tokens", "view", "team", "text", "event_ts"]), json_values
    ),
    envelope=st.dictionaries(st.sampled_from(["team_id", "api_app_id", "event_id", "authorizations"]), json_values),
)
async def test_events_with_missing_fields_or_of_unknown_types_are_never_a_500(
    slack: SlackDriver, runtime: Runtime, kind: str, fields: dict[str, Any], envelope: dict[str, Any]
) -> None:
    await known(slack, runtime)
    body = jsonable(
        {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": slack.next_id("EvFuzz"),
            "event": {"type": kind, **fields},
            **envelope,
        }
    )
    before = await table_counts(runtime.engine, ignore=[DELIVERY_LOG])
    slack.fake.reset()
    status, _ = await slack.send(json.dumps(body), "application/json")
    await slack.settle()
    assert status < 500, status
    assert_slack_said_nothing_bad(slack.fake)
    assert changed(before, await table_counts(runtime.engine, ignore=[DELIVERY_LOG])) == {}


async def test_envelopes_missing_their_parts_are_never_a_500(slack: SlackDriver, runtime: Runtime) -> None:
    before = await table_counts(runtime.engine, ignore=[DELIVERY_LOG])
    for body in (
        {},
        {"type": "event_callback"},
        {"type": "event_callback", "event": None},
        {"type": "event_callback", "event": {}},
        {"type": "event_callback", "event": []},
        {"type": "event_callback", "event": "app_home_opened"},
        {"type": "event_callback", "event": {"type": None}},
        {"type": "event_callback", "event": {"type": ["app_home_opened"]}},
        {"type": "url_verification"},
        {"type": "url_verification", "challenge": {"a": 1}},
        {"type": "app_rate_limited"},
        {"type": ["event_callback"], "event": {"type": "app_home_opened"}},
        {"type": "event_callback", "event": {"type": "app_home_opened", "tab": "home"}},  # nobody opened it
        {"type": "event_callback", "event": {"type": "tokens_revoked", "tokens": ["bot"]}},
        {"type": "event_callback", "event": {"type": "tokens_revoked", "tokens": {"oauth": "U1", "bot": 1}}},
        {"type": "event_callback", "team_id": None, "event": {"type": "app_uninstalled"}},
    ):
        status, _ = await slack.send(json.dumps(body), "application/json")
        assert status < 500, body
    await slack.settle()
    assert_slack_said_nothing_bad(slack.fake)
    assert changed(before, await table_counts(runtime.engine, ignore=[DELIVERY_LOG])) == {}
