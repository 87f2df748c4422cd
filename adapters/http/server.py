"""One aiohttp application for all web surfaces, plus `/healthz` and `/readyz`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ports import Surface

logger = logging.getLogger(__name__)

ENGINE: web.AppKey[AsyncEngine] = web.AppKey("engine", AsyncEngine)


class WebSurface(Surface, Protocol):
    """A surface reached over HTTP (Slack, Teams): it adds its routes, delivers, and cleans up on shutdown."""

    def routes(self) -> Sequence[web.AbstractRouteDef]: ...

    async def close(self) -> None: ...


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


def create_app(*, engine: AsyncEngine, surfaces: Sequence[WebSurface], max_body_bytes: int) -> web.Application:
    app = web.Application(client_max_size=max_body_bytes)
    app[ENGINE] = engine
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
