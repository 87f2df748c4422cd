"""People in Teams: the conversation roster, and Entra object ids ↔ conversation member ids (``29:…``).

The core knows people by their Entra (AAD) object id; Teams addresses them by member ids. Every id
pair seen (senders, rosters, lookups) is remembered per tenant, so a direct message usually needs no
extra call; otherwise the connector's member lookup (which accepts an Entra object id) fills the gap.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from adapters.teams.activities import person_of, text_of
from bot.events import Person
from bot.replies import Option

logger = logging.getLogger(__name__)

MAX_ROSTER = 100  # people offered in a shout-out form (Adaptive Card size)
MAX_PAGES = 5
# Member lookups one message may cause: a message with hundreds of mention entities must not turn into
# hundreds of calls to Teams. Mentions beyond these stay unresolved (the core reports unknown names).
MAX_LOOKUPS = 10


class MemberSource(Protocol):
    """What the directory needs from a connector (see :class:`adapters.teams.connector.TeamsConnector`)."""

    async def member(self, conversation_id: str, member_id: str) -> dict[str, Any] | None: ...

    async def members_page(
        self, conversation_id: str, *, token: str | None = None, size: int = 100
    ) -> tuple[list[dict[str, Any]], str | None]: ...


class Directory:
    """A bounded, per-process memory of who is who; safe to lose (it refills from Teams)."""

    def __init__(self, *, capacity: int = 10_000) -> None:
        self._by_member: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._by_account: OrderedDict[tuple[str, str], Person] = OrderedDict()
        self._capacity = capacity

    def note(self, tenant: str, account: Mapping[str, Any]) -> Person | None:
        """Remember an account's two ids and name; returns the person it is."""
        person = person_of(account)
        account_id = text_of(account, "id")
        if person is not None and account_id:
            _put(self._by_member, (tenant, person.external_id), account_id, self._capacity)
            _put(self._by_account, (tenant, account_id), person, self._capacity)
        return person

    def account_of(self, tenant: str, member_id: str) -> str | None:
        return self._by_member.get((tenant, member_id))

    async def resolve(
        self, source: MemberSource, conversation_id: str, tenant: str, account_ids: Iterable[str]
    ) -> dict[str, Person]:
        """Mentioned member ids → people, asking Teams about each one not seen before (at most
        :data:`MAX_LOOKUPS` of them; the rest stay unresolved)."""
        people: dict[str, Person] = {}
        lookups = 0
        for account_id in dict.fromkeys(account_ids):
            person = self._by_account.get((tenant, account_id))
            if person is None:
                if lookups >= MAX_LOOKUPS:
                    continue
                lookups += 1
                try:
                    account = await source.member(conversation_id, account_id)
                except Exception as exc:  # the mention stays unresolved; the core says it knows no one by that name
                    logger.warning("member lookup in %s failed: %s", conversation_id, exc)
                    continue
                person = self.note(tenant, account) if account else None
            if person is not None:
                people[account_id] = person
        return people

    async def account_for(
        self, source: MemberSource, tenant: str, member_id: str, conversation_ids: Sequence[str]
    ) -> str | None:
        """The member id to open a 1:1 chat with someone known by their Entra id."""
        cached = self.account_of(tenant, member_id)
        if cached:
            return cached
        for conversation_id in conversation_ids:
            account = await source.member(conversation_id, member_id)
            if account and self.note(tenant, account) is not None:
                return text_of(account, "id") or None
        return None

    async def roster(self, source: MemberSource, conversation_id: str, tenant: str) -> list[Option]:
        """The conversation's people as form choices (value: member id in the core), by name."""
        options: dict[str, str] = {}
        token: str | None = None
        for _ in range(MAX_PAGES):
            members, token = await source.members_page(conversation_id, token=token)
            for account in members:
                person = self.note(tenant, account)
                if person is not None and text_of(account, "userRole") != "bot":
                    options[person.external_id] = person.name
            if not token or len(options) >= MAX_ROSTER:
                break
        ordered = sorted(options.items(), key=lambda item: item[1].lower())
        return [Option(value, label) for value, label in ordered[:MAX_ROSTER]]


def _put(cache: OrderedDict[tuple[str, str], Any], key: tuple[str, str], value: Any, capacity: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > capacity:
        cache.popitem(last=False)
