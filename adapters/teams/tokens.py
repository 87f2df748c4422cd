"""Bot Framework access tokens for outgoing Bot Connector calls, fetched rarely and shared.

Fetching a token is blocking (msal, sometimes a call to Entra ID), so it runs in the loop's executor —
but only when the cached one is missing or rejected, never on every call. msal hands out only tokens
with at least five minutes left, so keeping one for four minutes never sends an expired token.
Concurrent callers wait for one fetch instead of starting their own; a token the connector refused
(401) is replaced by a forced refresh, again shared by everyone who saw it refused.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

Fetch = Callable[[bool], str]  # force_refresh → token (blocking)
Clock = Callable[[], float]

TOKEN_LIFETIME = 240.0  # seconds a fetched token is used for


@dataclass(frozen=True, slots=True)
class _Cached:
    token: str
    until: float


@dataclass(frozen=True, slots=True)
class _Fetching:
    task: asyncio.Future[str]
    forced: bool


class TokenCache:
    """Tokens by credentials key (app id, authority, scope), each fetched by one caller at a time."""

    def __init__(self, *, lifetime: float = TOKEN_LIFETIME, clock: Clock = time.monotonic) -> None:
        self._lifetime = lifetime
        self._clock = clock
        self._tokens: dict[Hashable, _Cached] = {}
        self._fetching: dict[Hashable, _Fetching] = {}

    async def token(self, key: Hashable, fetch: Fetch, *, rejected: str | None = None) -> str:
        """A token for ``key``; with ``rejected``, one other than that (forcing a refresh if needed)."""
        cached = self._tokens.get(key)
        if cached is not None and cached.token != rejected and cached.until > self._clock():
            return cached.token
        if cached is not None and cached.token == rejected:
            del self._tokens[key]
        fetching = self._fetching.get(key)
        if fetching is None or (rejected is not None and not fetching.forced):
            fetching = self._start(key, fetch, forced=rejected is not None)
        # One caller giving up (cancelled) must not cancel the fetch the others wait for.
        return await asyncio.shield(fetching.task)

    def _start(self, key: Hashable, fetch: Fetch, *, forced: bool) -> _Fetching:
        loop = asyncio.get_running_loop()
        fetching = _Fetching(loop.run_in_executor(None, fetch, forced), forced)
        self._fetching[key] = fetching

        def done(task: asyncio.Future[str]) -> None:
            latest = self._fetching.get(key) is fetching
            if latest:
                del self._fetching[key]
            # A fetch overtaken by a forced one may return the refused token: only the latest is kept.
            if not task.cancelled() and task.exception() is None and latest:
                self._tokens[key] = _Cached(task.result(), self._clock() + self._lifetime)

        fetching.task.add_done_callback(done)
        return fetching
