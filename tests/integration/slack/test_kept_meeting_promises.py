"""Through the Slack server: what the bot said would be featured at a meeting stays true when the meeting
changes — a skipped date, a paused series, a swap — and a second request for the same meeting adds no card."""

from __future__ import annotations

from datetime import datetime

import pytest

from adapters.runtime import Runtime
from bot.scheduler.dispatcher import Dispatcher
from bot.storage.models import MeetingSeries
from tests.integration.core import one
from tests.integration.slack.driver import SlackDriver, all_text
from tests.support.clock import FakeClock

# The clock starts on Monday 23 Nov 2026, 09:00 UTC: the weekly meeting is first on Friday 27 November.
STORY = "story The parcel was lost twice | Rebooked it with tracking | Call the customer first"


async def no_sleep(_seconds: float) -> None:
    return None


def dm_texts(slack: SlackDriver, user: str) -> list[str]:
    return [str(m.get("text", "")) + all_text(m.get("blocks", [])) for m in slack.fake.posted(f"D{user}")]


class Meeting:
    """A weekly meeting whose Friday moment (Bob's story) the scheduler prepared, the organizer reminded."""

    def __init__(self, runtime: Runtime, slack: SlackDriver, clock: FakeClock) -> None:
        self.runtime, self.slack, self.clock = runtime, slack, clock
        self.dispatcher = Dispatcher(
            sessions=runtime.sessions, surfaces={"slack": slack.surface}, clock=clock, worker="w1", sleep=no_sleep
        )
        self.number = 0
        self.post_at: datetime | None = None

    async def prepare(self) -> None:
        await self.slack.command("schedule weekly fri 10:00 Europe/Berlin")  # Alice, the first here, manages
        await self.slack.command(STORY, user="U2")
        self.number = (await one(self.runtime, MeetingSeries)).id
        await self.slack.command(f"remind {self.number} 1d")
        series = await one(self.runtime, MeetingSeries)
        assert series.next_prepare_at is not None
        self.post_at = series.next_post_at
        self.clock.now = series.next_prepare_at
        await self.dispatcher.run_once()
        assert any("Coming up" in text for text in dm_texts(self.slack, "U1"))
        assert any(
            "is the Customer Moment for the meeting on Fri 27 Nov" in text for text in dm_texts(self.slack, "U2")
        )

    async def at_post_time(self) -> int:
        """Run the scheduler when Friday's card is due; how many cards went to the channel."""
        before = len(self.slack.fake.posted("C1"))
        assert self.post_at is not None
        self.clock.now = self.post_at
        await self.dispatcher.run_once()
        return len(self.slack.fake.posted("C1")) - before


async def test_skipping_a_prepared_date_takes_its_moment_off_and_tells_the_author(
    runtime: Runtime, slack: SlackDriver, clock: FakeClock
) -> None:
    meeting = Meeting(runtime, slack, clock)
    await meeting.prepare()

    answer = slack.said(await slack.command(f"skipdate {meeting.number} 2026-11-27"))

    assert f"Meeting #{meeting.number} will have no moment on 2026-11-27." in answer
    assert "took it off the agenda (its moment went back to the pool; its card will not be posted)" in answer
    assert "no longer the Customer Moment for the meeting on Fri 27 Nov" in dm_texts(slack, "U2")[-1]
    assert "Fri 27 Nov" not in slack.said(await slack.command("queue"))
    assert await meeting.at_post_time() == 0


@pytest.mark.parametrize(("command", "done"), [("pause", "Paused"), ("unschedule", "Deleted")])
async def test_pausing_or_deleting_says_what_happened_to_the_prepared_moment(
    runtime: Runtime, slack: SlackDriver, clock: FakeClock, command: str, done: str
) -> None:
    meeting = Meeting(runtime, slack, clock)
    await meeting.prepare()

    answer = slack.said(await slack.command(f"{command} {meeting.number}"))

    assert f"{done} meeting #{meeting.number}. The meeting on Fri 27 Nov 10:00 CET was already prepared" in answer
    assert "no longer the Customer Moment" in dm_texts(slack, "U2")[-1]
    assert "Fri 27 Nov" not in slack.said(await slack.command("queue"))
    if command == "pause":
        listed = slack.said(await slack.command("meetings"))
        assert "None while paused" in listed and "Fri 4 Dec" not in listed
    assert await meeting.at_post_time() == 0


async def test_a_swap_tells_the_author_whose_moment_left(
    runtime: Runtime, slack: SlackDriver, clock: FakeClock
) -> None:
    meeting = Meeting(runtime, slack, clock)
    await meeting.prepare()

    await slack.command("swap")

    assert "no longer the Customer Moment for the meeting on Fri 27 Nov" in dm_texts(slack, "U2")[-1]
    assert "it was swapped for another moment" in dm_texts(slack, "U2")[-1]


async def test_requests_for_the_same_meeting_post_one_card(slack: SlackDriver, clock: FakeClock) -> None:
    await slack.command(STORY, user="U2")
    await slack.command("request", user="U1")
    assert len(slack.fake.posted("C1")) == 1

    for user in ("U2", "U1"):
        answer = slack.said(await slack.command("request", user=user))
        assert "A Customer Moment is already on the agenda for the meeting on" in answer, answer
        assert "Picked an exercise" not in answer

    assert len(slack.fake.posted("C1")) == 1
