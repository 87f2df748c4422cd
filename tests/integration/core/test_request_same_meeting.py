"""One moment per meeting, for one-off requests too: a request for a time at which the channel already has a
meeting with a moment answers with that meeting's, truthfully, instead of adding a second card."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from adapters.runtime import Runtime
from bot.replies import Audience
from bot.storage.models import AgendaItem, Featuring
from tests.integration.core import ask, count, one, only, text
from tests.support.clock import FakeClock
from tests.support.events import said

STORY = "story {what} | rang the depot | relieved | own the problem"


@pytest.mark.parametrize(
    ("first", "again"),
    [("request", "request"), ("request in 15m", "request in 15m"), ("request in 1h", "request in 58m")],
)
async def test_requests_for_the_same_meeting_get_its_moment_not_another(
    runtime: Runtime, clock: FakeClock, first: str, again: str
) -> None:
    await ask(runtime, said("help", actor="bob"))
    await ask(runtime, said(STORY.format(what="The parcel was lost twice"), actor="bob"))
    await ask(runtime, said(first))
    item = await one(runtime, AgendaItem)

    for actor in ("bob", "alice"):
        clock.advance(timedelta(seconds=20))
        replies = await ask(runtime, said(again, actor=actor))
        answer = text(replies)
        assert answer.startswith("A Customer Moment is already on the agenda for the meeting on"), answer
        assert f"(agenda item #{item.id})" in answer and "so I did not add another" in answer
        assert only(replies, Audience.CHANNEL) == [] and only(replies, Audience.DIRECT) == []
        assert "Picked an exercise" not in answer

    assert await count(runtime, AgendaItem) == 1
    assert await count(runtime, Featuring) == 1


async def test_a_request_for_another_time_gets_its_own_moment(runtime: Runtime) -> None:
    await ask(runtime, said("request"))
    replies = await ask(runtime, said("request in 15m"))
    assert only(replies, Audience.CHANNEL) != []
    assert await count(runtime, AgendaItem) == 2


async def test_a_request_after_the_meetings_moment_ended_gets_a_new_one(runtime: Runtime) -> None:
    await ask(runtime, said("request"))
    await ask(runtime, said("skip"))
    replies = await ask(runtime, said("request"))
    assert only(replies, Audience.CHANNEL) != []
    assert await count(runtime, AgendaItem) == 2


async def test_a_request_at_a_series_meeting_not_prepared_yet_names_the_series(runtime: Runtime) -> None:
    # The FakeClock starts on Monday 23 November 2026, 09:00 UTC: the series meets at 09:30 today.
    await ask(runtime, said("schedule daily 09:30"))
    answer = text(await ask(runtime, said("request in 30m")))
    assert answer.startswith("Meeting #1 already gets a Customer Moment for the meeting on Mon 23 Nov 09:30 UTC")
    assert await count(runtime, AgendaItem) == 0


async def test_requests_at_the_same_moment_make_one_item(runtime: Runtime) -> None:
    await ask(runtime, said("help", actor="bob"))
    answers = await asyncio.gather(*(ask(runtime, said("request", actor=who)) for who in ("alice", "bob", "alice")))
    assert await count(runtime, AgendaItem) == 1
    assert sum(bool(only(replies, Audience.CHANNEL)) for replies in answers) == 1
