"""Work a surface runs after acknowledging a request: bounded, giving way to requests someone waits on.

A Slack command is acknowledged at once and answered afterwards; that afterwards-work is tracked here so
that it can be awaited on shutdown and in tests. An answer's work takes one of a few slots, after
waiting for a calm moment (:meth:`Inflight.work`, :mod:`adapters.http.foreground`); the calls to Slack
it needs (looking people up before the slot, sending the answer after it) are made outside the slot
(:meth:`Inflight.on_slack`), and while Slack is slow to answer them (many waiting on it for longer than
the answer wait bound), new answers are not started at all.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any

from adapters.http.foreground import Foreground
from adapters.http.overload import ANSWER_WAIT_SECONDS, Backlog, Busy

FORMS = 4  # modal submissions handled at once, in each process
# When this many answers of a process have each been waiting on Slack (a lookup before their work, or
# their sending after it) for longer than the answer wait bound, Slack is slow to answer them: new
# answers are answered "busy" before their work, since more would only queue behind them and hold
# memory while people wait. A count of calls alone would cap a process at count ÷ round trip (64 answers
# at 200 ms: 320 a second) however well Slack keeps up; one slow call alone would shed everything.
SLOW_CALLS = 64

# The answer's call to Slack the current task is making (set by Inflight.on_slack), so that a wait that is not
# Slack's slowness can take it off the clock (off_slack_clock).
_CALL: ContextVar[tuple[Inflight, object] | None] = ContextVar("customer_moment_slack_call", default=None)


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
        slow_calls: int = SLOW_CALLS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._slots = Backlog(limit=limit, bound=wait)  # past ``wait`` seconds: Busy (adapters/http/overload.py)
        self._forms = Backlog(limit=forms, bound=wait)
        self._calls: dict[object, float] = {}  # since when (monotonic) each answer waits on Slack, oldest first
        self._open: set[object] = set()  # the calls whose on_slack block has not ended
        self._slow_calls = slow_calls
        self._call_bound = wait
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
        a modal submission, an uninstall, revoked tokens, and an answer from its lookups to its sending."""
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
    async def work(self, *, acknowledged_within: float | None = None) -> AsyncIterator[None]:
        """An answer's work (the core's call, its reads and writes), inside :meth:`tracked`: first wait for a
        calm moment (unless an acknowledgement awaits the answer), then for a slot.
        :class:`adapters.http.overload.Busy` at once while Slack is slow to answer (:meth:`congested`), or
        when no slot frees within the answer wait bound.

        Calls to Slack happen outside it (:meth:`on_slack`): a slot held across a round trip to Slack would
        cap a process at slots ÷ round-trip time, however idle its CPU and database.

        ``acknowledged_within``: the work's answer is awaited by an acknowledgement not sent yet (a
        command's), which can wait this many seconds for the work to start. Such work is a request being
        answered itself, so it does not give way to acknowledgements (it would wait for its own, and for
        every other one under load); and it waits for a slot no longer than that (past it: Busy, which the
        acknowledgement carries).
        """
        self.admit()
        if acknowledged_within is None:
            await self._foreground.calm()  # give way before taking a slot, not while holding one
        async with self._slots.slot(within=acknowledged_within):
            yield

    @asynccontextmanager
    async def follow_up(self) -> AsyncIterator[None]:
        """Work that follows an answer's work once its calls to Slack are done (drawing the Home tab again
        after a press, to show what sending said): a slot as :meth:`work` takes, after giving way, but never
        :class:`adapters.http.overload.Busy` — what the answer did is done, and the person must see it."""
        await self._foreground.calm()
        async with self._slots.unbounded():
            yield

    @property
    def working(self) -> int:
        """Answers holding a work slot right now, for their work or a follow-up."""
        return self._slots.taken

    def admit(self) -> None:
        """:class:`adapters.http.overload.Busy` at once while Slack is slow to answer: called before an
        answer's lookups too, so that one that would be shed makes no calls to Slack."""
        if self.congested():
            raise Busy

    def congested(self) -> bool:
        """True while at least ``slow_calls`` answers have each waited on Slack for longer than the bound."""
        if len(self._calls) < self._slow_calls:
            return False
        slow = next(itertools.islice(self._calls.values(), self._slow_calls - 1, None))
        return self._clock() - slow > self._call_bound

    @contextmanager
    def on_slack(self) -> Iterator[None]:
        """Around an answer's calls to Slack outside its :meth:`work` (its lookups before, its sending after),
        inside :meth:`tracked`. The note of where a card went, written between a post and the next call,
        is taken off the clock (:func:`off_slack_clock`)."""
        token = object()
        self._calls[token] = self._clock()
        self._open.add(token)
        current = _CALL.set((self, token))
        try:
            yield
        finally:
            _CALL.reset(current)
            self._open.discard(token)
            self._calls.pop(token, None)

    def _pause(self, token: object) -> None:
        self._calls.pop(token, None)

    def _resume(self, token: object) -> None:
        if token not in self._open:  # its block ended meanwhile (a task started inside it outlived it)
            return
        self._calls.pop(token, None)
        self._calls[token] = self._clock()  # the newest entry, as it is the latest start: the order holds

    def form(self) -> Backlog:
        """One of the few slots for handling modal submissions, ``async with``-ed inside :meth:`tracked`.

        Slack waits for a submission's answer, so it does not give way to acknowledgements; but without a
        bound a burst of submissions would hold every database connection while the CPU is short, and
        each would be answered after Slack's 3 seconds: the person told it failed, the story saved all
        the same. Past the answer wait bound, or while Slack is slow to answer (:meth:`admit`, called
        first): :class:`adapters.http.overload.Busy`.
        """
        return self._forms

    async def idle(self, within: float | None = None) -> bool:
        """Wait until no work is running; False if ``within`` seconds ran out first."""

        async def settled() -> None:
            # Awake, check again: a task that left its last tracked block may have entered another since
            # (a shed answer, tracked again while its busy answer is sent).
            while self._tasks:
                await self._idle.wait()

        try:
            await asyncio.wait_for(settled(), within)
        except TimeoutError:
            return False
        return True


@contextmanager
def off_slack_clock() -> Iterator[None]:
    """Around a wait inside an answer's calls to Slack that is not Slack being slow to answer, so not a
    reason to shed other answers; the call waits on Slack anew after it. Two such waits: one Slack asked
    for (a rate limit's ``Retry-After``: a busy workspace rate-limited in one channel sheds no other
    workspace's answers), and the database write noting where a posted card went (a slow database is
    not a slow Slack)."""
    call = _CALL.get()
    if call is None:
        yield
        return
    inflight, token = call
    inflight._pause(token)
    try:
        yield
    finally:
        inflight._resume(token)
