"""Someone leaves a channel (or is removed from it): Slack's ``member_left_channel`` event, over signed HTTP.

They are no longer one of the channel's people: a manager stops reviewing its submissions, and its agenda
items read as unknown from a direct message, until they write in the channel again.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from adapters.runtime import Runtime
from bot.storage.models import Member, Moment, TeamMember
from tests.integration.slack.driver import SlackDriver, all_text
from tests.integration.slack.test_overload import every_slot_waiting, serving, shed
from tests.support.fake_slack import FakeSlack


def left(user: str = "U1", channel: str = "C1") -> dict[str, str]:
    return {"type": "member_left_channel", "user": user, "channel": channel, "channel_type": "G", "team": "T1"}


async def last_answer(slack: SlackDriver, text: str, user: str = "U1") -> str:
    assert await slack.direct_message(text, user=user, channel=f"D{user}") == 200
    message = slack.fake.posted(f"D{user}")[-1]
    return all_text(message.get("blocks") or []) or str(message.get("text"))


async def test_a_manager_who_left_stops_reviewing_the_channel_until_writing_there_again(slack: SlackDriver) -> None:
    await slack.command("review on")
    said = slack.said(await slack.command("story Angry caller | Listened first | Let them finish", user="U2"))
    match = re.search(r"#(\d+)", said)
    assert match
    number = match.group(1)
    assert f"#{number}" in await last_answer(slack, "review")

    assert await slack.event(left()) == 200
    assert f"#{number}" not in await last_answer(slack, "review")
    assert "There is no item" in await last_answer(slack, f"approve {number}")

    await slack.command("queue")  # Alice writes in the channel again
    assert f"#{number}" in await last_answer(slack, "review")


async def test_an_item_of_a_channel_left_reads_as_none_from_a_direct_message(slack: SlackDriver) -> None:
    await slack.command("story Lost parcel | Rebooked | Call first", user="U2")
    await slack.command("request")
    card = slack.fake.posted("C1")[-1]
    item = next(e["value"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert await slack.event(left()) == 200
    real = await last_answer(slack, f"helpful {item}")
    missing = await last_answer(slack, f"helpful {int(item) + 1000}")
    assert real.replace(item, "N") == missing.replace(str(int(item) + 1000), "N")
    assert "Helpful (1)" not in all_text(slack.fake.posted("C1")[-1]["blocks"])


async def test_a_repeated_unknown_or_malformed_leave_is_acknowledged_and_changes_nothing(
    slack: SlackDriver, runtime: Runtime
) -> None:
    await slack.command("review on")
    await slack.command("story Angry caller | Listened first | Let them finish", user="U2")
    for event in (left("U2"), left("U2"), left("U404"), left("U1", "C404"), left("U1", "DU1")):
        assert await slack.event(event) == 200
    assert await slack.event(left("U2"), event_id="Ev-again", retry=1) == 200
    assert await slack.event({"type": "member_left_channel", "user": "U1"}) == 200  # no channel: ignored
    assert "waiting for review" in await last_answer(slack, "review")  # Alice still reviews #support
    async with runtime.sessions() as session:
        story = await session.scalar(select(Moment).where(Moment.kind == "story"))
    assert story is not None and story.state == "pending"  # Bob's story stays


@pytest.fixture
async def crowded(runtime: Runtime, fake_slack: FakeSlack) -> AsyncIterator[SlackDriver]:
    """Answers may wait 0.2 s for a work slot (as in ``test_overload``)."""
    async for driver in serving(runtime, fake_slack, "0.2"):
        yield driver


async def test_a_leave_while_every_slot_waits_is_never_shed(runtime: Runtime, crowded: SlackDriver) -> None:
    """Nobody waits on an answer to it: it waits for a slot as long as it takes, and is never answered busy."""
    await crowded.command("help")
    shed_before = await shed(crowded, "event")
    async with every_slot_waiting(runtime, crowded):
        leaving = asyncio.create_task(crowded.event(left()))
        await asyncio.sleep(0.5)  # past the wait bound
    assert await leaving == 200
    assert await shed(crowded, "event") == shed_before
    async with runtime.sessions() as session:
        member = await session.scalar(select(Member).where(Member.external_id == "U1"))
        assert member is not None
        assert await session.scalar(select(TeamMember).where(TeamMember.member_id == member.id)) is None
