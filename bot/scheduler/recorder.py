"""Recording posted cards in groups, so that a crowd of cards due at once costs a few statements.

A card that went out is handed to the :class:`Recorder`; one writer task records everything handed in
so far in one transaction, and whatever arrives while it writes goes into the next one. Nothing waits
for a timer: a lone card is recorded at once, a crowd in groups.

If a write fails (the database is gone), the cards of that group stay claimed by this worker: once
their lease runs out, the next attempt asks the surface whether the card is already in the channel and
records it then, so nothing is posted twice. The dispatcher stops sending for the rest of the pass.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.scheduler import claims

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Sent:
    item_id: int
    ref: Any
    due: datetime


class Recorder:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime],
        on_recorded: Callable[[Sent, datetime], None],
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._on_recorded = on_recorded
        self._pending: list[Sent] = []
        self._writer: asyncio.Task[None] | None = None
        self.error: BaseException | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    def add(self, sent: Sent) -> None:
        self._pending.append(sent)
        if self._writer is None and self.error is None:
            self._writer = asyncio.create_task(self._write())

    async def drain(self) -> None:
        """Wait until everything handed in is recorded (or the recording failed)."""
        while self._writer is not None:
            await asyncio.shield(self._writer)

    async def _write(self) -> None:
        try:
            while self._pending and self.error is None:
                group, self._pending = self._pending, []
                now = self._clock()
                try:
                    async with self._sessions.begin() as session:
                        await claims.record_posted(session, [(s.item_id, s.ref) for s in group], now=now)
                except Exception as exc:
                    self.error = exc
                    logger.error(
                        "could not record %s posted card(s) (%s); agenda items %s are found in their channels "
                        "once their lease runs out",
                        len(group),
                        exc,
                        ", ".join(str(s.item_id) for s in group),
                    )
                    return
                for sent in group:
                    self._on_recorded(sent, now)
        finally:
            self._writer = None
