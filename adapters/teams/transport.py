"""What every outgoing Teams call of one surface shares: one HTTP session and the token cache.

The session is opened on first use, inside the running loop (an aiohttp session belongs to the loop
it was made in), and closed with the surface. Its connection pool keeps the TCP (and TLS)
connections to the Bot Connector open between turns.
"""

from __future__ import annotations

import aiohttp

from adapters.teams.tokens import TokenCache


class Transport:
    def __init__(self, *, tokens: TokenCache | None = None) -> None:
        self.tokens = tokens or TokenCache()
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        """The shared session (call from a coroutine: it is made in the running loop)."""
        if self._session is None or self._session.closed:
            # trust_env: HTTP(S)_PROXY / NO_PROXY apply, as they did when the SDK sent through requests.
            self._session = aiohttp.ClientSession(trust_env=True)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
