"""The shared HTTP server: health, readiness, metrics and body limits, over real TCP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from adapters.http.server import create_app
from adapters.runtime import Runtime
from bot.storage.engine import create_engine
from tests.support.serving import METRICS_AUTH, METRICS_TOKEN


@pytest.fixture
async def server(runtime: Runtime) -> AsyncIterator[TestServer]:
    app = create_app(engine=runtime.engine, surfaces=[], max_body_bytes=2048, metrics_token=METRICS_TOKEN)

    async def echo(request: web.Request) -> web.Response:
        return web.Response(text=str(len(await request.read())))

    app.router.add_post("/echo", echo)
    async with TestServer(app) as test_server:
        yield test_server


async def test_health_and_readiness_answer_when_the_database_is_up(server: TestServer) -> None:
    async with ClientSession() as http:
        async with http.get(server.make_url("/healthz")) as response:
            assert response.status == 200 and (await response.json())["status"] == "ok"
        async with http.get(server.make_url("/readyz")) as response:
            assert response.status == 200 and (await response.json())["database"] == "ok"


async def test_readiness_fails_while_the_database_is_unreachable() -> None:
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nothing")
    app = create_app(engine=engine, surfaces=[], max_body_bytes=2048)
    async with TestServer(app) as server, ClientSession() as http:
        async with http.get(server.make_url("/readyz")) as response:
            assert response.status == 503
            assert (await response.json())["database"] == "unreachable"
        async with http.get(server.make_url("/healthz")) as response:
            assert response.status == 200
    await engine.dispose()


async def test_metrics_count_requests_by_route_and_status(server: TestServer) -> None:
    async with ClientSession() as http:
        await (await http.get(server.make_url("/healthz"))).read()
        await (await http.get(server.make_url("/no-such-page"))).read()
        async with http.get(server.make_url("/metrics"), headers=METRICS_AUTH) as response:
            assert response.status == 200
            body = await response.text()
    assert 'customer_moment_http_requests_total{route="/healthz",status="200",surface="http"}' in body
    assert 'route="unmatched",status="404"' in body
    assert "customer_moment_http_request_seconds_bucket" in body
    assert 'customer_moment_db_pool_in_use{pool="requests"}' in body


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong-token-of-the-same-length-0123",
        f"bearer {METRICS_TOKEN}",
        f"Basic {METRICS_TOKEN}",
        f"Bearer {METRICS_TOKEN}x",
        f"Bearer {METRICS_TOKEN[:-1]}",
        f"Bearer  {METRICS_TOKEN}",
        "Bearer \u00e9\u00e9\u00e9",
    ],
)
async def test_metrics_refuse_a_caller_without_the_token(server: TestServer, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    async with ClientSession() as http, http.get(server.make_url("/metrics"), headers=headers) as response:
        body = await response.text()
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "customer_moment" not in body


async def test_without_a_metrics_token_there_is_no_metrics_page(runtime: Runtime) -> None:
    app = create_app(engine=runtime.engine, surfaces=[], max_body_bytes=2048)
    async with TestServer(app) as server, ClientSession() as http:
        for headers in ({}, METRICS_AUTH, {"Authorization": "Bearer "}):
            async with http.get(server.make_url("/metrics"), headers=headers) as response:
                assert response.status == 404
                assert "customer_moment" not in await response.text()
        async with http.get(server.make_url("/healthz")) as response:
            assert response.status == 200  # health stays answerable: it says only "ok"


async def test_bodies_over_the_limit_are_refused_with_413(server: TestServer) -> None:
    async with ClientSession() as http:
        async with http.post(server.make_url("/echo"), data=b"x" * 1000) as response:
            assert response.status == 200
        async with http.post(server.make_url("/echo"), data=b"x" * 5000) as response:
            assert response.status == 413
