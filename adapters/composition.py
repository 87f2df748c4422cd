"""The composition root: settings → database and core → surfaces → scheduler.

Every ``customer-moment`` command that runs the product builds it here, and only here: the core's side
comes from :mod:`bot.runtime`, each surface from its own builder with the dependencies it needs passed
in. Surfaces never import this module. Nothing is built at import time, and a surface's package is
imported only when it is built.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from collections.abc import Coroutine, Sequence
from datetime import datetime
from typing import Any, TextIO

from adapters.http.calendar_fetch import HttpCalendarFetcher
from adapters.http.server import WebSurface, count_pool_use
from adapters.runtime import Runtime
from adapters.settings import Settings, SettingsError
from bot import runtime as backend
from bot.core import Clock, utc_now
from bot.ports import Surface
from bot.runtime import Scheduler
from bot.secrets import SecretBox

logger = logging.getLogger(__name__)


async def build(settings: Settings, *, clock: Clock = utc_now, apply_migrations: bool = True) -> Runtime:
    """The core on its database (migrated unless told otherwise), with the settings surfaces read.

    Calendar feeds are read from the network by the safe fetcher; their addresses are sealed with
    ``ENCRYPTION_KEY`` (without it, following a calendar is refused with a word to the operator).
    """
    if settings.calendar_allow_insecure:
        logger.warning("CALENDAR_ALLOW_INSECURE is on: calendar feeds may be read over http:// and from loopback")
    opened = await backend.open_backend(
        settings.database_url,
        clock=clock,
        apply_migrations=apply_migrations,
        calendar_fetcher=HttpCalendarFetcher(allow_insecure=settings.calendar_allow_insecure),
        box=SecretBox.from_setting(settings.encryption_key),
    )
    return Runtime(settings=settings, backend=opened)


async def migrate(settings: Settings) -> None:
    await backend.migrate(settings.database_url)


async def build_surfaces(runtime: Runtime, *, http_events: bool = True) -> list[WebSurface]:
    """Every surface the settings ask for; ``http_events``: Slack events arrive over HTTP (not Socket Mode,
    not a stand-alone worker), which needs ``SLACK_SIGNING_SECRET``. Teams is served (mounted, and posted
    to by the scheduler) only with ``MICROSOFT_APP_ID``, or without authentication when ``TEAMS_DEV_NO_AUTH``
    asks for it explicitly: a Slack-only deployment has no ``/api/messages`` at all."""
    settings = runtime.settings
    surfaces: list[WebSurface] = []
    if settings.slack_enabled:
        from adapters.slack.surface import build_slack_surface

        surfaces.append(
            await build_slack_surface(
                settings,
                core=runtime.core,
                engine=runtime.engine,
                claims=runtime.backend.claims(),
                foreground=runtime.foreground,
                http_events=http_events,
            )
        )
    if settings.teams_enabled:
        from adapters.teams.surface import build_teams_surface

        surfaces.append(
            build_teams_surface(
                core=runtime.core,
                conversations=runtime.backend.conversations(),
                claims=runtime.backend.claims(),
                settings=settings,
                foreground=runtime.foreground,
            )
        )
    return surfaces


def slack_socket_mode(runtime: Runtime, surfaces: list[WebSurface]) -> Coroutine[Any, Any, None]:
    """Slack over Socket Mode, through the Slack surface already built (the scheduler shares it).

    Raises :class:`SettingsError` at once, before anything runs, when there is no Slack surface.
    """
    from adapters.slack.socket_mode import run_socket_mode
    from adapters.slack.surface import SlackSurface

    slack = next((s for s in surfaces if isinstance(s, SlackSurface)), None)
    if slack is None:
        raise SettingsError("SLACK_APP_TOKEN: set it (and SLACK_SIGNING_SECRET) to use --socket-mode")
    return run_socket_mode(slack, app_token=runtime.settings.slack_app_token)


def build_scheduler(
    runtime: Runtime,
    surfaces: Sequence[Surface],
    *,
    own_pool: bool = False,
    clock: Clock | None = None,
    worker: str | None = None,
) -> Scheduler:
    """The scheduler posting through ``surfaces``; with ``own_pool`` (inside ``serve``) on a pool of its own
    on PostgreSQL, so that a burst of due cards cannot take every connection a request needs. ``clock``:
    the time it goes by (the wall clock unless given)."""
    settings = runtime.settings
    scheduler = runtime.backend.scheduler(
        surfaces,
        worker=worker or f"{socket.gethostname()}:{os.getpid()}",
        lease_seconds=settings.scheduler_lease_seconds,
        batch=settings.scheduler_batch,
        concurrency=settings.scheduler_concurrency,
        own_pool=own_pool,
        clock=clock,
    )
    if scheduler.own_engine is not None:
        count_pool_use(scheduler.own_engine, pool="scheduler")
    return scheduler


async def console(
    settings: Settings,
    *,
    actor: str = "alice",
    now: datetime | None = None,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> int:
    """The terminal chat on the settings' database, with the scheduler posting into it.

    ``now``: start a simulated clock there (the console's ``wait`` moves it); otherwise the scheduler runs
    on the real time in the background. Core and scheduler read the same clock.
    """
    from adapters.console.chat import DEMO_ZONE, PLACE, run_console
    from adapters.console.clock import ConsoleClock
    from adapters.console.surface import ConsoleSurface
    from adapters.console.timeline import Timeline

    out = out or sys.stdout
    clock = ConsoleClock(now)
    runtime = await build(settings, clock=clock)

    def write(text: str) -> None:
        print(text, file=out, flush=True)

    timeline: Timeline | None = None

    async def stamp() -> str:
        assert timeline is not None
        return await timeline.stamp()

    surface = ConsoleSurface(write=write, stamp=stamp)
    scheduler = build_scheduler(runtime, [surface], clock=clock, worker=f"console:{os.getpid()}")
    timeline = Timeline(
        core=runtime.core,
        scheduler=scheduler,
        clock=clock,
        place=PLACE,
        zone=DEMO_ZONE,
        write=write,
        interval=settings.scheduler_interval_seconds,
    )
    try:
        return await run_console(
            runtime.core, actor=actor, stdin=stdin or sys.stdin, out=out, surface=surface, timeline=timeline
        )
    finally:
        await scheduler.close()
        await runtime.close()
