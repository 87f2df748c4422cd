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

FORMS = 4  # modal submissions handled at once, in each process


class Inflight:
    """Work running after an acknowledgement: bounded in concurrency, awaited on shutdown and in tests.

    Acknowledgements come first: new work waits while the process is busy answering requests that
    someone is waiting for (see :class:`adapters.http.foreground.Foreground`).
    """

    def __init__(
        self, *, limit: int, foreground: Foreground, wait: float = ANSWER_WAIT_SECONDS, forms: int = FORMS
    ) -> None:
        self._slots = Backlog(limit=limit, bound=wait)  # past ``wait`` seconds: Busy (adapters/http/overload.py)
        self._forms = Backlog(limit=forms, bound=wait)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._foreground = foreground

    def acknowledging(self) -> AbstractContextManager[None]:
        """Around one HTTP request from Slack, until its response is ready."""
        return self._foreground.answering()

    @asynccontextmanager
    async def tracked(self) -> AsyncIterator[None]:
        """Track the current task until it is done (shutdown and tests wait for it), without waiting or shedding:
        a modal submission, an uninstall, revoked tokens, and the sending of an answer after its work."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            self._idle.clear()
        try:
            yield
        finally:
            if task is not None:
                self._tasks.discard(task)
                if not self._tasks:
                    self._idle.set()

    @asynccontextmanager
    async def work(self) -> AsyncIterator[None]:
        """An answer's work (the core's call, its reads and writes), inside :meth:`tracked`: first wait for a
        calm moment, then for a slot (:class:`adapters.http.overload.Busy` when none frees within the
        answer wait bound).

        Sending the answer afterwards happens outside it: a slot held across the round trip to Slack would
        cap a process at slots ÷ round-trip time, however idle its CPU and database.
        """
        await self._foreground.calm()  # give way before taking a slot, not while holding one
        async with self._slots:
            yield

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """:meth:`tracked` and :meth:`work` together: work whose every step counts as work (a Home tab)."""
        async with self.tracked(), self.work():
            yield

    def form(self) -> Backlog:
        """One of the few slots for handling modal submissions, ``async with``-ed inside :meth:`tracked`.

        Slack waits for a submission's answer, so it does not give way to acknowledgements; but without a
        bound a burst of submissions would hold every database connection while the CPU is short, and
        each would be answered after Slack's 3 seconds: the person told it failed, the story saved all
        the same. Past the answer wait bound: :class:`adapters.http.overload.Busy`.
        """
        return self._forms

    async def idle(self, within: float | None = None) -> bool:
        """Wait until no work is running; False if ``within`` seconds ran out first."""
        try:
            await asyncio.wait_for(self._idle.wait(), within)
        except TimeoutError:
            return False
        return True
