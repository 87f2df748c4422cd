"""One aiohttp application for all web surfaces, plus `/healthz`, `/readyz` and, with a token, `/metrics`.

The health and readiness answers say only "ok" or "ready" (what a load balancer or an orchestrator's probe
needs, without credentials). `/metrics` tells how the service is used (request counts by route, platform
calls, how long answers take, answers shed, the database pool): it is served only when ``METRICS_TOKEN``
is set, and then only to a caller presenting it (``Authorization: Bearer <token>``, as Prometheus's
``authorization`` setting sends it); without the setting there is no such page.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
import weakref
from collections.abc import Sequence
from typing import Protocol

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest, multiprocess
from sqlalchemy import Engine, event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.http.answer_time import arrived
from bot import metrics
from bot.ports import Surface

logger = logging.getLogger(__name__)

ENGINE: web.AppKey[AsyncEngine] = web.AppKey("engine", AsyncEngine)
_COUNTED: weakref.WeakSet[Engine] = weakref.WeakSet()  # engines whose pool use is counted already
DB_POOL_IN_USE = Gauge(
    "customer_moment_db_pool_in_use",
    "Database connections checked out, by pool (requests, scheduler)",
    ["pool"],
    multiprocess_mode="livesum",  # with several server processes: the sum over the live ones
)


class WebSurface(Surface, Protocol):
    """A surface reached over HTTP (Slack, Teams): it adds its routes, delivers, and cleans up on shutdown."""

    def routes(self) -> Sequence[web.AbstractRouteDef]: ...

    async def close(self) -> None: ...


SURFACE_OF_PATH = {"/slack/": "slack", "/api/messages": "teams", "/teams/": "teams"}


def _surface(path: str) -> str:
    for prefix, surface in SURFACE_OF_PATH.items():
        if path.startswith(prefix):
            return surface
    return "http"


@web.middleware
async def measure(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count and time every request by surface, route and status."""
    route = request.match_info.route.resource.canonical if request.match_info.route.resource else "unmatched"
    surface = _surface(request.path)
    started = time.perf_counter()
    status = 500
    try:
        with arrived():
            response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        metrics.REQUEST_SECONDS.labels(surface, route).observe(time.perf_counter() - started)
        metrics.REQUESTS.labels(surface, route, str(status)).inc()


def count_pool_use(engine: AsyncEngine, *, pool: str = "requests") -> None:
    """Keep ``DB_POOL_IN_USE{pool}`` up to date as ``engine``'s connections are checked out and returned."""
    if engine.sync_engine in _COUNTED:
        return
    _COUNTED.add(engine.sync_engine)
    gauge = DB_POOL_IN_USE.labels(pool)
    event.listen(engine.sync_engine, "checkout", lambda *_args: gauge.inc())
    event.listen(engine.sync_engine, "checkin", lambda *_args: gauge.dec())


def metrics_view(token: str) -> Handler:
    """The Prometheus exposition, for callers presenting ``token``; anyone else gets 401 and nothing else."""
    expected = f"Bearer {token}".encode()

    async def view(request: web.Request) -> web.StreamResponse:
        given = request.headers.get("Authorization", "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, expected):
            logger.info("metrics refused: %s", "wrong token" if given else "no token")
            return web.Response(status=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        return _exposition()

    return view


def _exposition() -> web.Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several server processes (`serve --processes N`): whichever answers reports them all.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    try:
        async with request.app[ENGINE].connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database means "not ready"
        logger.warning("readiness check failed: %s", exc)
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ready", "database": "ok"})


def create_app(
    *, engine: AsyncEngine, surfaces: Sequence[WebSurface], max_body_bytes: int, metrics_token: str = ""
) -> web.Application:
    """The server's application; ``/metrics`` only with a ``metrics_token`` (and then only for its bearer)."""
    app = web.Application(client_max_size=max_body_bytes, middlewares=[measure])
    app[ENGINE] = engine
    count_pool_use(engine)
    if metrics_token:
        app.router.add_get("/metrics", metrics_view(metrics_token))
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    for surface in surfaces:
        app.router.add_routes(surface.routes())
        logger.info("surface %s mounted", surface.platform)

    async def _close_surfaces(_app: web.Application) -> None:
        for surface in surfaces:
            await surface.close()

    app.on_cleanup.append(_close_surfaces)
    return app
