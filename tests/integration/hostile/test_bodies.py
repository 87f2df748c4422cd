"""Bodies that are not what they claim to be: oversized, not UTF-8, nested without end, half a form.

``/slack/events`` and ``/api/messages`` answer them with a 4xx (or, for input they can read, a
friendly answer), write nothing and call nobody.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from adapters.runtime import Runtime
from bot.storage.models import Team
from tests.integration.hostile.support import (
    ONE_MEGABYTE,
    assert_teams_said_nothing_bad,
    deep_json,
    post_slack,
    table_counts,
    table_rows,
)
from tests.integration.slack.driver import SlackDriver
from tests.integration.teams.builders import CHANNEL, message
from tests.integration.teams.conftest import TeamsApp

FUZZ = settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
SIZES = (ONE_MEGABYTE, ONE_MEGABYTE + 1, 3 * ONE_MEGABYTE)
DEPTHS = (10_000, 100_000)


def command_form(text: str = "help") -> bytes:
    fields = {"team_id": "T1", "channel_id": "C1", "user_id": "U1", "command": "/moment", "text": text}
    return urlencode(fields).encode()


async def in_chunks(body: bytes) -> AsyncIterator[bytes]:
    """The body with chunked transfer encoding: no Content-Length for the server to check up front."""
    for start in range(0, len(body), 64 * 1024):
        yield body[start : start + 64 * 1024]


# -- size -------------------------------------------------------------------------------------------


async def test_slack_bodies_of_a_megabyte_and_more_are_413(slack: SlackDriver, runtime: Runtime) -> None:
    before = await table_rows(runtime.engine)
    for size in SIZES:
        for body, kind in (
            (command_form("story " + "x" * size), FORM),
            (json.dumps({"type": "event_callback", "event": {"text": "x" * size}}).encode(), JSON),
        ):
            for signed in (True, False):
                for chunked in (False, True):
                    status, _ = await post_slack(slack, body, kind, signed=signed, chunked=chunked)
                    assert status == 413, (size, kind, signed, chunked)
    await slack.settle()
    assert slack.fake.calls == [] and slack.fake.responses == []
    assert await table_rows(runtime.engine) == before


async def test_teams_bodies_of_a_megabyte_and_more_are_413(teams: TeamsApp, runtime: Runtime) -> None:
    before = await table_rows(runtime.engine)
    for size in SIZES:
        body = json.dumps(message("story " + "x" * size, teams.service_url)).encode()
        for data in (body, in_chunks(body)):
            response = await teams.client.post("/api/messages", data=data, headers={"Content-Type": JSON})
            assert response.status == 413, size
    assert teams.connector.calls == []
    assert await table_rows(runtime.engine) == before


# -- encoding ---------------------------------------------------------------------------------------

NOT_UTF8 = (
    b"\xff\xfe\xfd",
    b'{"type": "event_callback", "event": {"type": "app_home_opened", "user": "U1\xc3"}}',
    b"payload=" + quote('{"type": "block_actions"}').encode() + b"\xe2\x82",
    b"team_id=T1&user_id=U1&command=%2Fmoment&text=\xc0\xaf",
    b"\xed\xa0\x80",  # an encoded surrogate
)


async def test_slack_bodies_that_are_not_utf8_are_a_400(slack: SlackDriver, runtime: Runtime) -> None:
    """Signed: a 400. Unsigned: a 401 like any other request Slack did not sign, before the body is read."""
    before = await table_rows(runtime.engine)
    for body in NOT_UTF8:
        for content_type in (JSON, FORM, f"{JSON}; charset=utf-8", None):
            for signed in (True, False):
                status, _ = await post_slack(slack, body, content_type, signed=signed)
                assert status == (400 if signed else 401), (body, content_type, signed)
    await slack.settle()
    assert slack.fake.calls == []
    assert await table_rows(runtime.engine) == before


async def test_slack_a_claimed_charset_is_not_trusted(slack: SlackDriver, runtime: Runtime) -> None:
    """Slack signs UTF-8 bytes; a body claiming another charset is read as UTF-8 all the same (or refused)."""
    before = await table_counts(runtime.engine)
    charsets = ("klingon", "utf-16", "latin-1", "utf-8-sig;;", "")
    for number, charset in enumerate(charsets):
        status, carried = await post_slack(slack, command_form("dänce"), f"{FORM}; charset={charset}")
        assert status == 200, charset
        slack.fake.acknowledged(f"charset{number}", carried)
    await slack.settle()
    assert len(slack.fake.responses) == len(charsets)
    assert all("'dänce'" in json.dumps(body, ensure_ascii=False) for _, body in slack.fake.responses)
    assert await table_counts(runtime.engine) == before


@FUZZ
@given(junk=st.binary(min_size=1, max_size=300))
async def test_teams_random_bytes_are_a_4xx(teams: TeamsApp, runtime: Runtime, junk: bytes) -> None:
    before = await table_counts(runtime.engine)
    for content_type in (JSON, f"{JSON}; charset=utf-8", f"{JSON}; charset=klingon"):
        response = await teams.client.post("/api/messages", data=junk, headers={"Content-Type": content_type})
        assert 400 <= response.status < 500, response.status
    assert teams.connector.calls == []
    assert await table_counts(runtime.engine) == before


@FUZZ
@given(junk=st.binary(min_size=1, max_size=300))
async def test_slack_random_bytes_are_never_a_500(slack: SlackDriver, runtime: Runtime, junk: bytes) -> None:
    before = await table_counts(runtime.engine)
    for content_type in (JSON, FORM, None):
        status, _ = await post_slack(slack, junk, content_type)
        assert status < 500, status
    await slack.settle()
    assert slack.fake.calls == []
    assert await table_counts(runtime.engine) == before


# -- nesting ----------------------------------------------------------------------------------------


async def test_slack_deeply_nested_json_is_a_400(slack: SlackDriver, runtime: Runtime) -> None:
    before = await table_rows(runtime.engine)
    for levels in DEPTHS:
        nested = deep_json(levels)
        for body, kind in ((nested, JSON), (b"payload=" + quote(nested.decode(), safe='[]{}:"').encode(), FORM)):
            status, _ = await post_slack(slack, body, kind)
            assert status == 400, (levels, kind)
    await slack.settle()
    assert slack.fake.calls == []
    assert await table_rows(runtime.engine) == before


async def test_slack_nesting_it_can_read_is_never_a_500(slack: SlackDriver, runtime: Runtime) -> None:
    """Inside every field Bolt and the listeners look at, nested as deep as the JSON parser still reads."""
    before = await table_counts(runtime.engine)
    nest = "[" * 900 + "]" * 900
    for field in ("team", "user", "actions", "view", "channel", "container", "trigger_id", "response_url", "type"):
        payload = {
            "type": "block_actions",
            "team": {"id": "T1"},
            "user": {"id": "U1"},
            "actions": [{"action_id": "agenda.swap", "value": "1"}],
            "trigger_id": "t-nest-" + field,
            field: "NEST",
        }
        body = ("payload=" + quote(json.dumps(payload).replace('"NEST"', nest))).encode()
        status, _ = await post_slack(slack, body, FORM)
        assert status < 500, field
    await slack.settle()
    assert await table_counts(runtime.engine) == before


async def test_teams_deeply_nested_json_is_never_a_500(teams: TeamsApp, runtime: Runtime) -> None:
    """Nesting the parser can read is an activity like any other; nesting it cannot read is a 400."""
    before = await table_rows(runtime.engine)
    for levels in (900, 990, *DEPTHS):
        nest = "[" * levels + "]" * levels
        for where in ("value", "channelData", "from", "conversation", "entities"):
            activity = message("dance", teams.service_url)  # an unknown command: answered, nothing stored
            if where == "value":
                activity["value"] = "NEST"
            elif where == "entities":
                activity["entities"] = ["NEST"]
            else:
                activity[where] = {**activity[where], "nest": "NEST"}
            body = json.dumps(activity).replace('"NEST"', nest).encode()
            teams.connector.clear()
            response = await teams.client.post("/api/messages", data=body, headers={"Content-Type": JSON})
            assert response.status < 500, (levels, where)
            if levels >= 10_000:
                assert response.status == 400 and teams.connector.calls == []
            assert_teams_said_nothing_bad(teams.connector)
        response = await teams.client.post("/api/messages", data=deep_json(levels), headers={"Content-Type": JSON})
        assert response.status == 400
    assert await table_rows(runtime.engine) == before


async def test_teams_a_deep_sender_kept_in_the_conversation_reference_is_never_a_500(
    teams: TeamsApp, runtime: Runtime
) -> None:
    """A channel's reference is stored again when its service URL moves: with the sender, however deep."""
    assert (await teams.post(message("help", teams.service_url))).status == 200  # the channel and its reference
    moved = teams.service_url.replace("127.0.0.1", "localhost")  # the same fake connector under another name
    for levels in (500, 900, 990):
        activity = message("dance", moved)
        activity["from"] = {**activity["from"], "nest": "NEST"}
        body = json.dumps(activity).replace('"NEST"', "[" * levels + "]" * levels)
        before = await table_counts(runtime.engine)
        teams.connector.clear()
        response = await teams.client.post("/api/messages", data=body.encode(), headers={"Content-Type": JSON})
        assert response.status < 500, levels
        assert_teams_said_nothing_bad(teams.connector)
        assert await table_counts(runtime.engine) == before
        async with runtime.sessions() as session:
            [stored] = list(await session.scalars(select(Team.conversation).where(Team.external_id == CHANNEL)))
        if response.status == 200:  # deeper than the SDK's reader goes: a 400, and the old reference stays
            assert stored["serviceUrl"] == moved and "nest" in stored["user"]
            moved = (
                moved.replace("localhost", "127.0.0.1")
                if "localhost" in moved
                else moved.replace("127.0.0.1", "localhost")
            )


