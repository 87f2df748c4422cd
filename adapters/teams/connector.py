"""The Bot Connector REST API for one service URL, in plain JSON dicts, with Teams' throttling handled.

Each call is one aiohttp request on the surface's shared session (see :mod:`adapters.teams.transport`),
sending and receiving the Bot Framework JSON as it is — no SDK models, no thread. With
authentication on, every call carries a bearer token from the surface's token cache; a 401 replaces
the token once (forced refresh) and repeats the call.

One retry policy: 429, 412, 408, 5xx, timeouts and connection failures are retried with bounded,
jittered exponential backoff (honouring ``Retry-After``), then surface as
``DeliveryError(retryable=True)``; 403/404 mean the bot is no longer in the conversation
(``ChannelGone``); any other refusal is final.

A service URL the surface's rule does not allow (:class:`adapters.teams.transport.ServiceUrls`) is never
called: every call raises ``ChannelGone`` before a token is fetched, so no token leaves for such a host.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from yarl import URL

from bot import metrics
from bot.ports import ChannelGone, DeliveryError

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]
Sleep = Callable[[float], Awaitable[None]]
Session = Callable[[], aiohttp.ClientSession]
Proxy = Callable[[URL], str | None]
# The token to send (None: calls go unsigned); given the token the connector refused, a different one.
Sign = Callable[[str | None], Awaitable[str | None]]

# Metric labels for the connector operations (bounded set; the descriptions are for people).
METHOD_OF = {
    "a reply": "replyToActivity",
    "a message": "sendToConversation",
    "an update": "updateActivity",
    "a 1:1 chat": "createConversation",
    "a member lookup": "getConversationMember",
    "the member list": "getPagedMembers",
    "the team details": "fetchTeamDetails",
    "the channel list": "fetchChannelList",
}
RETRYABLE = frozenset({408, 412, 429, 500, 502, 503, 504})
GONE = frozenset({403, 404})
JSON_BODY = "application/json; charset=utf-8"


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


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """The ``Retry-After`` of a failed response, in seconds (delta-seconds or an HTTP date)."""
    raw = headers.get("Retry-After") if headers is not None else None
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


def as_delivery_error(
    what: str, *, status: int | None, headers: Mapping[str, str] | None = None, cause: str = ""
) -> DeliveryError:
    """What a failed call means for the caller: ``status`` None is a call that got no answer (``cause``)."""
    if status in GONE:
        return ChannelGone(f"Teams refused {what} ({status}): the bot is not in that conversation any more")
    if status is None or status in RETRYABLE:
        reason = f"status {status}" if status else cause or "no answer"
        return DeliveryError(f"Teams did not take {what} ({reason})", retryable=True, retry_after=retry_after(headers))
    return DeliveryError(f"Teams refused {what} (status {status})", retryable=False)


def meeting_path(meeting_id: str, *rest: str) -> str:
    return "/v1/meetings/" + quote(meeting_id, safe="") + "".join("/" + part for part in rest)


def team_path(team_id: str, *rest: str) -> str:
    return "/v3/teams/" + quote(team_id, safe="") + "".join("/" + part for part in rest)


def _path(*segments: str) -> str:
    return "/v3/conversations" + "".join("/" + quote(s, safe="") for s in segments)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


class TeamsConnector:
    """Calls to one service URL, signed (or not) as the turn's credentials say."""

    def __init__(
        self,
        *,
        service_url: str,
        session: Session,
        proxy: Proxy,
        sign: Sign | None,
        allowed: Callable[[str], bool],
        user_agent: str,
        backoff: Backoff,
        timeout: float,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._service_url = service_url
        self._base = service_url.rstrip("/")
        self._session = session
        self._proxy = proxy
        self._sign = sign
        self._allowed = allowed(service_url)
        self._headers = {"Accept": "application/json", "User-Agent": user_agent}
        self._backoff = backoff
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._sleep = sleep

    @property
    def service_url(self) -> str:
        return self._service_url

    async def _token(self, rejected: str | None = None) -> str | None:
        if self._sign is None:
            return None
        try:
            return await self._sign(rejected)
        except Exception as exc:  # msal, or Entra ID not answering: nothing was sent
            logger.warning("teams: no Bot Framework token for %s: %s", self._base, exc)
            raise DeliveryError(f"Teams sign-in failed ({type(exc).__name__})", retryable=True) from exc

    async def _request(
        self, method: str, url: URL, body: bytes | None, headers: Mapping[str, str]
    ) -> tuple[int, Mapping[str, str], Any]:
        proxy = self._proxy(url)
        async with self._session().request(
            method, url, data=body, headers=headers, proxy=proxy, timeout=self._timeout
        ) as response:
            return response.status, response.headers, _json(await response.read())

    async def _call(
        self,
        what: str,
        method: str,
        path: str,
        *,
        body: JsonDict | None = None,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        label = METHOD_OF.get(what, "other")
        if not self._allowed:
            metrics.PLATFORM_CALLS.labels("teams", label, "error").inc()
            logger.warning("teams: %s not sent: service URL %r is not a Bot Framework host", what, self._base[:80])
            raise ChannelGone(f"Teams service URL not allowed: {what} was not sent")
        # Already percent-encoded (as msrest encodes): aiohttp must not decode ``%3A`` and the like back.
        query_string = "?" + urlencode(query, quote_via=quote, safe="") if query else ""
        url = URL(self._base + path + query_string, encoded=True)
        headers = {**self._headers, **(headers or {})}
        payload = None
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = JSON_BODY
        token = await self._token()
        refreshed = False
        attempt = 0
        while True:
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            try:
                status, answer_headers, answer = await self._request(method, url, payload, headers)
            except TimeoutError:
                outcome, error = "timeout", as_delivery_error(what, status=None, cause="timeout")
            except aiohttp.ClientError as exc:
                outcome, error = "error", as_delivery_error(what, status=None, cause=type(exc).__name__)
            else:
                if 200 <= status < 300:
                    metrics.PLATFORM_CALLS.labels("teams", label, "ok").inc()
                    return answer
                outcome = "ratelimited" if status == 429 else "error"
                error = as_delivery_error(what, status=status, headers=answer_headers)
                if status == 401 and token is not None and not refreshed:
                    # The token was revoked or the cache outlived it: one fresh token, one more try.
                    metrics.PLATFORM_CALLS.labels("teams", label, outcome).inc()
                    logger.info("Teams %s: token refused (401); retrying with a fresh one", what)
                    refreshed = True
                    token = await self._token(token)
                    continue
            metrics.PLATFORM_CALLS.labels("teams", label, outcome).inc()
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
        if reply_to:
            headers = {"x-ms-conversation-id": conversation_id}  # as botbuilder sends it on replies
            path = _path(conversation_id, "activities", reply_to)
            result = await self._call("a reply", "POST", path, body=activity, headers=headers)
        else:
            result = await self._call("a message", "POST", _path(conversation_id, "activities"), body=activity)
        return _id(result)

    async def meeting_details(self, meeting_id: str) -> Any:
        """A meeting's details (``GET /v1/meetings/{id}``): its scheduled start, its chat, its organizer."""
        return await self._call("the meeting details", "GET", meeting_path(meeting_id))

    async def notify_meeting(self, meeting_id: str, notification: JsonDict) -> None:
        """An in-meeting notification (``POST /v1/meetings/{id}/notification``)."""
        path = meeting_path(meeting_id, "notification")
        await self._call("a meeting notification", "POST", path, body=notification)

    async def team_details(self, team_id: str) -> Any:
        """A team's details (``GET /v3/teams/{id}``): its name, among others."""
        return await self._call("the team details", "GET", team_path(team_id))

    async def team_channels(self, team_id: str) -> Any:
        """A team's channels (``GET /v3/teams/{id}/conversations``); the General channel comes without a name."""
        return await self._call("the channel list", "GET", team_path(team_id, "conversations"))

    async def update(self, conversation_id: str, activity_id: str, activity: JsonDict) -> None:
        path = _path(conversation_id, "activities", activity_id)
        await self._call("an update", "PUT", path, body={**activity, "id": activity_id})

    async def create_personal(self, *, account_id: str, tenant_id: str, bot: dict[str, Any]) -> str:
        """The 1:1 chat of the bot with a member (Teams returns the existing one when there is one)."""
        parameters: JsonDict = {
            "isGroup": False,
            "bot": {"id": str(bot.get("id") or ""), "name": str(bot.get("name") or "")},
            "members": [{"id": account_id}],
        }
        if tenant_id:
            parameters["tenantId"] = tenant_id
            parameters["channelData"] = {"tenant": {"id": tenant_id}}
        conversation_id = _id(await self._call("a 1:1 chat", "POST", _path(), body=parameters))
        if not conversation_id:
            raise DeliveryError("Teams created no 1:1 chat", retryable=False)
        return conversation_id

    async def member(self, conversation_id: str, member_id: str) -> JsonDict | None:
        """One member of a conversation, by conversation id, Entra object id or UPN; None if not a member."""
        try:
            account = await self._call("a member lookup", "GET", _path(conversation_id, "members", member_id))
        except ChannelGone:
            return None
        except DeliveryError as exc:
            if exc.retryable:
                raise
            return None
        return dict(account) if isinstance(account, dict) else {}

    async def members_page(
        self, conversation_id: str, *, token: str | None = None, size: int = 100
    ) -> tuple[list[JsonDict], str | None]:
        """One page of a conversation's (or a team's) members and the token for the next."""
        query = {"pageSize": str(size)}
        if token is not None:
            query["continuationToken"] = token
        page = await self._call("the member list", "GET", _path(conversation_id, "pagedmembers"), query=query)
        page = page if isinstance(page, dict) else {}
        members = [dict(m) for m in page.get("members") or [] if isinstance(m, dict)]
        return members, str(page.get("continuationToken") or "") or None


def _id(result: Any) -> str | None:
    value = result.get("id") if isinstance(result, dict) else None
    return str(value) if value else None
