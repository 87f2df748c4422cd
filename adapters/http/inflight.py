"""Work a surface runs after acknowledging a request: bounded, giving way to requests someone waits on.

A Slack command is acknowledged at once and answered afterwards; that afterwards-work is tracked here so
that it can be bounded in concurrency, wait for a calm moment (:mod:`adapters.http.foreground`), and be
awaited on shutdown and in tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Any

from adapters.http.foreground import Foreground
from adapters.http.overload import ANSWER_WAIT_SECONDS, Backlog


class Inflight:
    """Work running after an acknowledgement: bounded in concurrency, awaited on shutdown and in tests.

    Acknowledgements come first: new work waits while the process is busy answering requests that
    someone is waiting for (see :class:`adapters.http.foreground.Foreground`).
    """

    def __init__(self, *, limit: int, foreground: Foreground, wait: float = ANSWER_WAIT_SECONDS) -> None:
        self._slots = Backlog(limit=limit, bound=wait)  # past ``wait`` seconds: Busy (adapters/http/overload.py)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._foreground = foreground

    def acknowledging(self) -> AbstractContextManager[None]:
        """Around one HTTP request from Slack, until its response is ready."""
        return self._foreground.answering()

    @asynccontextmanager
    async def slot(self, *, waiting: bool = True) -> AsyncIterator[None]:
        """Track the current task; with ``waiting``, first wait for a calm moment, then for a slot
        (:class:`adapters.http.overload.Busy` when none frees within the answer wait bound).

        Modal submissions pass ``waiting=False``: Slack is waiting for their answer, so they never queue.
        """
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            self._idle.clear()
        try:
            if waiting:
                await self._foreground.calm()  # give way before taking a slot, not while holding one
                async with self._slots:
                    yield
            else:
                yield
        finally:
            if task is not None:
                self._tasks.discard(task)
                if not self._tasks:
                    self._idle.set()

    async def idle(self, within: float | None = None) -> bool:
        """Wait until no work is running; False if ``within`` seconds ran out first."""
        try:
            await asyncio.wait_for(self._idle.wait(), within)
        except TimeoutError:
            return False
        return True
