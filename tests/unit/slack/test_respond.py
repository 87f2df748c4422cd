"""Answers on a ``response_url``: one JSON POST on the Web API client's session (and proxy), one more
try when the connection was dropped unanswered."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.respond import respond

Answer = Callable[[int], bytes | None]  # the attempt's number → the raw HTTP answer, or None to drop the connection


class Endpoint:
    """A loopback HTTP endpoint that records each request's body and answers as ``answer`` says."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.bodies: list[bytes] = []
        self.headers: list[str] = []
        self.server: asyncio.Server | None = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return  # the client closed its connection
            lines = head.decode().split("\r\n")
            length = next(int(line.split(":")[1]) for line in lines if line.lower().startswith("content-length"))
            self.headers.append(head.decode().lower())
            self.bodies.append(await reader.readexactly(length))
            raw = self.answer(len(self.bodies))
            if raw is None:
                writer.close()
                return
            writer.write(raw)
            await writer.drain()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/response/r1"


def status(code: int) -> bytes:
    return f"HTTP/1.1 {code} X\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok".encode()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as client:
        yield client


Start = Callable[[Answer], Awaitable[Endpoint]]


@pytest.fixture
async def started() -> AsyncIterator[Start]:
    """Starts endpoints; closes them after the test."""
    servers: list[asyncio.Server] = []

    async def start(answer: Answer) -> Endpoint:
        endpoint = Endpoint(answer)
        endpoint.server = await asyncio.start_server(endpoint._serve, "127.0.0.1", 0)
        servers.append(endpoint.server)
        return endpoint

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_the_body_goes_as_json_and_the_status_comes_back(session: aiohttp.ClientSession, started: Start) -> None:
    endpoint = await started(lambda n: status(200 if n == 1 else 404))
    body = {"response_type": "ephemeral", "text": "Thanks, Zoë — story #3 is in the pool"}
    assert await respond(AsyncWebClient(session=session), endpoint.url, body) == 200
    assert await respond(AsyncWebClient(session=session), endpoint.url, {"text": "again"}) == 404
    assert json.loads(endpoint.bodies[0]) == body
    assert "content-type: application/json" in endpoint.headers[0]


async def test_a_dropped_connection_is_tried_once_more(session: aiohttp.ClientSession, started: Start) -> None:
    endpoint = await started(lambda n: None if n == 1 else status(200))
    assert await respond(AsyncWebClient(session=session), endpoint.url, {"text": "hello"}) == 200
    assert [json.loads(b) for b in endpoint.bodies] == [{"text": "hello"}, {"text": "hello"}]


async def test_dropped_twice_is_the_callers_failure(session: aiohttp.ClientSession, started: Start) -> None:
    endpoint = await started(lambda n: None)
    with pytest.raises(aiohttp.ClientError):
        await respond(AsyncWebClient(session=session), endpoint.url, {"text": "hello"})
    assert len(endpoint.bodies) == 2


async def test_an_error_answer_is_not_tried_again(session: aiohttp.ClientSession, started: Start) -> None:
    endpoint = await started(lambda n: status(500))
    assert await respond(AsyncWebClient(session=session), endpoint.url, {"text": "hello"}) == 500
    assert len(endpoint.bodies) == 1


async def test_a_proxy_carries_the_answer_when_the_web_api_client_has_one(
    session: aiohttp.ClientSession, started: Start
) -> None:
    proxy = await started(lambda n: status(200))
    assert proxy.server is not None
    port = proxy.server.sockets[0].getsockname()[1]
    url = "http://hooks.slack.invalid/commands/T1/1/abc"
    assert (
        await respond(AsyncWebClient(session=session, proxy=f"http://127.0.0.1:{port}"), url, {"text": "hello"}) == 200
    )
    assert proxy.headers[0].startswith(f"post {url.lower()} http/1.1")
