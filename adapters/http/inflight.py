"""Work a surface runs after acknowledging a request: bounded, giving way to requests someone waits on.

A Slack command is acknowledged at once and answered afterwards; that afterwards-work is tracked here so
that it can be awaited on shutdown and in tests. An answer's work takes one of a few slots, after
waiting for a calm moment (:meth:`Inflight.work`, :mod:`adapters.http.foreground`); it is sent after
the slot is given back (:meth:`Inflight.sending`), and while Slack is slow to accept what is being
sent (many answers on their way for longer than the answer wait bound), new answers are not started at all.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from typing import Any

from adapters.http.foreground import Foreground
from adapters.http.overload import ANSWER_WAIT_SECONDS, Backlog, Busy

FORMS = 4  # modal submissions handled at once, in each process
# When this many answers of a process have each been on their way to Slack for longer than the answer
# wait bound, Slack is slow to accept them: new answers are answered "busy" before their work, since more
# would only queue behind them and hold memory while people wait. A count of sends alone would cap a
# process at count ÷ round trip (64 answers at 200 ms: 320 a second) however well Slack keeps up; one
# slow send alone would shed everything behind it.
SENDING = 64


class Inflight:
    """Work running after an acknowledgement: bounded in concurrency, awaited on shutdown and in tests.

    Acknowledgements come first: new work waits while the process is busy answering requests that
    someone is waiting for (see :class:`adapters.http.foreground.Foreground`).
    """

    def __init__(
        self,
        *,
        limit: int,
        foreground: Foreground,
        wait: float = ANSWER_WAIT_SECONDS,
        forms: int = FORMS,
        sending: int = SENDING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._slots = Backlog(limit=limit, bound=wait)  # past ``wait`` seconds: Busy (adapters/http/overload.py)
        self._forms = Backlog(limit=forms, bound=wait)
        self._sends: dict[object, float] = {}  # started (monotonic) per answer being sent, oldest first
        self._slow_sends = sending
        self._send_bound = wait
        self._clock = clock
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
        calm moment, then for a slot. :class:`adapters.http.overload.Busy` at once while Slack is slow to
        accept the answers being sent (:meth:`congested`), or when no slot frees within the answer wait bound.

        Sending the answer afterwards happens outside it (:meth:`sending`): a slot held across the round
        trip to Slack would cap a process at slots ÷ round-trip time, however idle its CPU and database.
        """
        self.admit()
        await self._foreground.calm()  # give way before taking a slot, not while holding one
        async with self._slots:
            yield

    def admit(self) -> None:
        """:class:`adapters.http.overload.Busy` at once while Slack is slow to accept the answers being sent:
        called before an answer's lookups too, so that one that would be shed makes no calls to Slack."""
        if self.congested():
            raise Busy

    def congested(self) -> bool:
        """True while at least ``sending`` answers have each been on their way for longer than the bound."""
        if len(self._sends) < self._slow_sends:
            return False
        slow = next(itertools.islice(self._sends.values(), self._slow_sends - 1, None))
        return self._clock() - slow > self._send_bound

    @contextmanager
    def sending(self) -> Iterator[None]:
        """Around sending an answer after its :meth:`work`, inside :meth:`tracked`."""
        token = object()
        self._sends[token] = self._clock()
        try:
            yield
        finally:
            del self._sends[token]

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
