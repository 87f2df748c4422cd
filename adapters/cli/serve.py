"""`customer-moment serve`: the HTTP server with every configured surface (and the scheduler)."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from adapters.cli.composition import Runtime, build
from adapters.http.server import WebSurface, create_app
from adapters.settings import Settings

logger = logging.getLogger(__name__)


async def build_surfaces(runtime: Runtime) -> list[WebSurface]:
    """Every web surface the settings ask for. Teams is always mounted (auth is off without an app id)."""
    surfaces: list[WebSurface] = []
    if runtime.settings.slack_enabled:
        from adapters.slack.surface import build_slack_surface

        surfaces.append(await build_slack_surface(runtime))
    from adapters.teams.surface import build_teams_surface

    surfaces.append(await build_teams_surface(runtime))
    return surfaces


async def serve(settings: Settings) -> int:
    runtime = await build(settings)
    surfaces = await build_surfaces(runtime)
    app = create_app(engine=runtime.engine, surfaces=surfaces, max_body_bytes=settings.max_body_bytes)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    logger.info("listening on %s:%s with %s", settings.host, settings.port, [s.platform for s in surfaces])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
        logger.info("shutting down")
    finally:
        await runner.cleanup()
        await runtime.close()
    return 0
