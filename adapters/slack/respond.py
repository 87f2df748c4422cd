"""Answering on an interaction's ``response_url``: one JSON POST on the Web API client's HTTP session.

Every command and button is answered this way, so the call is kept to what it needs: the body encoded
once, fixed headers, and what the client already has: the surface's shared session (its connection
pool, timeout and metering) and the proxy from ``HTTPS_PROXY``, if any. A connection that was closed or reset under the
request (usually a kept-alive one the other end had just closed; rarely after the answer was posted,
which then shows twice) is tried once more, at once, as slack_sdk's own clients do; any other failure
(a timeout included) is the caller's to handle, as is an answer other than 200.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

HEADERS = {"Content-Type": "application/json; charset=utf-8"}
# The connection closed or reset under the request (usually a kept-alive one the other end had just
# closed): a new connection gets it there.
DROPPED = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)


async def respond(client: AsyncWebClient, url: str, body: dict[str, Any]) -> int:
    """POST ``body`` to ``url`` as ``client`` would call Slack; the status it answered."""
    session = client.session
    if session is None:  # every client of the surface is built on its shared session
        raise ValueError("a Web API client without an HTTP session cannot answer on a response_url")
    data = encoded(body)
    try:
        return await _post(session, url, data, client.proxy)
    except DROPPED:
        return await _post(session, url, data, client.proxy)  # once more, on a new connection


def encoded(body: dict[str, Any]) -> bytes:
    """An answer as Slack reads it, from a ``response_url`` POST or an acknowledgement."""
    return json.dumps(body, separators=(",", ":")).encode()


async def _post(session: aiohttp.ClientSession, url: str, data: bytes, proxy: str | None) -> int:
    async with session.post(url, data=data, headers=HEADERS, proxy=proxy or None) as response:
        await response.read()
        return response.status
