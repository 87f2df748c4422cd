"""The rotation tells the channel nothing about who wrote an anonymous story: what the meetings feature, in which
order, and every reason the cards and the queue give are the same whoever wrote it — the person featured at the
meeting before or someone else."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from adapters.runtime import Runtime
from bot.replies import Audience
from bot.storage.models import AgendaItem, Moment
from tests.integration.core import ask, one, rows, text
from tests.support.clock import FakeClock
from tests.support.events import said

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
NAMED = "story {what} | rang the depot | relieved | own the problem"
ANONYMOUS = "story anon {what} | rang the depot | relieved | own the problem"
PEOPLE = ("alice", "bob", "carol", "dave")

# Steps: (days to wait first, who, what they say). "{anon}" is the anonymous story's author, the only thing
# that differs between the worlds compared.
Step = tuple[float, str, str]
NAMED_FIRST: list[Step] = [
    (0, "bob", NAMED.format(what="The parcel was lost twice")),
    (1, "{anon}", ANONYMOUS.format(what="I promised a call back and forgot")),
    (1, "dave", NAMED.format(what="The invoice was wrong")),
    (0, "alice", "shoutout private @{anon} stayed late to fix the refund"),
]
ANONYMOUS_FIRST: list[Step] = [
    (0, "{anon}", ANONYMOUS.format(what="I promised a call back and forgot")),
    (1, "bob", NAMED.format(what="The parcel was lost twice")),
    (1, "dave", NAMED.format(what="The invoice was wrong")),
]
# Weekly meetings, far enough to feature everything once and then repeat: the queue's preview before each.
MEETINGS: list[Step] = [step for _ in range(6) for step in ((7, "alice", "queue"), (0, "alice", "request"))]


async def without_library(runtime: Runtime) -> None:
    async with runtime.sessions.begin() as session:  # only the team's own items: their order is the point here
        await session.execute(update(Moment).where(Moment.library_key.is_not(None)).values(state="withdrawn"))


async def world(runtime: Runtime, clock: FakeClock, channel: str, anon: str, steps: list[Step]) -> list[str]:
    """Everything the channel is shown by the queue and the meetings' cards, in a channel of its own where
    ``anon`` wrote the anonymous story; ids and the channel's name left out."""
    clock.now = START
    for name in PEOPLE:
        await ask(runtime, said("help", actor=name, channel=channel))
    await without_library(runtime)
    shown = []
    for days, actor, words in steps:
        clock.advance(timedelta(days=days, minutes=1))
        replies = await ask(runtime, said(words.format(anon=anon), actor=actor.format(anon=anon), channel=channel))
        if words in ("queue", "request"):
            seen = text([r for r in replies if r.audience is not Audience.DIRECT])
            shown.append(re.sub(r"#\d+", "#N", seen.replace(f"#{channel}", "#channel")))
    return shown


@pytest.mark.parametrize("steps", [NAMED_FIRST, ANONYMOUS_FIRST], ids=["named-first", "anonymous-first"])
async def test_the_channel_is_shown_the_same_whether_the_anonymous_story_is_by_last_times_person_or_not(
    runtime: Runtime, clock: FakeClock, steps: list[Step]
) -> None:
    by_bob = await world(runtime, clock, "north", "bob", steps + MEETINGS)
    by_carol = await world(runtime, clock, "south", "carol", steps + MEETINGS)
    for seen_bob, seen_carol in zip(by_bob, by_carol, strict=True):
        assert seen_bob == seen_carol
    assert "people featured last time" not in "\n".join(by_bob)  # only bob has two items: nobody to rest


async def test_after_a_meeting_featuring_bob_his_anonymous_story_is_next_and_no_reason_points_at_him(
    runtime: Runtime, clock: FakeClock
) -> None:
    for name in PEOPLE:
        await ask(runtime, said("help", actor=name))
    await ask(runtime, said(NAMED.format(what="The parcel was lost twice"), actor="bob"))
    clock.advance(timedelta(minutes=1))
    await ask(runtime, said(ANONYMOUS.format(what="I promised a call back and forgot"), actor="bob"))
    anonymous = await one(runtime, Moment, Moment.anonymous.is_(True))
    await ask(runtime, said("request"))  # features bob's named story
    clock.advance(timedelta(days=7))

    await ask(runtime, said("schedule weekly tue 10:00 Europe/Berlin"))
    queue = text(await ask(runtime, said("queue")))
    clock.advance(timedelta(minutes=1))
    await ask(runtime, said("request"))

    assert "I promised a call back and forgot" in queue  # the preview: the anonymous story, not an exercise
    latest = (await rows(runtime, AgendaItem, order_by=AgendaItem.id.desc()))[0]
    assert latest.moment_id == anonymous.id
    assert "people" not in latest.reason and "people" not in queue
