"""Teams' conversation references over the core's port: what is written when, with an in-memory port."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from adapters.teams.conversations import TEAM_ID_KEY, ConversationStore, refreshed
from bot.events import Person, Place

TENANT = "tenant-1"
URL = "https://smba.example/emea/"
JsonDict = dict[str, Any]


class MemoryConversations:
    """A :class:`bot.ports.Conversations` in a dict, counting writes."""

    def __init__(self) -> None:
        self.channels: dict[tuple[str, str, str], tuple[JsonDict | None, bool]] = {}
        self.writes = 0
        self.names: dict[tuple[str, str, str], str] = {}

    async def install(self, place: Place, installer: Person, reference: JsonDict) -> None:
        assert place.channel_id is not None
        self.channels[(place.platform, place.workspace_id, place.channel_id)] = (dict(reference), True)
        self.writes += 1

    async def stored(self, *, platform: str, workspace_id: str, channel_id: str) -> JsonDict | None:
        return self.channels.get((platform, workspace_id, channel_id), (None, False))[0]

    async def keep(self, *, platform: str, workspace_id: str, channel_id: str, reference: JsonDict) -> bool:
        key = (platform, workspace_id, channel_id)
        if key not in self.channels:
            return False
        self.channels[key] = (dict(reference), self.channels[key][1])
        self.writes += 1
        return True

    async def kept(self, *, platform: str, workspace_id: str) -> dict[str, JsonDict]:
        return {c: ref for (p, w, c), (ref, _) in self.channels.items() if (p, w) == (platform, workspace_id) and ref}

    async def forget(self, *, platform: str, workspace_id: str, channel_ids: Collection[str]) -> int:
        gone = [key for key in self.channels if key[:2] == (platform, workspace_id) and key[2] in channel_ids]
        for key in gone:
            self.channels[key] = (None, False)
        return len(gone)

    async def set_active(self, *, platform: str, workspace_id: str, channel_ids: Collection[str], active: bool) -> None:
        for key, (ref, _) in list(self.channels.items()):
            if key[:2] == (platform, workspace_id) and key[2] in channel_ids:
                self.channels[key] = (ref, active)

    async def reference(self, *, platform: str, workspace_id: str, channel_id: str) -> JsonDict | None:
        ref, active = self.channels.get((platform, workspace_id, channel_id), (None, False))
        return ref if active else None

    async def rename(self, *, platform: str, workspace_id: str, names: Mapping[str, str]) -> int:
        known = [key for key in self.channels if key[:2] == (platform, workspace_id) and key[2] in names]
        for key in known:
            self.names[key] = names[key[2]]
        return len(known)

    async def references(self, *, platform: str, workspace_id: str, limit: int = 3) -> list[JsonDict]:
        found = [ref for (p, w, _), (ref, on) in self.channels.items() if (p, w) == (platform, workspace_id) and on]
        return [ref for ref in found if ref][:limit]

    async def posted(self, *, platform: str, workspace_id: str, channel_id: str, key: str) -> JsonDict | None:
        return None


def place(channel: str) -> Place:
    return Place(platform="teams", workspace_id=TENANT, channel_id=channel)


def ref(channel: str, *, url: str = URL, team: str | None = "team-1") -> JsonDict:
    found: JsonDict = {"serviceUrl": url, "conversation": {"id": channel}}
    if team is not None:
        found[TEAM_ID_KEY] = team
    return found


def test_a_reference_is_kept_until_its_service_url_moves() -> None:
    assert refreshed(ref("19:a"), ref("19:a")) is None
    moved = refreshed(ref("19:a"), ref("19:a", url="https://smba.example/amer/", team=None))
    assert moved is not None and moved["serviceUrl"].endswith("/amer/") and moved[TEAM_ID_KEY] == "team-1"
    assert refreshed(None, ref("19:a")) == ref("19:a")


async def test_messages_store_a_reference_once_and_again_only_when_it_moved() -> None:
    port = MemoryConversations()
    store = ConversationStore(port)
    await store.refresh(place("19:a"), ref("19:a"))
    assert port.writes == 0  # a channel the core does not know yet is not created by a message's reference
    await store.install(place("19:a"), Person("alice", "Alice"), ref("19:a"))
    for _ in range(3):
        await store.refresh(place("19:a"), ref("19:a"))
    assert port.writes == 1
    await store.refresh(place("19:a"), ref("19:a", url="https://smba.example/amer/"))
    assert port.writes == 2


async def test_removing_the_app_from_a_team_forgets_all_its_channels() -> None:
    port = MemoryConversations()
    store = ConversationStore(port)
    for channel, team in (("19:a", "team-1"), ("19:b", "team-1"), ("19:c", "team-2")):
        await store.install(place(channel), Person("alice", "Alice"), ref(channel, team=team))
    assert await store.uninstall(TENANT, ["19:a"], "team-1") == 2
    assert await store.reference(TENANT, "19:b") is None
    assert await store.reference(TENANT, "19:c") is not None


async def test_an_archived_team_is_not_posted_to_until_restored() -> None:
    port = MemoryConversations()
    store = ConversationStore(port)
    await store.install(place("19:a"), Person("alice", "Alice"), ref("19:a"))
    await store.set_active(TENANT, "team-1", False)
    assert await store.reference(TENANT, "19:a") is None and await store.references(TENANT) == []
    await store.set_active(TENANT, "team-1", True)
    assert await store.reference(TENANT, "19:a") == ref("19:a")
