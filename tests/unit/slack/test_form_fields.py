"""A form body read in front of Bolt: the same fields ``urllib`` gives, for any text, well-formed or not."""

from __future__ import annotations

import asyncio
import json
from unittest import mock
from urllib.parse import parse_qsl, quote_plus, urlencode

import pytest
from aiohttp import StreamReader, web
from aiohttp.test_utils import make_mocked_request
from hypothesis import example, given, settings
from hypothesis import strategies as st
from slack_bolt.request.async_request import AsyncBoltRequest

from adapters.slack.requests import form_fields, to_bolt_request

# Text built from what forms are made of, so that escapes, separators and their mistakes are common.
PIECES = st.one_of(
    st.sampled_from(["%", "%2", "%20", "%2B", "%25", "%C3%A9", "%E2%82%AC", "%F0%9F%98%80", "%C3", "%A9", "%zz"]),
    st.sampled_from(["&", "=", "+", "\\", "\\x41", "payload", "{", '"', "é", "€", "😀", "\x00", "%5C", "%5Cx41"]),
    st.text(max_size=6),
)
FORMS = st.lists(PIECES, max_size=40).map("".join)


@settings(max_examples=1500)
@given(FORMS)
@example("a=%C3%A9%A9")  # an escaped byte that is not UTF-8 after a character that is
@example("a=%C3é")  # an escaped lead byte before a raw character
@example("a=%5Cx41%41")  # an escaped backslash beside an escape
@example("a=b=c&&=&d")
@example("%")
def test_any_text_gives_the_fields_parse_qsl_gives(text: str) -> None:
    assert form_fields(text) == dict(parse_qsl(text, keep_blank_values=True))


@given(st.dictionaries(st.text(max_size=8), st.text(max_size=40), max_size=6))
def test_an_encoded_form_reads_back_as_its_fields(fields: dict[str, str]) -> None:
    assert form_fields(urlencode(fields)) == fields


def test_a_payload_of_json_survives_every_escape() -> None:
    payload = {"view": {"blocks": [{"text": 'Café & co = 100% \\ "quoted" 😀 + more'}]}, "n": [1, 2]}
    text = "payload=" + quote_plus(json.dumps(payload))
    assert json.loads(form_fields(text)["payload"]) == payload


def _request(body: bytes, content_type: str) -> web.Request:
    reader = StreamReader(mock.Mock(_reading_paused=False), 2**16, loop=asyncio.get_running_loop())
    reader.feed_data(body)
    reader.feed_eof()
    return make_mocked_request("POST", "/slack/events", headers={"Content-Type": content_type}, payload=reader)


COMMAND = {"team_id": "T1", "user_id": "U1", "command": "/moment", "text": "queue 100% & more = é", "trigger_id": "1"}
ACTION = {
    "type": "block_actions",
    "team": {"id": "T1"},
    "user": {"id": "U1", "team_id": "T1"},
    "actions": [{"action_id": "agenda.helpful", "value": "7", "block_id": "b", "type": "button"}],
}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (urlencode(COMMAND), "application/x-www-form-urlencoded"),
        (urlencode({"payload": json.dumps(ACTION)}), "application/x-www-form-urlencoded; charset=utf-8"),
        (json.dumps({"type": "event_callback", "team_id": "T1", "event": {"type": "app_mention"}}), "application/json"),
        ("team_id=T1&p%61yload=%7B%22type%22%3A%22x%22%7D", "application/x-www-form-urlencoded"),
    ],
)
async def test_bolt_is_given_the_body_and_context_it_would_read_itself(body: str, content_type: str) -> None:
    mine = await to_bolt_request(_request(body.encode(), content_type))
    bolt = AsyncBoltRequest(body=body, headers={"content-type": content_type})
    assert (mine.raw_body, mine.body, mine.content_type) == (bolt.raw_body, bolt.body, bolt.content_type)
    assert dict(mine.context) == dict(bolt.context)
