"""Where surfaces may post unasked (``StoredConversations``), and where a turn's keyed cards went."""

from __future__ import annotations

from adapters.runtime import Runtime
from bot.events import Person
from bot.replies import Reply, say
from bot.services.conversations import StoredConversations
from bot.storage.models import AgendaItem, Member, Team
from tests.integration.core import ask, one, rows
from tests.support.clock import FakeClock
from tests.support.events import place, said

STORY = "story The parcel was lost twice | rang the depot | relieved | own the problem"
REF = {"serviceUrl": "https://smba.example/", "conversation": {"id": "support"}}
CHANNEL = {"platform": "console", "workspace_id": "acme", "channel_id": "support"}
WORKSPACE = {"platform": "console", "workspace_id": "acme"}


def stored(runtime: Runtime, clock: FakeClock) -> StoredConversations:
    return StoredConversations(sessions=runtime.sessions, clock=clock)


async def test_an_install_makes_the_channel_and_its_installer_known(runtime: Runtime, clock: FakeClock) -> None:
    conversations = stored(runtime, clock)
    await conversations.install(place(), Person("alice", "Alice"), REF)
    team = await one(runtime, Team)
    assert (team.external_id, team.active, team.conversation) == ("support", True, REF)
    assert (await one(runtime, Member)).role == "admin"
    assert await conversations.reference(**CHANNEL) == REF
    assert await conversations.references(**WORKSPACE) == [REF]


async def test_only_known_channels_keep_a_reference(runtime: Runtime, clock: FakeClock) -> None:
    conversations = stored(runtime, clock)
    assert await conversations.keep(**CHANNEL, reference=REF) is False
    assert await conversations.stored(**CHANNEL) is None
    await ask(runtime, said("help"))
    assert await conversations.keep(**CHANNEL, reference=REF) is True
    assert await conversations.stored(**CHANNEL) == REF and await conversations.kept(**WORKSPACE) == {"support": REF}


async def test_archived_channels_keep_their_reference_but_are_not_posted_to(runtime: Runtime, clock: FakeClock) -> None:
    conversations = stored(runtime, clock)
    await conversations.install(place(), Person("alice", "Alice"), REF)
    await conversations.set_active(**WORKSPACE, channel_ids=["support"], active=False)
    assert await conversations.reference(**CHANNEL) is None and await conversations.stored(**CHANNEL) == REF
    await conversations.set_active(**WORKSPACE, channel_ids=["support"], active=True)
    assert await conversations.reference(**CHANNEL) == REF


async def test_a_rename_names_known_channels_only(runtime: Runtime, clock: FakeClock) -> None:
    conversations = stored(runtime, clock)
    await conversations.install(place(), Person("alice", "Alice"), REF)
    names = {"support": "Care › Support", "unknown": "Care › Sales"}
    assert await conversations.rename(**WORKSPACE, names=names) == 1
    assert await conversations.rename(**WORKSPACE, names=names) == 0, "nothing changes twice"
    assert await conversations.rename(**WORKSPACE, names={"support": "  "}) == 0, "a blank name is no name"
    assert [team.name for team in await rows(runtime, Team)] == ["Care › Support"]


async def test_a_removed_channel_forgets_its_reference(runtime: Runtime, clock: FakeClock) -> None:
    conversations = stored(runtime, clock)
    await conversations.install(place(), Person("alice", "Alice"), REF)
    assert await conversations.forget(**WORKSPACE, channel_ids=["support", "elsewhere"]) == 1
    assert await conversations.stored(**CHANNEL) is None and await conversations.kept(**WORKSPACE) == {}
    assert (await one(runtime, Team)).active is False
    other = {"platform": "console", "workspace_id": "other"}
    assert await conversations.forget(**other, channel_ids=["support"]) == 0


async def test_a_turns_keyed_cards_are_remembered_once_where_they_went(runtime: Runtime, clock: FakeClock) -> None:
    await ask(runtime, said("help", actor="bob"))
    await ask(runtime, said(STORY, actor="bob"))
    replies = await ask(runtime, said("request in 15m"))
    (item,) = await rows(runtime, AgendaItem)
    refs: list[object] = [None] * len(replies)
    card = next(i for i, r in enumerate(replies) if r.message is not None)
    refs[card] = {"channel": "support", "ts": "1.2"}
    await runtime.core.remember_posts(platform="console", workspace_id="acme", replies=replies, refs=refs)
    (item,) = await rows(runtime, AgendaItem)
    assert item.post_ref == {"channel": "support", "ts": "1.2"}
    conversations = stored(runtime, clock)
    key = replies[card].message.key if replies[card].message else ""
    assert await conversations.posted(**CHANNEL, key=key) == item.post_ref
    assert await conversations.posted(**{**CHANNEL, "channel_id": "elsewhere"}, key=key) is None
    assert await conversations.posted(**CHANNEL, key="meeting:1") is None
    others: list[Reply] = [say("Thanks!")]
    await runtime.core.remember_posts(platform="console", workspace_id="acme", replies=others, refs=[{"ts": "9"}])
    (item,) = await rows(runtime, AgendaItem)
    assert item.post_ref == {"channel": "support", "ts": "1.2"}
