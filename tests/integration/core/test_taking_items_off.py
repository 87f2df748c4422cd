"""A meeting that will have no moment loses the item already prepared for it, at once and out loud.

Skipping a date, pausing or deleting a series: an agenda item not presented yet for those meetings leaves
the agenda whether it waits for its post time or its card is in the channel; its moment goes back to the
pool, a posted card is updated in place, and the people told it would be featured are told it won't.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from adapters.runtime import Runtime
from bot.domain.lifecycle import AgendaState
from bot.replies import Audience
from bot.scheduler.dispatcher import Dispatcher
from bot.storage.models import AgendaItem, Featuring, MeetingSeries, Moment, Team
from tests.integration.core import ask, dms, one, only, rows, text
from tests.support.clock import FakeClock
from tests.support.events import said
from tests.support.fake_surface import RecordingSurface

# The FakeClock starts on Monday 23 November 2026, 09:00 UTC: the first meeting is Friday 27 November.
WEEKLY = "schedule weekly fri 10:00 Europe/Berlin"
STORY = "story The parcel was lost twice | rang the depot | relieved | own the problem"


async def no_sleep(_seconds: float) -> None:
    return None


class Scheduler:
    def __init__(self, runtime: Runtime, clock: FakeClock) -> None:
        self.surface = RecordingSurface()
        self.clock = clock
        self.dispatcher = Dispatcher(
            sessions=runtime.sessions, surfaces={"console": self.surface}, clock=clock, worker="w1", sleep=no_sleep
        )

    async def run_at(self, when: object) -> None:
        self.clock.now = when  # type: ignore[assignment]
        await self.dispatcher.run_once()


async def prepared_meeting(runtime: Runtime, clock: FakeClock, *, posted: bool) -> tuple[Scheduler, AgendaItem]:
    """Bob's story picked for Friday's meeting by the scheduler (the organizer reminded a day ahead), its card
    still waiting for its post time or (``posted``) in the channel."""
    await ask(runtime, said(WEEKLY))  # alice, the first in the workspace, manages it
    await ask(runtime, said(STORY, actor="bob"))
    series = await one(runtime, MeetingSeries)
    await ask(runtime, said(f"remind {series.id} 1d"))
    series = await one(runtime, MeetingSeries)
    scheduler = Scheduler(runtime, clock)
    assert series.next_prepare_at is not None and series.next_post_at is not None
    await scheduler.run_at(series.next_prepare_at)
    assert any("Coming up" in text([p.reply]) for p in scheduler.surface.direct)
    if posted:
        await scheduler.run_at(series.next_post_at)
        assert len(scheduler.surface.cards) == 1
    item = await one(runtime, AgendaItem)
    story = await one(runtime, Moment, Moment.kind == "story")
    assert item.moment_id == story.id and story.times_featured == 1
    assert item.state is (AgendaState.POSTED if posted else AgendaState.SCHEDULED)
    return scheduler, item


async def assert_off_the_agenda(runtime: Runtime, item: AgendaItem, state: AgendaState) -> None:
    after = await one(runtime, AgendaItem, AgendaItem.id == item.id)
    assert (after.state, after.moment_id) == (state, None)
    story = await one(runtime, Moment, Moment.kind == "story")
    assert story.times_featured == 0 and story.last_featured_at is None  # back in the pool, as never featured
    assert [f.outcome for f in await rows(runtime, Featuring)] == ["skipped"]
    assert "Fri 27 Nov" not in text(await ask(runtime, said("queue")))


@pytest.mark.parametrize("posted", [False, True], ids=["prepared", "posted"])
async def test_skipping_a_prepared_date_takes_its_item_off_and_tells_the_people(
    runtime: Runtime, clock: FakeClock, posted: bool
) -> None:
    scheduler, item = await prepared_meeting(runtime, clock, posted=posted)

    replies = await ask(runtime, said(f"skipdate {item.series_id} 2026-11-27"))

    answer = replies[0].text
    assert answer.startswith(f"Meeting #{item.series_id} will have no moment on 2026-11-27."), answer
    assert "took it off the agenda (its moment went back to the pool;" in answer
    assert ("its card in the channel now says so" if posted else "its card will not be posted") in answer
    assert "no longer the Customer Moment for the meeting on Fri 27 Nov" in dms(replies)["bob"]
    updates = [r for r in only(replies, Audience.CHANNEL) if r.card is not None]
    if posted:
        (card,) = updates
        assert card.message is not None and card.message.key == f"agenda:{item.id}"
        assert "No moment at this meeting" in text([card]) and "Skipped this time" in text([card])
        assert "The parcel was lost twice" not in text([card])
    else:
        assert updates == []
    await assert_off_the_agenda(runtime, item, AgendaState.SKIPPED)
    before = len(scheduler.surface.cards)
    await scheduler.run_at(item.post_at + timedelta(minutes=1))
    assert len(scheduler.surface.cards) == before  # nothing posted for the skipped date


@pytest.mark.parametrize(("command", "done"), [("pause", "Paused"), ("unschedule", "Deleted")])
@pytest.mark.parametrize("posted", [False, True], ids=["prepared", "posted"])
async def test_pausing_or_deleting_takes_prepared_items_off_and_says_so(
    runtime: Runtime, clock: FakeClock, command: str, done: str, posted: bool
) -> None:
    scheduler, item = await prepared_meeting(runtime, clock, posted=posted)

    replies = await ask(runtime, said(f"{command} {item.series_id}"))

    answer = replies[0].text
    assert answer.startswith(f"{done} meeting #{item.series_id}. The meeting on Fri 27 Nov 10:00 CET"), answer
    assert "took it off the agenda" in answer and "I let the people it was promised to know." in answer
    assert "no longer the Customer Moment" in dms(replies)["bob"]
    assert "alice" not in dms(replies)  # the one who paused it knows
    await assert_off_the_agenda(runtime, item, AgendaState.CANCELLED)
    before = len(scheduler.surface.posts)
    await scheduler.run_at(item.post_at + timedelta(minutes=1))
    assert len(scheduler.surface.posts) == before


async def test_a_paused_series_lists_no_meetings_as_coming_and_resuming_names_the_next_moment(
    runtime: Runtime, clock: FakeClock
) -> None:
    _, item = await prepared_meeting(runtime, clock, posted=False)
    await ask(runtime, said(f"pause {item.series_id}"))

    listed = text(await ask(runtime, said("meetings")))
    assert "None while paused" in listed and "Fri 27 Nov" not in listed and "Fri 4 Dec" not in listed

    resumed = (await ask(runtime, said(f"resume {item.series_id}")))[0].text
    back = f"Resumed meeting #{item.series_id}. The meeting on Fri 27 Nov 10:00 CET is back"
    assert resumed.startswith(back), resumed
    assert resumed.endswith("Its next moment is for the meeting on Fri 27 Nov 10:00 CET."), resumed


async def test_pausing_with_nothing_prepared_says_only_that(runtime: Runtime) -> None:
    await ask(runtime, said(WEEKLY))
    series = await one(runtime, MeetingSeries)
    answer = text(await ask(runtime, said(f"pause {series.id}")))
    assert answer == f"Paused meeting #{series.id}. No moments are picked or posted for it until `resume {series.id}`."
    skipped = text(await ask(runtime, said(f"skipdate {series.id} 2026-12-04")))
    assert skipped == f"Meeting #{series.id} will have no moment on 2026-12-04."


async def test_an_item_cancelled_at_post_time_tells_the_people_it_was_promised_to(
    runtime: Runtime, clock: FakeClock
) -> None:
    scheduler, item = await prepared_meeting(runtime, clock, posted=False)
    async with runtime.sessions.begin() as session:  # the bot left the channel
        await session.execute(update(Team).values(active=False))

    await scheduler.run_at(item.post_at)

    assert scheduler.surface.cards == []
    (told,) = [p for p in scheduler.surface.direct if p.reply.to_member == "bob" and "no longer" in p.reply.text]
    assert "the channel no longer gets Customer Moments" in told.reply.text
    assert (await one(runtime, AgendaItem)).state is AgendaState.CANCELLED
    assert (await one(runtime, Moment, Moment.kind == "story")).times_featured == 0
