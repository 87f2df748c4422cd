"""Answering on an interaction's ``response_url``: one JSON POST on the shared HTTP session.

Every command and button is answered this way, so the call is kept to what it needs: the body encoded
once, fixed headers, the session's connection pool (and its timeout and metering). A connection the
other end dropped before answering (a kept-alive connection it had closed) is tried once more, at
once; any other failure (a timeout included) is the caller's to handle, as is an answer other
than 200.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

HEADERS = {"Content-Type": "application/json; charset=utf-8"}
# The connection closed or reset under the request (usually a kept-alive one the other end had just
# closed): a new connection gets it there.
DROPPED = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)


async def respond(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> int:
    """POST ``body`` to ``url``; the status it answered."""
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    try:
        return await _post(session, url, data)
    except DROPPED:
        return await _post(session, url, data)  # once more, on a new connection


async def _post(session: aiohttp.ClientSession, url: str, data: bytes) -> int:
    async with session.post(url, data=data, headers=HEADERS) as response:
        await response.read()
        return response.status
