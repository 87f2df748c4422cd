"""Through the Slack server: `undo` after `skipdate` changes nothing, `resume` gives back the meeting the pause
took off, and a withdrawn shout-out is told to the colleague it recognised and to the organizer."""

from __future__ import annotations

from sqlalchemy import update

from adapters.runtime import Runtime
from bot.storage.models import MeetingSeries, Moment
from tests.integration.core import one
from tests.integration.slack.driver import SlackDriver
from tests.integration.slack.test_kept_meeting_promises import Meeting, dm_texts
from tests.support.clock import FakeClock

REASON = "stayed on the call until the refund went through"


async def test_undo_after_skipdate_keeps_the_date_skipped(
    runtime: Runtime, slack: SlackDriver, clock: FakeClock
) -> None:
    meeting = Meeting(runtime, slack, clock)
    await meeting.prepare()
    await slack.command(f"skipdate {meeting.number} 2026-11-27")

    answer = slack.said(await slack.command("undo"))

    assert "cannot be undone" in answer and "no longer skipped" not in answer, answer
    assert "Nothing changed." in answer
    assert "Fri 27 Nov" not in slack.said(await slack.command("queue"))
    assert await meeting.at_post_time() == 0
    story = await one(runtime, Moment, Moment.kind == "story")
    assert story.times_featured == 0  # still first in line, as never featured


async def test_resume_gives_back_the_meeting_the_pause_took_off(
    runtime: Runtime, slack: SlackDriver, clock: FakeClock
) -> None:
    meeting = Meeting(runtime, slack, clock)
    await meeting.prepare()
    await slack.command(f"pause {meeting.number}")

    answer = slack.said(await slack.command(f"resume {meeting.number}"))

    assert "Its next moment is for the meeting on Fri 27 Nov 10:00 CET." in answer, answer
    assert "is the Customer Moment for the meeting on Fri 27 Nov" in dm_texts(slack, "U2")[-1]
    listed = slack.said(await slack.command("meetings"))
    assert listed.index("Fri 27 Nov") < listed.index("Fri 4 Dec")
    queue = slack.said(await slack.command("queue"))
    assert "Fri 27 Nov" in queue and "no moment" not in queue
    assert await meeting.at_post_time() == 1


async def test_a_withdrawn_shoutout_is_told_to_its_recipient_and_the_organizer(
    runtime: Runtime, slack: SlackDriver, clock: FakeClock
) -> None:
    meeting = Meeting(runtime, slack, clock)
    await slack.command("schedule weekly fri 10:00 Europe/Berlin")  # Alice organizes
    await slack.command("help", user="U3")
    await slack.command(f"shoutout <@U3> {REASON}", user="U2")
    async with runtime.sessions.begin() as session:  # only the shout-out to pick from
        await session.execute(update(Moment).where(Moment.library_key.is_not(None)).values(state="withdrawn"))
    series = await one(runtime, MeetingSeries)
    await slack.command(f"remind {series.id} 1d")
    series = await one(runtime, MeetingSeries)
    assert series.next_prepare_at is not None
    clock.now = series.next_prepare_at
    await meeting.dispatcher.run_once()
    featured = "A shout-out about you will be featured at the meeting on Fri 27 Nov"
    assert any(featured in t for t in dm_texts(slack, "U3"))
    assert any("Coming up" in t for t in dm_texts(slack, "U1"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    organizer_told = len(dm_texts(slack, "U1"))

    await slack.command(f"withdraw {shoutout.id}", user="U2")

    carol = dm_texts(slack, "U3")[-1]
    assert "The shout-out about you will not be featured at the meeting on Fri 27 Nov" in carol
    assert len(dm_texts(slack, "U1")) == organizer_told + 1
    assert "withdrawn by its author" in dm_texts(slack, "U1")[-1]
