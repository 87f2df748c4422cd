"""With authentication on, the token is checked before anything of the body; logs never quote a body.

An unauthenticated request gets its 401 from the Authorization header alone: its body is not read
(a request whose body never arrives is answered all the same), so nothing in it is parsed, checked,
run or logged. Once a token's signature holds, the activity's own checks follow; a log line about a
refused or failed activity names ids and the kind of error, never what the body said.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.runtime import Runtime
from tests.integration.hostile.support import table_counts
from tests.integration.teams.builders import message
from tests.integration.teams.conftest import APP_ID, MAX_BODY, TeamsApp, signed_app
from tests.support.channel_tokens import ChannelKeys
from tests.support.clock import FakeClock
from tests.support.fake_connector import FakeConnector

SECRET = "Herr Brandauer SECRETSTORY"


@pytest.fixture
async def signed(
    runtime: Runtime, connector: FakeConnector, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[TeamsApp, ChannelKeys]]:
    async with signed_app(runtime, connector, clock, monkeypatch) as app:
        yield app


def bodies(service_url: str) -> dict[str, tuple[str, bytes]]:
    """Content type and body of requests that would each be refused for their body, were it read."""
    readable = message("help", service_url)
    return {
        "a valid activity": ("application/json", json.dumps(readable).encode()),
        "a field of the wrong type": ("application/json", json.dumps({**readable, "timestamp": SECRET}).encode()),
        "a malformed activity": ("application/json", json.dumps({"type": "message", "text": SECRET}).encode()),
        "not JSON": ("application/json", f"{{{SECRET}".encode()),
        "not JSON at all": ("text/plain", SECRET.encode()),
        "over the size limit": ("application/json", b'{"text": "' + b"x" * (MAX_BODY + 10) + b'"}'),
    }


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Basic YWxpY2U6c2VjcmV0", "Bearer eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0.", "Bearer not-a-jwt"],
)
@pytest.mark.parametrize(
    "kind",
    [
        "a valid activity",
        "a field of the wrong type",
        "a malformed activity",
        "not JSON",
        "not JSON at all",
        "over the size limit",
    ],
)
async def test_without_a_valid_token_every_request_is_a_401_whatever_its_body(
    signed: tuple[TeamsApp, ChannelKeys], caplog: pytest.LogCaptureFixture, authorization: str | None, kind: str
) -> None:
    teams, _ = signed
    content_type, body = bodies(teams.service_url)[kind]
    headers = {"Content-Type": content_type}
    if authorization is not None:
        headers["Authorization"] = authorization
    before = await table_counts(teams.runtime.engine)
    with caplog.at_level(logging.DEBUG):
        response = await teams.client.post("/api/messages", data=body, headers=headers)
    assert response.status == 401
    assert await response.json() == {"error": "a valid Bot Framework token is required"}
    assert teams.connector.calls == []
    assert await table_counts(teams.runtime.engine) == before
    assert "SECRETSTORY" not in caplog.text and "malformed" not in caplog.text


async def test_without_a_token_the_401_comes_before_the_body_is_read(signed: tuple[TeamsApp, ChannelKeys]) -> None:
    """A request that announces a body and never sends it is still answered at once."""
    teams, _ = signed
    server = teams.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(
            b"POST /api/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n" + f'{{"type": "message", "text": "{SECRET}'.encode()
        )
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), timeout=5)
    finally:
        writer.close()
    assert status.startswith(b"HTTP/1.1 401")


async def test_a_token_for_another_service_url_is_refused_once_the_activity_is_read(
    signed: tuple[TeamsApp, ChannelKeys],
) -> None:
    teams, keys = signed
    token = keys.token(audience=APP_ID, service_url="https://smba.trafficmanager.net/amer/")
    response = await teams.post(message("help", teams.service_url), headers={"Authorization": token})
    assert response.status == 401
    assert teams.connector.calls == []


async def test_an_authenticated_activity_of_the_wrong_shape_is_a_400_and_its_text_is_not_logged(
    signed: tuple[TeamsApp, ChannelKeys], caplog: pytest.LogCaptureFixture
) -> None:
    teams, keys = signed
    token = keys.token(audience=APP_ID, service_url=teams.service_url)
    for change in ({"timestamp": SECRET}, {"localTimestamp": SECRET}, {"attachments": SECRET}):
        activity = {**message("help", teams.service_url), **change}
        with caplog.at_level(logging.DEBUG):
            response = await teams.post(activity, headers={"Authorization": token})
        assert response.status == 400
    assert "SECRETSTORY" not in caplog.text
    assert "could not be read (" in caplog.text


async def test_a_turn_that_fails_is_logged_by_the_kind_of_error_not_its_text(
    teams: TeamsApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    handler = teams.surface._handler

    async def failing(activity: Any, connectors: Any) -> None:
        raise ValueError(f"could not handle {activity['text']}")

    monkeypatch.setattr(handler, "message", failing)
    with caplog.at_level(logging.DEBUG):
        response = await teams.post(message(f"story {SECRET}", teams.service_url))
    assert response.status == 500
    assert "SECRETSTORY" not in caplog.text
    assert "ValueError" in caplog.text
