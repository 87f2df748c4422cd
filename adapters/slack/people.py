"""Who someone is in Slack: users.info → display name, owner/admin flag and time zone, cached briefly.

The lookup runs after the acknowledgement, never on the ack path. When Slack cannot be asked, the
name Slack put into the payload is used and the person is not treated as a workspace admin. What Slack
said about the person travels with them (``Person.standing``): a bot, a deactivated account, an id Slack
does not know, or not asked at all; the core decides whom a shout-out may name.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.delivery import SEND_FAILURES, api_error
from bot.events import Person, Standing

logger = logging.getLogger(__name__)

TTL_SECONDS = 300.0
MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class Profile:
    user_id: str
    name: str
    admin: bool = False
    zone: str | None = None
    standing: Standing = Standing.MEMBER

    def person(self) -> Person:
        return Person(
            external_id=self.user_id,
            name=self.name,
            platform_admin=self.admin,
            standing=self.standing,
            zone=self.zone or "",
        )


def unlooked(user_id: str, fallback: str = "", standing: Standing = Standing.UNCHECKED) -> Profile:
    """Who someone is when Slack was not asked or could not say: the name the payload gave, or their id."""
    return Profile(user_id=user_id, name=fallback or user_id, standing=standing)


# The users.info error for an id Slack knows nobody by (in this workspace).
USER_NOT_FOUND = "user_not_found"


def profile_from_user(user: Mapping[str, Any]) -> Profile:
    """Read a ``users.info`` user object: the name people see, owner/admin, the IANA zone."""
    profile = user.get("profile") or {}
    name = (
        str(profile.get("display_name") or "").strip()
        or str(profile.get("real_name") or "").strip()
        or str(user.get("real_name") or "").strip()
        or str(user.get("name") or "").strip()
        or str(user["id"])
    )
    admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
    zone = user.get("tz")
    standing = Standing.MEMBER
    if user.get("deleted"):
        standing = Standing.DEACTIVATED
    elif user.get("is_bot") or user["id"] == "USLACKBOT":
        standing = Standing.BOT
    return Profile(
        user_id=str(user["id"]),
        name=name,
        admin=admin,
        zone=zone if isinstance(zone, str) else None,
        standing=standing,
    )


class Directory:
    """users.info with a small time-limited cache per workspace and user."""

    def __init__(self, *, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._cache: OrderedDict[tuple[str, str], tuple[float, Profile]] = OrderedDict()

    async def profile(self, client: AsyncWebClient, *, workspace_id: str, user_id: str, fallback: str = "") -> Profile:
        key = (workspace_id, user_id)
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError as exc:
            if api_error(exc) == USER_NOT_FOUND:
                logger.info("users.info: no user %s in workspace %s", user_id, workspace_id)
                return unlooked(user_id, fallback, Standing.UNKNOWN)
            logger.warning("users.info failed for user %s in workspace %s: %s", user_id, workspace_id, api_error(exc))
            return unlooked(user_id, fallback)
        except SEND_FAILURES as exc:
            logger.warning("users.info failed for user %s in workspace %s: %s", user_id, workspace_id, exc)
            return unlooked(user_id, fallback)
        user = response.get("user")
        if not isinstance(user, dict) or "id" not in user:
            return unlooked(user_id, fallback)
        found = profile_from_user(user)
        self._cache[key] = (now + self._ttl, found)
        self._cache.move_to_end(key)
        while len(self._cache) > MAX_ENTRIES:
            self._cache.popitem(last=False)
        return found

    async def people(
        self, client: AsyncWebClient, *, workspace_id: str, user_ids: Mapping[str, str]
    ) -> dict[str, Person]:
        """``@U123`` token → Person for every mentioned user id (labels are the names Slack sent)."""
        found: dict[str, Person] = {}
        for token, label in user_ids.items():
            user_id = token.removeprefix("@")
            profile = await self.profile(client, workspace_id=workspace_id, user_id=user_id, fallback=label)
            found[token] = profile.person()
        return found

    def forget(self, workspace_id: str) -> None:
        for key in [k for k in self._cache if k[0] == workspace_id]:
            del self._cache[key]
