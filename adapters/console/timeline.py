"""The console's time: the scheduler running over the console surface, on the real clock or a simulated one.

On the real clock the scheduler runs in the background while the console waits for input, as it does in
``serve``. On a simulated clock (``--now``) nothing moves until ``wait``: the clock then steps through every
time at which the scheduler has something to do (a series to prepare, a card to post, a retry), running
one pass at each, in order, so that each card, reminder and notice is printed with its own time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from adapters.console.clock import ConsoleClock, shown
from bot.core import CustomerMoment
from bot.events import Place

logger = logging.getLogger(__name__)

PASSES_AT_ONE_TIME = 100  # more due work at one instant than this many passes clear means something is stuck


class Scheduler(Protocol):
    """What the console needs of the scheduler the composition root built (``bot.runtime.Scheduler``)."""

    async def run(self, *, interval: float) -> None: ...
    async def run_once(self) -> None: ...
    async def next_due(self) -> datetime | None: ...
    def stop(self) -> None: ...


class Timeline:
    def __init__(
        self,
        *,
        core: CustomerMoment,
        scheduler: Scheduler,
        clock: ConsoleClock,
        place: Place,
        zone: str,
        write: Callable[[str], None],
        interval: float = 5.0,
    ) -> None:
        self._core = core
        self._scheduler = scheduler
        self._clock = clock
        self._place = place
        self._zone = zone
        self._write = write
        self._interval = interval
        self._background: asyncio.Task[None] | None = None

    async def stamp(self) -> str:
        """The console's current time in the team's zone."""
        return shown(self._clock(), await self._core.zone(self._place) or self._zone)

    def start(self) -> None:
        """On the real clock: run the scheduler in the background until :meth:`close`."""
        if not self._clock.simulated and self._background is None:
            self._background = asyncio.create_task(self._scheduler.run(interval=self._interval))

    async def close(self) -> None:
        if self._background is not None:
            self._scheduler.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await self._background
            self._background = None

    async def show_clock(self) -> None:
        real = "" if self._clock.simulated else " (the real time)"
        self._write(f"It is {await self.stamp()}{real}.")

    async def wait(self, duration: timedelta) -> None:
        """Move the simulated clock ``duration`` ahead, doing at each due time what the scheduler does then."""
        if not self._clock.simulated:
            self._write("The console runs on the real time; start it with --now to move its clock with `wait`.")
            return
        target = self._clock() + duration
        passes = 0
        while (due := await self._scheduler.next_due()) is not None and due <= target:
            if due > self._clock():
                self._clock.move_to(due)
                passes = 0
            passes += 1
            if passes > PASSES_AT_ONE_TIME:
                logger.warning("scheduler work due at %s is not being done; moving on", due.isoformat())
                break
            try:
                await self._scheduler.run_once()
            except Exception as exc:
                logger.error("scheduler pass failed at %s: %s", due.isoformat(), type(exc).__name__)
                self._write("Something went wrong while the scheduler ran; it has been logged.")
                break
        self._clock.move_to(target)
        self._write(f"It is now {await self.stamp()}.")
