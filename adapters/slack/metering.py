"""Counting Slack Web API calls by method and outcome for `/metrics`, without changing how calls behave.

Bolt builds its own client per request, but every client shares the surface's aiohttp session, so a
trace on that session sees every attempt: ``ok`` (2xx), ``ratelimited`` (429), ``error`` (other
statuses or a failed connection) and ``timeout``.
"""

from __future__ import annotations

from types import SimpleNamespace

import aiohttp
from yarl import URL

from bot import metrics


def _method(url: URL) -> str:
    """The Web API method; every other URL (response_url, file uploads) is one label, so series stay few."""
    path = url.path.rstrip("/")
    if "/api/" not in path + "/":
        return "other"
    return path.rsplit("/", 1)[-1] or "unknown"


async def _ended(_session: aiohttp.ClientSession, _ctx: SimpleNamespace, params: aiohttp.TraceRequestEndParams) -> None:
    status = params.response.status
    outcome = "ok" if 200 <= status < 300 else "ratelimited" if status == 429 else "error"
    metrics.PLATFORM_CALLS.labels("slack", _method(params.url), outcome).inc()


async def _failed(
    _session: aiohttp.ClientSession, _ctx: SimpleNamespace, params: aiohttp.TraceRequestExceptionParams
) -> None:
    outcome = "timeout" if isinstance(params.exception, TimeoutError) else "error"
    metrics.PLATFORM_CALLS.labels("slack", _method(params.url), outcome).inc()


def slack_trace() -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(_ended)
    trace.on_request_exception.append(_failed)
    return trace
