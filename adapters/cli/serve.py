"""`customer-moment serve` (HTTP server, surfaces and scheduler) and `customer-moment worker` (scheduler only)."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
from contextlib import suppress
from datetime import timedelta

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.cli.composition import Runtime, build, following_calendars, own_pool
from adapters.http.server import WebSurface, count_pool_use, create_app
from adapters.settings import Settings, SettingsError
from bot.core import utc_now
from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.feeds import FeedRefresher
from bot.storage.engine import session_factory

logger = logging.getLogger(__name__)

SHUTDOWN_GRACE = 8.0  # seconds for in-flight work before the process exits (orchestrators allow ~10)
RELEASE_SECONDS = 1.0  # for giving back the scheduler's claims once the grace is over


async def build_surfaces(runtime: Runtime) -> list[WebSurface]:
    """Every surface the settings ask for. Teams is always mounted (auth is off without an app id)."""
    surfaces: list[WebSurface] = []
    if runtime.settings.slack_enabled:
        from adapters.slack.surface import build_slack_surface

        surfaces.append(await build_slack_surface(runtime))
    from adapters.teams.surface import build_teams_surface

    surfaces.append(await build_teams_surface(runtime))
    return surfaces


def build_dispatcher(runtime: Runtime, surfaces: list[WebSurface], *, engine: AsyncEngine | None = None) -> Dispatcher:
    """The scheduler, on ``engine`` when given (its own pool), else on the runtime's."""
    settings = runtime.settings
    sessions = session_factory(engine) if engine is not None else runtime.sessions
    by_platform = {surface.platform: surface for surface in surfaces}
    worker = f"{socket.gethostname()}:{os.getpid()}"
    feeds = FeedRefresher(
        sessions=sessions, calendars=following_calendars(settings), surfaces=by_platform, clock=utc_now, worker=worker
    )
    return Dispatcher(
        sessions=sessions,
        surfaces=by_platform,
        clock=utc_now,
        worker=worker,
        lease=timedelta(seconds=settings.scheduler_lease_seconds),
        batch=settings.scheduler_batch,
        concurrency=settings.scheduler_concurrency,
        feeds=feeds,
    )


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


async def _finish(dispatcher: Dispatcher, task: asyncio.Task[None], *, grace: float = SHUTDOWN_GRACE) -> None:
    """Stop the scheduler: let it finish what it holds within ``grace`` seconds, else cancel it and release."""
    dispatcher.stop()
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=grace)
        return
    except TimeoutError:
        logger.warning("scheduler did not finish within %.0fs; releasing its claims", grace)
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
    except Exception as exc:  # e.g. the database is down: the loop could not release on its way out
        logger.warning("scheduler stopped with an error (%s); releasing its claims", exc)
    try:
        await asyncio.wait_for(dispatcher.release(), timeout=RELEASE_SECONDS)
    except Exception as exc:  # the leases run out by themselves; another worker takes over then
        logger.warning("could not release the scheduler's claims (%s); they expire with their lease", exc)


async def serve(settings: Settings, *, socket_mode: bool = False, sock: socket.socket | None = None) -> int:
    """Serve until SIGTERM/SIGINT; on ``sock`` when given (a socket shared by several server processes)."""
    if socket_mode and not settings.slack_app_token.startswith("xapp-"):
        raise SettingsError("SLACK_APP_TOKEN: --socket-mode needs an app-level token starting with xapp-")
    runtime = await build(settings)
    surfaces = await build_surfaces(runtime)
    socket_mode_task = None
    if socket_mode:
        from adapters.slack.socket_mode import run_socket_mode
        from adapters.slack.surface import SlackSurface

        slack = next((s for s in surfaces if isinstance(s, SlackSurface)), None)
        if slack is None:
            raise SettingsError("SLACK_APP_TOKEN: set it (and SLACK_SIGNING_SECRET) to use --socket-mode")
        socket_mode_task = asyncio.create_task(run_socket_mode(runtime, surface=slack))
    app = create_app(engine=runtime.engine, surfaces=surfaces, max_body_bytes=settings.max_body_bytes)
    # Everything built so far (modules, SDK models, the app) lives as long as the process: keep it out of the
    # garbage collector's way, so that collections while serving only walk objects made while serving.
    gc.freeze()
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=SHUTDOWN_GRACE)
    await runner.setup()
    site = web.SockSite(runner, sock) if sock is not None else web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    logger.info("listening on %s:%s with %s", settings.host, settings.port, [s.platform for s in surfaces])
    scheduler_engine = own_pool(runtime) if settings.scheduler_enabled else None
    if scheduler_engine is not None:
        count_pool_use(scheduler_engine, pool="scheduler")
    dispatcher = build_dispatcher(runtime, surfaces, engine=scheduler_engine)
    scheduler = None
    if settings.scheduler_enabled:
        scheduler = asyncio.create_task(dispatcher.run(interval=settings.scheduler_interval_seconds))
    stop = asyncio.Event()
    _stop_on_signals(stop)
    try:
        await stop.wait()
        logger.info("shutting down: finishing in-flight requests and releasing scheduler claims")
    finally:
        if socket_mode_task is not None:
            socket_mode_task.cancel()
            with suppress(asyncio.CancelledError):
                await socket_mode_task
        await _shut_down(runner, dispatcher if scheduler is not None else None, scheduler)
        if scheduler_engine is not None:
            await scheduler_engine.dispose()
        await runtime.close()
    return 0


async def _shut_down(
    runner: web.AppRunner, dispatcher: Dispatcher | None, scheduler: asyncio.Task[None] | None
) -> None:
    """One grace period for everything, side by side: the scheduler finishes or releases what it holds while the
    server stops listening, lets in-flight requests finish and closes the surfaces (Slack work after acks).
    Whatever is still running when the grace is over is left, so that the process exits in time."""
    steps = [asyncio.wait_for(runner.cleanup(), timeout=SHUTDOWN_GRACE)]
    if dispatcher is not None and scheduler is not None:
        steps.append(_finish(dispatcher, scheduler, grace=SHUTDOWN_GRACE))
    for outcome in await asyncio.gather(*steps, return_exceptions=True):
        if isinstance(outcome, TimeoutError):
            logger.warning("in-flight work still running after %.0fs at shutdown; leaving it", SHUTDOWN_GRACE)
        elif isinstance(outcome, BaseException):
            logger.warning("shutdown step failed: %r", outcome)


async def work(settings: Settings) -> int:
    """The scheduler alone; run as many as you like against one PostgreSQL database."""
    runtime = await build(settings)
    surfaces = await build_surfaces(runtime)
    dispatcher = build_dispatcher(runtime, surfaces)
    task = asyncio.create_task(dispatcher.run(interval=settings.scheduler_interval_seconds))
    stop = asyncio.Event()
    _stop_on_signals(stop)
    try:
        await asyncio.wait({task, asyncio.create_task(stop.wait())}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        await _finish(dispatcher, task)
        for surface in surfaces:
            await surface.close()
        await runtime.close()
    return 0
