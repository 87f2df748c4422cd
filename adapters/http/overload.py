"""Graceful overload: answers that cannot start soon enough are shed with a short "busy" answer.

The answer to a slash command or a button waits for one of a process's few slots for such work.
When more arrives than the process can answer, that wait would grow without limit (people waiting
tens of seconds for an answer, memory growing, Slack retrying). So the wait is bounded: an answer
that gets no slot within ``bound`` seconds — or sooner, for a command whose acknowledgement waits to
carry its answer (:meth:`Backlog.slot`) — is not started at all, nothing of it is stored, and the
person gets :data:`BUSY` instead, well within Slack's 3 seconds.
``customer_moment_answers_shed_total`` counts what was shed. The scheduler never comes here: its
posts have their own pool and pacing and are never shed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType

from bot import metrics

logger = logging.getLogger(__name__)

BUSY = "Customer Moment is busy right now: nothing was done. Please try again in a minute."
# After at most Foreground's 1 s of giving way (an answer sent after its acknowledgement): busy within 2 s,
# leaving 1 s to send it. A command's answer awaited by its acknowledgement waits less (Backlog.slot).
ANSWER_WAIT_SECONDS = 1.0


class Busy(Exception):
    """No slot came free within the bound: answer :data:`BUSY` instead of doing the work."""


class Backlog:
    """At most ``limit`` answers at once; one that would wait longer than ``bound`` seconds (or the shorter
    wait given to :meth:`slot`) raises :class:`Busy` (except through :meth:`unbounded`).

    Used as ``async with backlog:``, like the semaphore it wraps.
    """

    def __init__(self, *, limit: int, bound: float = ANSWER_WAIT_SECONDS) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._bound = bound
        self._taken = 0

    @property
    def bound(self) -> float:
        return self._bound

    @property
    def full(self) -> bool:
        """Every slot is held: the next answer would wait for one."""
        return self._slots.locked()

    @property
    def taken(self) -> int:
        """How many slots are held right now."""
        return self._taken

    async def __aenter__(self) -> None:
        await self._take(self._bound)

    async def _take(self, bound: float) -> None:
        if not self._slots.locked():  # a slot is free: take it without arming a timeout
            await self._slots.acquire()
        else:
            try:
                await asyncio.wait_for(self._slots.acquire(), bound)
            except TimeoutError:
                raise Busy from None
        self._taken += 1

    @asynccontextmanager
    async def slot(self, *, within: float | None = None) -> AsyncIterator[None]:
        """A slot, waited for at most ``within`` seconds (never longer than the bound; None: the bound), then
        :class:`Busy`."""
        await self._take(self._bound if within is None else min(within, self._bound))
        try:
            yield
        finally:
            await self.__aexit__(None, None, None)

    async def __aexit__(
        self, _kind: type[BaseException] | None, _error: BaseException | None, _trace: TracebackType | None
    ) -> None:
        self._taken -= 1
        self._slots.release()

    @asynccontextmanager
    async def unbounded(self) -> AsyncIterator[None]:
        """A slot however long it takes to come free: for work that must follow work already done."""
        await self._slots.acquire()
        self._taken += 1
        try:
            yield
        finally:
            await self.__aexit__(None, None, None)


NOTICE_EVERY_SECONDS = 10.0


class _Notice:
    """A warning at most every ``NOTICE_EVERY_SECONDS`` while shedding: a line per shed request would
    spend the CPU the process is short of on logging."""

    def __init__(self) -> None:
        self._shed = 0
        self._next = 0.0

    def shed(self, surface: str, kind: str) -> None:
        self._shed += 1
        now = time.monotonic()
        if now >= self._next:
            logger.warning(
                "busy: %d request(s) answered busy since the last notice (latest: %s %s)", self._shed, surface, kind
            )
            self._shed = 0
            self._next = now + NOTICE_EVERY_SECONDS


_notice = _Notice()


def count_shed(*, surface: str, kind: str) -> None:
    """One request answered "busy" instead of being served: counted, and noticed in the log now and then."""
    metrics.ANSWERS_SHED.labels(surface, kind).inc()
    _notice.shed(surface, kind)
