"""Process each Slack delivery once: a table of processed delivery ids and a Bolt middleware.

Slack retries an Events API delivery (header ``X-Slack-Retry-Num``) when it did not see a timely
200. Listeners claim the event id with an insert against a unique key before the core's work, so a
retry is acknowledged and skipped even when it races the first attempt on another replica. The
middleware answers a retry of an already processed delivery straight away, without running a listener.

Slack does not retry slash commands or interactions; their trigger ids are remembered in memory only,
which still drops a duplicate delivered to the same process without a database write per command.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy import Column, DateTime, Index, MetaData, String, Table, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.incoming import delivery_key

logger = logging.getLogger(__name__)

metadata = MetaData()

processed_deliveries = Table(
    "slack_processed_deliveries",
    metadata,
    Column("delivery_key", String(160), primary_key=True),
    Column("received_at", DateTime(), nullable=False),
    Index("ix_slack_processed_deliveries_received_at", "received_at"),
)

KEEP = timedelta(days=2)
PRUNE_EVERY_SECONDS = 3600.0
DURABLE_PREFIX = "event:"
REMEMBERED_TRIGGERS = 20_000


def _utc_naive() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class DeliveryLog:
    """Claims delivery ids in ``slack_processed_deliveries``; old ids are pruned now and then."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._last_prune = time.monotonic()
        self._recent: OrderedDict[str, None] = OrderedDict()

    async def claim(self, key: str) -> bool:
        """True for the first claim of ``key``; False when it was processed (or is being processed) already."""
        if not key.startswith(DURABLE_PREFIX):
            if key in self._recent:
                logger.info("delivery %s arrived twice; skipped", key)
                return False
            self._recent[key] = None
            if len(self._recent) > REMEMBERED_TRIGGERS:
                self._recent.popitem(last=False)
            return True
        try:
            async with self._engine.begin() as connection:
                await connection.execute(
                    insert(processed_deliveries).values(delivery_key=key, received_at=_utc_naive())
                )
        except IntegrityError:
            logger.info("delivery %s was already processed; skipped", key)
            return False
        if time.monotonic() - self._last_prune > PRUNE_EVERY_SECONDS:
            await self.prune()
        return True

    async def seen(self, key: str) -> bool:
        if not key.startswith(DURABLE_PREFIX):
            return key in self._recent
        async with self._engine.connect() as connection:
            found = await connection.scalar(
                select(processed_deliveries.c.delivery_key).where(processed_deliveries.c.delivery_key == key)
            )
        return found is not None

    async def prune(self) -> None:
        self._last_prune = time.monotonic()
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(processed_deliveries).where(processed_deliveries.c.received_at < _utc_naive() - KEEP)
            )


def retry_number(req: AsyncBoltRequest) -> int:
    values = req.headers.get("x-slack-retry-num") or []
    try:
        return int(values[0]) if values else 0
    except ValueError:
        return 0


class SkipProcessedRetries(AsyncMiddleware):
    """Acknowledge a retried delivery that was already processed, without running a listener."""

    def __init__(self, log: DeliveryLog) -> None:
        self._log = log

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        attempt = retry_number(req)
        if attempt:
            key = delivery_key(req.body)
            reason = (req.headers.get("x-slack-retry-reason") or ["?"])[0]
            if key is not None and await self._log.seen(key):
                logger.info("retry %s of delivery %s (%s) acknowledged; already processed", attempt, key, reason)
                return BoltResponse(status=200, body="")
            logger.info("retry %s of delivery %s (%s) will be processed", attempt, key, reason)
        return await next()
