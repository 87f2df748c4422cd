"""Fetching calendar feeds from a local HTTP server (insecure mode, loopback only): changes, errors, limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from adapters.http.calendar_fetch import HttpCalendarFetcher
from bot.ports import FeedUnavailable

FEED = (Path(__file__).parents[2] / "data" / "calendars" / "google_support.ics").read_bytes()


@dataclass
class FeedServer:
    base: str
    body: bytes = FEED
    etag: str = '"v1"'
    seen: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    state = FeedServer(base="")

    async def feed(request: web.Request) -> web.StreamResponse:
        state.seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == state.etag:
            return web.Response(status=304, headers={"ETag": state.etag})
        return web.Response(
            body=state.body,
            content_type="text/calendar",
            headers={"ETag": state.etag, "Last-Modified": "Tue, 01 Dec 2026 10:00:00 GMT"},
        )

    async def hop(request: web.Request) -> web.Response:
        state.seen.append(dict(request.headers))
        left = int(request.match_info["left"])
        target = "/feed.ics" if left == 0 else f"/hop/{left - 1}"
        response = web.Response(status=302, headers={"Location": target})
        response.set_cookie("session", "tracking")
        return response

    done = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await done.wait()  # answers only once the test is over
        return web.Response(body=FEED)

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()  # chunked: no Content-Length to judge by
        await response.prepare(request)
        for _ in range(100):
            await response.write(b"X" * 10_000)
        return response

    app = web.Application()
    app.router.add_get("/feed.ics", feed)
    app.router.add_get("/hop/{left}", hop)
    app.router.add_get("/slow.ics", slow)
    app.router.add_get("/huge.ics", huge)
    app.router.add_get("/gone.ics", _gone)
    app.router.add_get("/html", _html)
    app.router.add_get("/private", _redirect_to("http://10.0.0.1/feed.ics"))
    app.router.add_get("/metadata", _redirect_to("http://169.254.169.254/latest/meta-data"))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.base = f"http://127.0.0.1:{port}"
    yield state
    done.set()
    await runner.cleanup()


async def _gone(request: web.Request) -> web.Response:
    return web.Response(status=404)


async def _html(request: web.Request) -> web.Response:
    return web.Response(text="<html>Sign in</html>", content_type="text/html")


def _redirect_to(to: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def redirect(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": to})

    return redirect


def fetcher(**options: float) -> HttpCalendarFetcher:
    return HttpCalendarFetcher(allow_insecure=True, **options)  # type: ignore[arg-type]


async def test_conditional_get_sees_no_change_then_the_new_feed(server: FeedServer) -> None:
    first = await fetcher().fetch(server.base + "/feed.ics")
    assert (first.status, first.body, first.etag) == (200, FEED, '"v1"')
    again = await fetcher().fetch(server.base + "/feed.ics", etag=first.etag, last_modified=first.last_modified)
    assert (again.status, again.body, again.etag) == (304, b"", '"v1"')
    assert server.seen[-1]["If-Modified-Since"] == "Tue, 01 Dec 2026 10:00:00 GMT"
    server.body, server.etag = FEED.replace(b"Support team weekly", b"Support sync"), '"v2"'
    changed = await fetcher().fetch(server.base + "/feed.ics", etag=first.etag)
    assert changed.status == 200 and b"Support sync" in changed.body and changed.etag == '"v2"'


async def test_three_redirects_are_followed_without_cookies(server: FeedServer) -> None:
    fetched = await fetcher().fetch(server.base + "/hop/2")
    assert fetched.body == FEED
    assert len(server.seen) == 4
    assert not any("Cookie" in headers or "Authorization" in headers for headers in server.seen)


async def test_a_fourth_redirect_is_refused(server: FeedServer) -> None:
    with pytest.raises(FeedUnavailable, match="redirects more than 3"):
        await fetcher().fetch(server.base + "/hop/3")


@pytest.mark.parametrize("path", ["/private", "/metadata"])
async def test_a_redirect_into_a_private_network_is_refused(server: FeedServer, path: str) -> None:
    with pytest.raises(FeedUnavailable, match="private network"):
        await fetcher().fetch(server.base + path)


async def test_errors_say_what_is_wrong(server: FeedServer) -> None:
    with pytest.raises(FeedUnavailable, match="404"):
        await fetcher().fetch(server.base + "/gone.ics")
    html = await fetcher().fetch(server.base + "/html")  # the caller judges the body
    assert html.status == 200 and html.body.startswith(b"<html>")


async def test_a_slow_feed_is_given_up(server: FeedServer) -> None:
    with pytest.raises(FeedUnavailable, match="did not answer"):
        await fetcher(time_limit=0.3).fetch(server.base + "/slow.ics")


async def test_an_oversized_feed_is_cut_off(server: FeedServer) -> None:
    with pytest.raises(FeedUnavailable, match="larger than"):
        await fetcher(max_bytes=200_000).fetch(server.base + "/huge.ics")
    with pytest.raises(FeedUnavailable, match="larger than"):
        await fetcher(max_bytes=1000).fetch(server.base + "/feed.ics")  # judged by its Content-Length


async def test_without_insecure_mode_loopback_is_never_connected_to(server: FeedServer) -> None:
    port = server.base.rsplit(":", 1)[1]
    secure = HttpCalendarFetcher()
    with pytest.raises(FeedUnavailable, match="https://"):
        await secure.fetch(server.base + "/feed.ics")
    with pytest.raises(FeedUnavailable, match="private network"):
        await secure.fetch(f"https://localhost:{port}/feed.ics")  # resolved, then refused before connecting
    assert server.seen == []
