"""Leaving a channel: someone who left it (or was taken out of it) is no longer one of its people.

What of a channel someone may see and do follows from being one of its people: a manager reviews what is
shared in their channels, and only a channel's people act on its agenda items from a direct message.
"""

from __future__ import annotations

from adapters.runtime import Runtime
from bot.storage.models import AgendaItem, Moment, TeamMember
from tests.integration.core import ask, count, one, table_counts, text
from tests.support.events import place, said

STORY = "story The parcel was lost twice | rang the depot | relieved | own the problem"


async def pending_story(runtime: Runtime) -> Moment:
    """alice (admin) switches review on in #support; bob shares a story there, which waits for review."""
    await ask(runtime, said("review on"))
    await ask(runtime, said(STORY, actor="bob"))
    return await one(runtime, Moment, Moment.kind == "story")


async def review(runtime: Runtime, actor: str = "alice") -> str:
    return text(await ask(runtime, said("review", actor=actor, channel=None)))


async def test_a_manager_who_left_no_longer_reviews_the_channel_until_acting_there_again(runtime: Runtime) -> None:
    story = await pending_story(runtime)
    assert f"#{story.id}" in await review(runtime)
    assert await runtime.core.left(place(), ["alice"]) == 1
    assert f"#{story.id}" not in await review(runtime)
    approve = text(await ask(runtime, said(f"approve {story.id}", channel=None)))
    assert "There is no item" in approve
    assert (await one(runtime, Moment, Moment.id == story.id)).state == "pending"
    await ask(runtime, said("help"))  # alice writes in #support again
    assert f"#{story.id}" in await review(runtime)


async def test_only_their_membership_goes(runtime: Runtime) -> None:
    await pending_story(runtime)
    await ask(runtime, said("help", actor="bob", channel="sales"))
    before = await table_counts(runtime)
    assert await runtime.core.left(place(), ["bob"]) == 1
    after = await table_counts(runtime)
    assert after == {**before, "team_members": before["team_members"] - 1}
    assert (await one(runtime, Moment, Moment.kind == "story")).state == "pending"  # bob's story stays
    assert await count(runtime, TeamMember) == 2  # alice in #support, bob in #sales


async def test_from_a_direct_message_an_item_of_a_channel_left_reads_as_none(runtime: Runtime) -> None:
    await ask(runtime, said(STORY, actor="bob"))
    await ask(runtime, said("request"))
    item = await one(runtime, AgendaItem)
    await runtime.core.left(place(), ["alice"])
    real = text(await ask(runtime, said(f"helpful {item.id}", channel=None)))
    missing = text(await ask(runtime, said(f"helpful {item.id + 1000}", channel=None)))
    assert real.replace(str(item.id), "N") == missing.replace(str(item.id + 1000), "N")


async def test_more_channels_at_once_and_other_workspaces_untouched(runtime: Runtime) -> None:
    for channel in ("support", "sales", "hr"):
        await ask(runtime, said("help", actor="bob", channel=channel))
    await ask(runtime, said("help", actor="bob", workspace="globex"))
    assert await runtime.core.left(place(), ["bob"], channels=["sales", "nowhere"]) == 2
    assert await count(runtime, TeamMember) == 2  # bob in #hr of acme and in #support of globex


async def test_a_repeated_unknown_or_direct_leave_changes_nothing_and_does_not_fail(runtime: Runtime) -> None:
    await pending_story(runtime)
    assert await runtime.core.left(place(), ["bob"]) == 1
    before = await table_counts(runtime)
    assert await runtime.core.left(place(), ["bob"]) == 0  # delivered again
    assert await runtime.core.left(place(), ["nobody"]) == 0
    assert await runtime.core.left(place(channel="nowhere"), ["alice"]) == 0
    assert await runtime.core.left(place(workspace="unknown"), ["alice"]) == 0
    assert await runtime.core.left(place(channel=None), ["alice"]) == 0
    assert await runtime.core.left(place(), []) == 0
    assert await runtime.core.left(place(), ["x" * 300, "\x00"]) == 0
    assert await table_counts(runtime) == before
