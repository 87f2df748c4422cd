"""A meeting the calendar cancels or moves after its reminder went out: everyone told about it hears what
changed, and a press on the outdated reminder says what happened."""

from __future__ import annotations

from adapters.runtime import Runtime
from bot.storage.models import AgendaItem, Moment
from tests.integration.calendars.conftest import FeedServer, cancelled, moved, weekly_feed
from tests.integration.calendars.test_calendar_truth import follow, refresh, utc
from tests.integration.calendars.test_refresh import dispatcher
from tests.integration.core import ask, one, text
from tests.support.clock import FakeClock
from tests.support.events import pressed, said
from tests.support.fake_surface import RecordingSurface


async def reminded(runtime: Runtime, clock: FakeClock, feed: FeedServer, surface: RecordingSurface) -> AgendaItem:
    """Tuesday's meeting prepared a day ahead: the organizer (alice) has her reminder with Swap and Skip."""
    await follow(runtime, feed)
    await ask(runtime, said("remind 1 1d"))
    await ask(runtime, said("story The parcel was lost twice | rang the depot | relieved | own it", actor="bob"))
    assert (await dispatcher(runtime, clock, surface).run_once()).prepared == 1
    (reminder,) = [p.reply for p in surface.direct if p.reply.card is not None]
    assert reminder.to_member == "alice" and reminder.card is not None
    assert reminder.card.title == "Coming up: the Customer Moment for Tue 24 Nov 10:00 CET"
    assert [b.label for b in reminder.card.buttons] == ["Swap", "Skip"]
    surface.posts.clear()
    return await one(runtime, AgendaItem)


def told(surface: RecordingSurface) -> dict[str, str]:
    return {p.reply.to_member or "": p.reply.text for p in surface.direct}


async def test_a_meeting_cancelled_after_its_reminder_is_told_and_the_reminders_buttons_say_so(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    surface = RecordingSurface()
    item = await reminded(runtime, clock, feed, surface)
    story = await one(runtime, Moment, Moment.library_key.is_(None))
    feed.body = weekly_feed(cancelled("20261124T090000Z"))
    await refresh(runtime, clock, surface)  # read at 10:15 Berlin

    dms = told(surface)
    assert dms["alice"] == (
        "The Customer Moment planned for the meeting on Tue 24 Nov 10:00 CET changed: the meeting was cancelled in"
        " the calendar (noticed Mon 23 Nov 10:15 CET). The meeting has no Customer Moment now."
    )
    assert dms["bob"].startswith(
        f"Your customer story #{story.id} is no longer the Customer Moment for the meeting on Tue 24 Nov 10:00 CET: the"
        " meeting was cancelled in the calendar (noticed Mon 23 Nov 10:15 CET). It goes back to the pool"
    )

    for action in ("agenda.swap", "agenda.skip"):  # the reminder's buttons, pressed later
        answer = text(await ask(runtime, pressed(action, str(item.id), channel=None)))
        assert answer == (
            "This meeting's moment is already cancelled. The meeting was cancelled in the calendar"
            " (noticed Mon 23 Nov 10:15 CET)."
        ), answer


async def test_a_meeting_moved_after_its_reminder_is_told_with_its_new_time(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    surface = RecordingSurface()
    await reminded(runtime, clock, feed, surface)
    story = await one(runtime, Moment, Moment.library_key.is_(None))
    feed.body = weekly_feed(moved("20261124T090000Z", "20261124T130000Z"))
    await refresh(runtime, clock, surface)

    dms = told(surface)
    assert dms["alice"] == (
        "The meeting on Tue 24 Nov 10:00 CET was moved in the calendar to Tue 24 Nov 14:00 CET. Its Customer Moment"
        " moves with it: The parcel was lost twice. Its card goes to the channel on Tue 24 Nov 13:30 CET."
    )
    assert dms["bob"] == (
        f"The meeting on Tue 24 Nov 10:00 CET was moved in the calendar to Tue 24 Nov 14:00 CET: your customer story"
        f" #{story.id} is its Customer Moment then."
    )
    clock.now = utc(11, 24, 12, 30)
    assert (await dispatcher(runtime, clock, surface).run_once()).posted == 1
    (card,) = surface.cards
    assert card.reply.card is not None and card.reply.card.title == "Customer Moment · Tue 24 Nov 14:00 CET"


async def test_a_posted_card_of_a_cancelled_meeting_is_updated_and_its_buttons_say_why(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    surface = RecordingSurface()
    item = await reminded(runtime, clock, feed, surface)
    clock.now = utc(11, 24, 8, 30)
    assert (await dispatcher(runtime, clock, surface).run_once()).posted == 1
    surface.posts.clear()
    feed.body = weekly_feed(cancelled("20261124T090000Z"))
    await refresh(runtime, clock, surface)  # read at 09:45 Berlin

    (update,) = surface.cards
    assert update.reply.message is not None and update.reply.message.ref is not None
    assert "Cancelled" in text([update.reply]) and "Swap" not in text([update.reply])
    assert "cancelled in the calendar (noticed Tue 24 Nov 09:45 CET)" in told(surface)["alice"]
    answer = text(await ask(runtime, pressed("agenda.swap", str(item.id))))
    assert answer.endswith("The meeting was cancelled in the calendar (noticed Tue 24 Nov 09:45 CET)."), answer


async def test_a_meeting_moved_to_a_time_already_past_before_its_card_went_up_is_told_as_such(
    runtime: Runtime, clock: FakeClock, feed: FeedServer
) -> None:
    surface = RecordingSurface()
    await reminded(runtime, clock, feed, surface)
    story = await one(runtime, Moment, Moment.library_key.is_(None))
    clock.now = utc(11, 24, 8, 20)
    feed.body = weekly_feed(moved("20261124T090000Z", "20261124T082500Z"))
    await refresh(runtime, clock, surface)  # at 08:35: the new time has passed, the card never went up

    dms = told(surface)
    assert dms["alice"] == (
        "The meeting on Tue 24 Nov 10:00 CET was moved in the calendar to Tue 24 Nov 09:25 CET, a time already"
        " past, so no card goes up for it; its moment goes back to the pool."
    )
    assert dms["bob"].startswith(
        f"The meeting on Tue 24 Nov 10:00 CET was moved in the calendar to Tue 24 Nov 09:25 CET, a time already"
        f" past: your customer story #{story.id} is not featured then; it goes back to the pool"
    )
    assert (await dispatcher(runtime, clock, surface).run_once()).posted == 0
    assert (await one(runtime, AgendaItem)).state == "missed"
    assert (await one(runtime, Moment, Moment.id == story.id)).times_featured == 0
