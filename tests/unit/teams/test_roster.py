"""The directory of Teams people: rosters page by page, mention lookups once, member ids for 1:1 chats."""

from __future__ import annotations

from typing import Any

from adapters.teams.roster import Directory
from bot.events import Person
from bot.replies import Option

TENANT = "t1"


def account(name: str, n: int) -> dict[str, Any]:
    return {"id": f"29:{name}-{'x' * 80}", "name": name, "aadObjectId": f"00000000-0000-0000-0000-{n:012d}"}


class Source:
    """A member source in memory, counting its calls."""

    def __init__(self, members: list[dict[str, Any]]) -> None:
        self.members = members
        self.lookups: list[str] = []
        self.pages = 0

    async def member(self, conversation_id: str, member_id: str) -> dict[str, Any] | None:
        self.lookups.append(member_id)
        return next((m for m in self.members if member_id in (m["id"], m["aadObjectId"])), None)

    async def members_page(
        self, conversation_id: str, *, token: str | None = None, size: int = 100
    ) -> tuple[list[dict[str, Any]], str | None]:
        self.pages += 1
        start = int(token or 0)
        end = start + 2
        return self.members[start:end], str(end) if end < len(self.members) else None


async def test_the_roster_is_read_page_by_page_and_sorted_by_name() -> None:
    members = [account("Carol", 3), account("alice", 1), account("Bob", 2), {"id": "29:anon", "name": "Guest"}]
    source = Source(members)
    roster = await Directory().roster(source, "19:team", TENANT)
    assert roster == [
        Option("00000000-0000-0000-0000-000000000001", "alice"),
        Option("00000000-0000-0000-0000-000000000002", "Bob"),
        Option("00000000-0000-0000-0000-000000000003", "Carol"),
    ]
    assert source.pages == 2


async def test_a_mention_is_looked_up_once_then_remembered() -> None:
    bob = account("Bob", 2)
    source = Source([bob])
    directory = Directory()
    first = await directory.resolve(source, "19:c", TENANT, [bob["id"], bob["id"]])
    second = await directory.resolve(source, "19:c", TENANT, [bob["id"]])
    assert first == second == {bob["id"]: Person("00000000-0000-0000-0000-000000000002", "Bob")}
    assert source.lookups == [bob["id"]]


async def test_an_unknown_mention_stays_unresolved() -> None:
    assert await Directory().resolve(Source([]), "19:c", TENANT, ["29:nobody"]) == {}


async def test_member_ids_for_1_to_1_chats_come_from_what_was_seen_or_a_lookup() -> None:
    bob, carol = account("Bob", 2), account("Carol", 3)
    source = Source([bob, carol])
    directory = Directory()
    directory.note(TENANT, bob)
    assert await directory.account_for(source, TENANT, bob["aadObjectId"], ["19:c"]) == bob["id"]
    assert source.lookups == []
    assert await directory.account_for(source, TENANT, carol["aadObjectId"], ["19:c"]) == carol["id"]
    assert await directory.account_for(source, "other-tenant", carol["aadObjectId"], []) is None


def test_the_memory_is_bounded() -> None:
    directory = Directory(capacity=2)
    for n in range(5):
        directory.note(TENANT, account(f"p{n}", n))
    assert directory.account_of(TENANT, "00000000-0000-0000-0000-000000000000") is None
    assert directory.account_of(TENANT, "00000000-0000-0000-0000-000000000004") is not None
