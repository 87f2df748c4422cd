"""Process each Slack delivery once: deliveries claimed through the core's one-time claims, and a Bolt middleware.

Slack retries an Events API delivery (header ``X-Slack-Retry-Num``) when it did not see a timely
200. Listeners claim the event id (:class:`bot.ports.OneTimeClaims`, a unique key in the database)
before the core's work, so a retry is acknowledged and skipped even when it races the first attempt on
another replica. The middleware answers a retry of an already processed delivery straight away,
without running a listener. A claim is kept for :data:`KEEP`, long after Slack's last retry, and then
pruned with the other one-time claims.

Slack does not retry slash commands or interactions; their trigger ids are remembered in memory only,
which still drops a duplicate delivered to the same process without a database write per command.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from adapters.slack.incoming import delivery_key, tenant_of
from bot.ports import OneTimeClaims

logger = logging.getLogger(__name__)

KEEP = timedelta(days=2)
DURABLE_PREFIX = "event:"
REMEMBERED_TRIGGERS = 20_000
# A workspace or event id is put into a claim's key as it is when it looks like one of Slack's ids (an
# enterprise's workspace is "E…:T…"); anything else, which only a broken payload has, by its digest, so that
# a key stays short and plain.
PLAIN_WORKSPACE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
PLAIN_EVENT = re.compile(r"[A-Za-z0-9_.-]{1,64}")

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _key_part(value: str, plain: re.Pattern[str]) -> str:
    if plain.fullmatch(value):
        return value
    return "~" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def claim_key(body: Mapping[str, Any]) -> str | None:
    """What an Events API delivery claims (``slack:<workspace>:delivery:<event id>``); None for a command or
    an interaction, whose trigger id is remembered in memory only, and for a payload without an id."""
    key = delivery_key(body)
    if key is None or not key.startswith(DURABLE_PREFIX):
        return None
    workspace = tenant_of(body).workspace_id or "-"
    event_id = key.removeprefix(DURABLE_PREFIX)
    return f"slack:{_key_part(workspace, PLAIN_WORKSPACE)}:delivery:{_key_part(event_id, PLAIN_EVENT)}"


class DeliveryLog:
    """Which deliveries were processed: events in the core's one-time claims, triggers in memory."""

    def __init__(self, claims: OneTimeClaims, *, clock: Clock = _utc_now) -> None:
        self._claims = claims
        self._clock = clock
        self._recent: OrderedDict[str, None] = OrderedDict()

    async def claim(self, body: Mapping[str, Any]) -> bool:
        """True for the first claim of ``body``'s delivery (and for a payload without a delivery id); False
        when it was processed (or is being processed) already."""
        key = delivery_key(body)
        if key is None:
            return True
        durable = claim_key(body)
        if durable is None:
            if key in self._recent:
                logger.info("delivery %s arrived twice; skipped", key)
                return False
            self._recent[key] = None
            if len(self._recent) > REMEMBERED_TRIGGERS:
                self._recent.popitem(last=False)
            return True
        if not await self._claims.claim(durable, until=self._clock() + KEEP):
            logger.info("delivery %s was already processed; skipped", durable)
            return False
        return True

    async def seen(self, body: Mapping[str, Any]) -> bool:
        """Whether ``body``'s delivery was claimed already; claims nothing."""
        key = delivery_key(body)
        if key is None:
            return False
        durable = claim_key(body)
        if durable is None:
            return key in self._recent
        return await self._claims.claimed(durable)


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
            if key is not None and await self._log.seen(req.body):
                logger.info("retry %s of delivery %s (%s) acknowledged; already processed", attempt, key, reason)
                return BoltResponse(status=200, body="")
            logger.info("retry %s of delivery %s (%s) will be processed", attempt, key, reason)
        return await next()
