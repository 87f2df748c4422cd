"""What every outgoing Teams call of one surface shares: one HTTP session and the token cache.

The session is opened on first use, inside the running loop (an aiohttp session belongs to the loop
it was made in), and closed with the surface. Its connection pool keeps the TCP (and TLS)
connections to the Bot Connector open between turns.

``HTTP(S)_PROXY`` / ``NO_PROXY`` apply as they did when botbuilder sent through ``requests``, worked out
once per host here: aiohttp's own ``trust_env`` reads ``~/.netrc`` in a thread on every request.
"""

from __future__ import annotations

import urllib.request

import aiohttp
from yarl import URL

from adapters.teams.tokens import TokenCache


class Transport:
    def __init__(self, *, tokens: TokenCache | None = None) -> None:
        self.tokens = tokens or TokenCache()
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}

    def session(self) -> aiohttp.ClientSession:
        """The shared session (call from a coroutine: it is made in the running loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    def proxy(self, url: URL) -> str | None:
        """The proxy the environment names for this URL's scheme and host, if any."""
        key = (url.scheme, url.host or "")
        if key not in self._proxies:
            proxy = urllib.request.getproxies().get(url.scheme)
            bypass = not key[1] or bool(urllib.request.proxy_bypass(key[1]))
            self._proxies[key] = None if bypass else proxy
        return self._proxies[key]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