# -- forms ------------------------------------------------------------------------------------------

broken_payloads = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["", "{", "[]", "null", "1", '"block_actions"', "{'type': 'view_submission'}", "{}" * 3]),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=8,
    ).map(json.dumps),
)


@FUZZ
@given(payload=broken_payloads, extra=st.sampled_from(["", "&payload=%7B", "&payload", "&token=x&payload=1"]))
async def test_slack_forms_with_a_broken_payload_are_never_a_500(
    slack: SlackDriver, runtime: Runtime, payload: str, extra: str
) -> None:
    before = await table_counts(runtime.engine)
    body = ("payload=" + quote(payload, safe="") + extra).encode()
    status, _ = await post_slack(slack, body, FORM)
    assert status < 500, (status, body[:200])
    await slack.settle()
    assert await table_counts(runtime.engine) == before


async def test_slack_forms_cut_short_are_never_a_500(slack: SlackDriver, runtime: Runtime) -> None:
    before = await table_counts(runtime.engine)
    for body in (b"", b"payload=", b"payload", b"=", b"&&&", b"payload=%", b"payload=%ZZ", b"a=1&payload=%7B%22t"):
        for content_type in (FORM, JSON, None):
            status, _ = await post_slack(slack, body, content_type)
            assert status < 500, (body, content_type)
    await slack.settle()
    assert await table_counts(runtime.engine) == before
