"""Requests someone is waiting on right now, counted per process, so that work that can wait gives way.

A Slack acknowledgement (a modal submission's included) and a Teams turn are answered while the person,
and the platform's deadline, wait; a Teams message counts while its core call runs, not while its reply
waits on the Bot Connector (:class:`adapters.teams.endpoint.TurnSlots`). The answer to a button, sent
after its acknowledgement, can wait a moment: it starts once fewer than ``busy`` such requests are in
flight — or after ``max_wait`` seconds at the latest, so that under overload answers come late but do
come. It then waits for a slot, and gives up with a "busy" answer when none frees soon enough
(:mod:`adapters.http.overload`). A slash command's answer, which its acknowledgement waits to carry, is
itself what the person waits on: it does not give way (:meth:`adapters.http.inflight.Inflight.work`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager, suppress

BUSY = 3
MAX_WAIT_SECONDS = 1.0


class Foreground:
    def __init__(self, *, busy: int = BUSY, max_wait: float = MAX_WAIT_SECONDS) -> None:
        self._serving = 0
        self._busy = busy
        self._max_wait = max_wait
        self._calm = asyncio.Event()
        self._calm.set()

    @property
    def serving(self) -> int:
        return self._serving

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around one request whose answer someone is waiting for."""
        self._serving += 1
        if self._serving >= self._busy:
            self._calm.clear()
        try:
            yield
        finally:
            self._serving -= 1
            if self._serving < self._busy:
                self._calm.set()

    async def calm(self) -> None:
        """Return once fewer than ``busy`` requests are being answered, or after ``max_wait`` seconds."""
        if self._calm.is_set():
            return
        with suppress(TimeoutError):
            await asyncio.wait_for(self._calm.wait(), self._max_wait)
