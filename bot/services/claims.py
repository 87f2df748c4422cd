"""One-time claims (:class:`bot.ports.OneTimeClaims`) on the ``one_time_claims`` table.

A claim is one ``INSERT … ON CONFLICT DO NOTHING`` against the key's primary key: of two claims racing in
two processes, the database lets exactly one insert the row, and the other finds it there. Rows whose time
is over are deleted now and then (at most once an hour per process, after a claim), so the table holds only
what can still be used; a margin past each row's time allows for clocks that differ between servers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.log_safety import error_kind
from bot.storage.engine import Transaction
from bot.storage.models import OneTimeClaim
from bot.storage.upsert import DIALECTS, dialect_of, insert_or_ignore

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]

MAX_KEY = 200  # one_time_claims.key
PRUNE_EVERY = timedelta(hours=1)
CLOCK_MARGIN = timedelta(hours=1)  # a row outlives its time by this much before it is pruned

_CLAIM = {
    name: insert_or_ignore(name, OneTimeClaim, [OneTimeClaim.key])
    .values(key=bindparam("key"), kept_until=bindparam("until"))
    .returning(OneTimeClaim.key)
    for name in DIALECTS
}


class StoredClaims:
    """The core's implementation of :class:`bot.ports.OneTimeClaims`."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._next_prune: datetime | None = None  # the first claim of the process prunes

    async def claim(self, key: str, *, until: datetime) -> bool:
        if not key or len(key) > MAX_KEY:
            raise ValueError(f"a claim's key has 1 to {MAX_KEY} characters")
        async with Transaction(self._sessions) as session:
            claimed = await session.scalar(_CLAIM[dialect_of(session)], {"key": key, "until": until})
        now = self._clock()
        if self._next_prune is None or now >= self._next_prune:
            self._next_prune = now + PRUNE_EVERY
            try:
                await self.prune(now)
            except Exception as exc:  # the claim stands; the next prune takes these rows too
                logger.warning("one-time claims not pruned: %s", error_kind(exc))
        return claimed is not None

    async def claimed(self, key: str) -> bool:
        async with Transaction(self._sessions) as session:
            found = await session.scalar(select(OneTimeClaim.key).where(OneTimeClaim.key == key))
        return found is not None

    async def prune(self, now: datetime) -> int:
        """Forget the claims whose time ended (more than :data:`CLOCK_MARGIN` before ``now``); how many."""
        async with Transaction(self._sessions) as session:
            result = await session.execute(delete(OneTimeClaim).where(OneTimeClaim.kept_until < now - CLOCK_MARGIN))
        gone = int(getattr(result, "rowcount", 0) or 0)
        if gone:
            logger.info("%s one-time claim(s) past their time forgotten", gone)
        return gone
