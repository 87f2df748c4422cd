"""`customer-moment serve` (HTTP server, surfaces and scheduler) and `customer-moment worker` (scheduler only)."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
from contextlib import suppress

from aiohttp import web

from adapters.cli.processes import BACKLOG
from adapters.composition import build, build_scheduler, build_surfaces, slack_socket_mode
from adapters.http.server import create_app
from adapters.settings import Settings, SettingsError
from bot.runtime import Scheduler

logger = logging.getLogger(__name__)

SHUTDOWN_GRACE = 8.0  # seconds for in-flight work before the process exits (orchestrators allow ~10)
RELEASE_SECONDS = 1.0  # for giving back the scheduler's claims once the grace is over


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


async def _finish(scheduler: Scheduler, task: asyncio.Task[None], *, grace: float = SHUTDOWN_GRACE) -> None:
    """Stop the scheduler: let it finish what it holds within ``grace`` seconds, else cancel it and release."""
    scheduler.stop()
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
        await asyncio.wait_for(scheduler.release(), timeout=RELEASE_SECONDS)
    except Exception as exc:  # the leases run out by themselves; another worker takes over then
        logger.warning("could not release the scheduler's claims (%s); they expire with their lease", exc)


async def serve(settings: Settings, *, socket_mode: bool = False, sock: socket.socket | None = None) -> int:
    """Serve until SIGTERM/SIGINT; on ``sock`` when given (a socket shared by several server processes)."""
    if socket_mode and not settings.slack_app_token.startswith("xapp-"):
        raise SettingsError("SLACK_APP_TOKEN: --socket-mode needs an app-level token starting with xapp-")
    runtime = await build(settings)
    surfaces = await build_surfaces(runtime, http_events=not socket_mode)
    socket_mode_task = None
    if socket_mode:
        socket_mode_task = asyncio.create_task(slack_socket_mode(runtime, surfaces))
    app = create_app(
        engine=runtime.engine,
        surfaces=surfaces,
        max_body_bytes=settings.max_body_bytes,
        metrics_token=settings.metrics_token,
    )
    # Everything built so far (modules, SDK models, the app) lives as long as the process: keep it out of the
    # garbage collector's way, so that collections while serving only walk objects made while serving.
    gc.freeze()
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=SHUTDOWN_GRACE)
    await runner.setup()
    site = (
        web.SockSite(runner, sock, backlog=BACKLOG)
        if sock is not None
        else web.TCPSite(runner, settings.host, settings.port, backlog=BACKLOG)
    )
    await site.start()
    logger.info("listening on %s:%s with %s", settings.host, settings.port, [s.platform for s in surfaces])
    scheduler = build_scheduler(runtime, surfaces, own_pool=True) if settings.scheduler_enabled else None
    scheduling = None
    if scheduler is not None:
        scheduling = asyncio.create_task(scheduler.run(interval=settings.scheduler_interval_seconds))
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
        await _shut_down(runner, scheduler, scheduling)
        if scheduler is not None:
            await scheduler.close()
        await runtime.close()
    return 0


async def _shut_down(runner: web.AppRunner, scheduler: Scheduler | None, scheduling: asyncio.Task[None] | None) -> None:
    """One grace period for everything, side by side: the scheduler finishes or releases what it holds while the
    server stops listening, lets in-flight requests finish and closes the surfaces (Slack work after acks).
    Whatever is still running when the grace is over is left, so that the process exits in time."""
    steps = [asyncio.wait_for(runner.cleanup(), timeout=SHUTDOWN_GRACE)]
    if scheduler is not None and scheduling is not None:
        steps.append(_finish(scheduler, scheduling, grace=SHUTDOWN_GRACE))
    for outcome in await asyncio.gather(*steps, return_exceptions=True):
        if isinstance(outcome, TimeoutError):
            logger.warning("in-flight work still running after %.0fs at shutdown; leaving it", SHUTDOWN_GRACE)
        elif isinstance(outcome, BaseException):
            logger.warning("shutdown step failed: %r", outcome)


async def work(settings: Settings) -> int:
    """The scheduler alone; run as many as you like against one PostgreSQL database."""
    runtime = await build(settings)
    surfaces = await build_surfaces(runtime, http_events=False)
    scheduler = build_scheduler(runtime, surfaces)
    task = asyncio.create_task(scheduler.run(interval=settings.scheduler_interval_seconds))
    stop = asyncio.Event()
    _stop_on_signals(stop)
    try:
        await asyncio.wait({task, asyncio.create_task(stop.wait())}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        await _finish(scheduler, task)
        for surface in surfaces:
            await surface.close()
        await scheduler.close()
        await runtime.close()
    return 0
