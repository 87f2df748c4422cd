"""Work a surface runs beside or after acknowledging a request: bounded, tracked, awaited on shutdown.

A Slack command is answered in its acknowledgement when the answer is ready in time, otherwise on its
``response_url``; a button is acknowledged at once and answered afterwards. That work runs in tasks
started here (:meth:`Inflight.spawn`), so that it can be bounded in concurrency, shed when no slot
frees soon enough (:mod:`adapters.http.overload`), and awaited on shutdown and in tests. Work nobody
waits on right now also gives way to requests someone does wait on (:mod:`adapters.http.foreground`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Any, TypeVar

from adapters.http.foreground import Foreground
from adapters.http.overload import ANSWER_WAIT_SECONDS, Backlog

T = TypeVar("T")


class Inflight:
    """Work running beside or after acknowledgements: bounded in concurrency, awaited on shutdown and in tests."""

    def __init__(self, *, limit: int, foreground: Foreground, wait: float = ANSWER_WAIT_SECONDS) -> None:
        self._slots = Backlog(limit=limit, bound=wait)  # past ``wait`` seconds: Busy (adapters/http/overload.py)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._foreground = foreground

    def acknowledging(self) -> AbstractContextManager[None]:
        """Around one HTTP request from Slack, until its response is ready."""
        return self._foreground.answering()

    def spawn(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run ``work`` in a task of its own, tracked until it ends (see :meth:`idle`)."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._ended)
        return task

    def _ended(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()

    @asynccontextmanager
    async def slot(self, *, waiting: bool = True, give_way: bool = True) -> AsyncIterator[None]:
        """One of the process's slots for answers.

        With ``waiting`` (the default), wait at most the bound for a slot, else raise
        :class:`adapters.http.overload.Busy`; with ``give_way`` too, first wait for a calm moment
        (work nobody waits on right now: a button's answer after its acknowledgement). A command whose
        answer goes into its own acknowledgement is waited on: it passes ``give_way=False``.
        ``waiting=False`` enters at once, never shed: modal submissions (Slack waits on their answer),
        uninstalls and revoked tokens (they must happen).
        """
        if not waiting:
            yield
            return
        if give_way:
            await self._foreground.calm()  # give way before taking a slot, not while holding one
        async with self._slots:
            yield

    async def idle(self, within: float | None = None) -> bool:
        """Wait until no spawned work is running; False if ``within`` seconds ran out first."""
        try:
            await asyncio.wait_for(self._idle.wait(), within)
        except TimeoutError:
            return False
        return True
