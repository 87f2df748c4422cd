"""The Bot Connector REST API for one service URL, in plain JSON dicts, with Teams' throttling handled.

Wraps botbuilder's ``ConnectorClient`` (msrest over ``requests``, run in a thread). Its own retries
are switched off so one policy applies: 429, 412, 5xx, timeouts and connection failures are retried
with bounded, jittered exponential backoff (honouring ``Retry-After``), then surface as
``DeliveryError(retryable=True)``; 403/404 mean the bot is no longer in the conversation
(``ChannelGone``).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from botbuilder.schema import Activity, ChannelAccount, ConversationParameters
from msrest.exceptions import ClientException

from bot import metrics
from bot.ports import ChannelGone, DeliveryError

logger = logging.getLogger(__name__)

T = TypeVar("T")
JsonDict = dict[str, Any]
Sleep = Callable[[float], Awaitable[None]]

# Metric labels for the connector operations (bounded set; the descriptions are for people).
METHOD_OF = {
    "a reply": "replyToActivity",
    "a message": "sendToConversation",
    "an update": "updateActivity",
    "a 1:1 chat": "createConversation",
    "a member lookup": "getConversationMember",
    "the member list": "getPagedMembers",
}
RETRYABLE = frozenset({408, 412, 429, 500, 502, 503, 504})
GONE = frozenset({403, 404})


@dataclass(frozen=True, slots=True)
class Backoff:
    """Bounded retries: ``attempts`` tries in all, waits of ``base``·2ⁿ (jittered, at most ``cap``).

    A ``Retry-After`` longer than ``max_wait`` is not slept on here: the caller gets a retryable
    error carrying it (the scheduler comes back later instead of holding a worker).
    """

    attempts: int = 3
    base: float = 0.5
    cap: float = 4.0
    max_wait: float = 10.0

    def delay(self, attempt: int) -> float:
        return float(min(self.cap, self.base * 2.0**attempt)) * (0.5 + random.random() / 2)


def status_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def retry_after(exc: BaseException) -> float | None:
    """The ``Retry-After`` of a failed response, in seconds (delta-seconds or an HTTP date)."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if not isinstance(headers, Mapping):
        return None
    raw = headers.get("Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(str(raw))
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def as_delivery_error(exc: BaseException, what: str) -> DeliveryError:
    status = status_of(exc)
    if status in GONE:
        return ChannelGone(f"Teams refused {what} ({status}): the bot is not in that conversation any more")
    if status is None or status in RETRYABLE:
        reason = f"status {status}" if status else type(exc).__name__
        return DeliveryError(f"Teams did not take {what} ({reason})", retryable=True, retry_after=retry_after(exc))
    return DeliveryError(f"Teams refused {what} (status {status})", retryable=False)


class TeamsConnector:
    """Calls to one service URL with one set of credentials (a botbuilder ConnectorClient)."""

    def __init__(self, client: Any, *, backoff: Backoff, timeout: float, sleep: Sleep = asyncio.sleep) -> None:
        client.config.retry_policy.retries = 0
        client.config.connection.timeout = timeout
        self._client = client
        self._backoff = backoff
        self._sleep = sleep

    @property
    def service_url(self) -> str:
        return str(self._client.config.base_url)

    async def _call(self, what: str, operation: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        method = METHOD_OF.get(what, "other")
        while True:
            try:
                result = await operation()
            except ClientException as exc:
                error = as_delivery_error(exc, what)
                outcome = "ratelimited" if status_of(exc) == 429 else "error"
                metrics.PLATFORM_CALLS.labels("teams", method, outcome).inc()
            else:
                metrics.PLATFORM_CALLS.labels("teams", method, "ok").inc()
                return result
            attempt += 1
            if not error.retryable or attempt >= self._backoff.attempts:
                raise error
            wait = error.retry_after if error.retry_after is not None else self._backoff.delay(attempt)
            if wait > self._backoff.max_wait:
                raise error
            logger.info("Teams %s: %s; retrying in %.2fs (attempt %s)", what, error, wait, attempt + 1)
            await self._sleep(wait)

    async def send(self, conversation_id: str, activity: JsonDict, *, reply_to: str | None = None) -> str | None:
        """Post a message; returns its activity id."""
        body = Activity().deserialize(activity)
        operations = self._client.conversations
        if reply_to:
            result = await self._call("a reply", lambda: operations.reply_to_activity(conversation_id, reply_to, body))
        else:
            result = await self._call("a message", lambda: operations.send_to_conversation(conversation_id, body))
        return getattr(result, "id", None)

    async def update(self, conversation_id: str, activity_id: str, activity: JsonDict) -> None:
        body = Activity().deserialize({**activity, "id": activity_id})
        operations = self._client.conversations
        await self._call("an update", lambda: operations.update_activity(conversation_id, activity_id, body))

    async def create_personal(self, *, account_id: str, tenant_id: str, bot: dict[str, Any]) -> str:
        """The 1:1 chat of the bot with a member (Teams returns the existing one when there is one)."""
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=str(bot.get("id") or ""), name=str(bot.get("name") or "")),
            members=[ChannelAccount(id=account_id)],
            tenant_id=tenant_id or None,
            channel_data={"tenant": {"id": tenant_id}} if tenant_id else None,
        )
        operations = self._client.conversations
        result = await self._call("a 1:1 chat", lambda: operations.create_conversation(parameters))
        conversation_id = getattr(result, "id", None)
        if not conversation_id:
            raise DeliveryError("Teams created no 1:1 chat", retryable=False)
        return str(conversation_id)

    async def member(self, conversation_id: str, member_id: str) -> JsonDict | None:
        """One member of a conversation, by conversation id, Entra object id or UPN; None if not a member."""
        operations = self._client.conversations
        try:
            account = await self._call(
                "a member lookup", lambda: operations.get_conversation_member(conversation_id, member_id)
            )
        except ChannelGone:
            return None
        except DeliveryError as exc:
            if exc.retryable:
                raise
            return None
        return _plain(account)

    async def members_page(
        self, conversation_id: str, *, token: str | None = None, size: int = 100
    ) -> tuple[list[JsonDict], str | None]:
        """One page of a conversation's (or a team's) members and the token for the next."""
        operations = self._client.conversations
        page = await self._call(
            "the member list",
            lambda: operations.get_teams_conversation_paged_members(conversation_id, size, token),
        )
        members = [_plain(m) for m in (getattr(page, "members", None) or [])]
        return members, getattr(page, "continuation_token", None) or None


def _plain(account: Any) -> JsonDict:
    """A connector model as the JSON Teams sent (known fields plus any extra ones)."""
    if account is None:
        return {}
    data: JsonDict = dict(account.serialize())
    extra = getattr(account, "additional_properties", None)
    if isinstance(extra, Mapping):
        data.update(extra)
    return data
