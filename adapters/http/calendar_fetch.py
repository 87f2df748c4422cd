"""Fetching calendar feeds whose address a user typed, without letting that address reach inside our network.

Every address a connection is made to is checked *after* DNS resolution, by the resolver the connector
itself uses, so the address checked is the address connected to (no second lookup to race against).
Literal IP hosts skip aiohttp's resolver, so they are checked before the request. Redirects are
followed by hand, at most three, each hop checked again. Bodies are capped in size, the whole fetch in
time; no cookies are kept, no proxy from the environment is used and nothing but the conditional-GET
headers is sent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from typing import Final

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from bot.ports import FeedUnavailable, FetchedFeed

logger = logging.getLogger(__name__)

MAX_BYTES: Final = 5 * 1024 * 1024
TIME_LIMIT: Final = 10.0
MAX_REDIRECTS: Final = 3
_REDIRECTS: Final = {301, 302, 303, 307, 308}
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _embedded(address: Address) -> Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), which is where it really leads."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: Address, *, allow_loopback: bool = False) -> bool:
    """Whether a feed may be fetched from ``address``: a globally routable unicast address.

    Loopback, private, shared (carrier NAT), link-local, multicast, reserved, unspecified and documentation
    ranges are all refused; ``allow_loopback`` lets local development and tests use 127.0.0.1 / ::1.
    """
    inner = _embedded(address)
    if inner is not None:
        return is_public(inner, allow_loopback=allow_loopback)
    if allow_loopback and address.is_loopback:
        return True
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_private
    )


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


class PublicOnlyResolver(AbstractResolver):
    """Resolves like aiohttp does, then keeps only the addresses a feed may be fetched from."""

    def __init__(self, *, allow_loopback: bool, inner: AbstractResolver | None = None) -> None:
        self._inner = inner or DefaultResolver()
        self._allow_loopback = allow_loopback

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        allowed = [
            r
            for r in found
            if (a := _literal(r["host"])) is not None and is_public(a, allow_loopback=self._allow_loopback)
        ]
        if not allowed:
            raise FeedUnavailable("That address points inside a private network; I only read public calendars.")
        return allowed

    def _allowed(self, host: str) -> bool:
        address = _literal(host)
        return address is not None and is_public(address, allow_loopback=self._allow_loopback)

    async def close(self) -> None:
        await self._inner.close()


class HttpCalendarFetcher:
    """The :class:`bot.ports.CalendarFetcher` over aiohttp. ``allow_insecure`` is for development and tests only."""

    def __init__(
        self, *, allow_insecure: bool = False, max_bytes: int = MAX_BYTES, time_limit: float = TIME_LIMIT
    ) -> None:
        self._insecure = allow_insecure
        self._max_bytes = max_bytes
        self._time_limit = time_limit

    def refusal(self, url: str) -> str | None:
        """Why this URL is never fetched, judged from the URL alone (its resolved address is checked later)."""
        try:
            parsed = URL(_https(url.strip()))
        except (ValueError, TypeError):
            return "That is not a web address."
        schemes = {"https", "http"} if self._insecure else {"https"}
        if parsed.scheme.lower() not in schemes or not parsed.host:
            return "Give the calendar's https:// address (webcal:// works too; I read it over https)."
        if parsed.user is not None or parsed.password is not None:
            return "Give the calendar's address without a user name or password in it."
        literal = _literal(parsed.host)
        if literal is not None and not is_public(literal, allow_loopback=self._insecure):
            return "That address points inside a private network; I only read public calendars."
        return None

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchedFeed:
        headers = {"Accept": "text/calendar, */*;q=0.5", "User-Agent": "CustomerMoment-calendar/1"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        connector = aiohttp.TCPConnector(
            resolver=PublicOnlyResolver(allow_loopback=self._insecure), use_dns_cache=False, force_close=True
        )
        try:
            async with (
                asyncio.timeout(self._time_limit),
                aiohttp.ClientSession(
                    connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False
                ) as session,
            ):
                return await self._follow(session, url, headers)
        except TimeoutError:
            raise FeedUnavailable(f"The calendar did not answer within {self._time_limit:g} seconds.") from None
        except FeedUnavailable:
            raise
        except aiohttp.ClientConnectorError as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, FeedUnavailable):
                raise cause from None
            raise FeedUnavailable("I could not connect to the calendar's server.") from None
        except (aiohttp.ClientError, OSError) as exc:
            logger.info("calendar fetch failed: %s", type(exc).__name__)
            raise FeedUnavailable("I could not read the calendar's address.") from None

    async def _follow(self, session: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> FetchedFeed:
        target = URL(_https(url.strip()))
        for _ in range(MAX_REDIRECTS + 1):
            problem = self.refusal(str(target))
            if problem:
                raise FeedUnavailable(problem)
            async with session.get(target, headers=headers, allow_redirects=False) as response:
                if response.status in _REDIRECTS:
                    location = response.headers.get("Location")
                    if not location:
                        raise FeedUnavailable("The calendar's server sent a redirect without an address.")
                    target = target.join(URL(location))
                    continue
                if response.status == 304:
                    return FetchedFeed(
                        304,
                        b"",
                        response.headers.get("ETag") or headers.get("If-None-Match"),
                        response.headers.get("Last-Modified") or headers.get("If-Modified-Since"),
                    )
                if response.status != 200:
                    raise FeedUnavailable(_status_text(response.status))
                body = await self._read(response)
                return FetchedFeed(200, body, response.headers.get("ETag"), response.headers.get("Last-Modified"))
        raise FeedUnavailable(f"The calendar's address redirects more than {MAX_REDIRECTS} times.")

    async def _read(self, response: aiohttp.ClientResponse) -> bytes:
        too_big = FeedUnavailable(f"The calendar is larger than {self._max_bytes // (1024 * 1024)} MB.")
        if (response.content_length or 0) > self._max_bytes:
            raise too_big
        body = bytearray()
        async for chunk in response.content.iter_chunked(64 * 1024):
            body += chunk
            if len(body) > self._max_bytes:
                raise too_big
        return bytes(body)


def _https(url: str) -> str:
    """``webcal://`` (what calendar apps hand out) is https underneath."""
    if url.lower().startswith("webcal://"):
        return "https://" + url[len("webcal://") :]
    return url


def _status_text(status: int) -> str:
    if status in (401, 403):
        return f"The calendar refused access (HTTP {status}); the address may have been reset or made private."
    if status in (404, 410):
        return f"The calendar's address no longer exists (HTTP {status}); it may have been reset."
    return f"The calendar's server answered with an error (HTTP {status})."
