"""When an agenda item's moment changes before its meeting, everyone who was told about it hears it changed:
the author and the recognised colleagues of the moment that left, its presenter, and the organizer — never
the person who changed it, and nobody who was never told."""

from __future__ import annotations

from adapters.runtime import Runtime
from bot.scheduler.dispatcher import Dispatcher
from bot.storage.models import AgendaItem, MeetingSeries, Member, Moment
from tests.integration.core import ask, dms, one, rows, text
from tests.support.clock import FakeClock
from tests.support.events import said
from tests.support.fake_surface import RecordingSurface

STORY = "story {what} | rang the depot | relieved | own the problem"
SHOUTOUT = "shoutout @carol stayed on the call until the refund went through"


async def no_sleep(_seconds: float) -> None:
    return None


async def people(runtime: Runtime, *names: str) -> None:
    for name in names:
        await ask(runtime, said("help", actor=name))


async def external(runtime: Runtime, member_id: int | None) -> str | None:
    if member_id is None:
        return None
    return (await one(runtime, Member, Member.id == member_id)).external_id


async def featured(runtime: Runtime) -> tuple[AgendaItem, Moment]:
    item = (await rows(runtime, AgendaItem, order_by=AgendaItem.id.desc()))[0]
    assert item.moment_id is not None
    return item, await one(runtime, Moment, Moment.id == item.moment_id)


async def test_a_swap_after_the_reminder_tells_the_author_and_recipients_of_the_moment_that_left(
    runtime: Runtime, clock: FakeClock
) -> None:
    await people(runtime, "alice", "bob", "carol", "dave")
    await ask(runtime, said("schedule weekly tue 10:00 Europe/Berlin"))
    series = await one(runtime, MeetingSeries)
    await ask(runtime, said(f"remind {series.id} 1d"))
    await ask(runtime, said(SHOUTOUT, actor="bob"))
    await ask(runtime, said(STORY.format(what="The invoice was wrong"), actor="dave"))
    series = await one(runtime, MeetingSeries)
    surface = RecordingSurface()
    assert series.next_prepare_at is not None
    clock.now = series.next_prepare_at
    await Dispatcher(
        sessions=runtime.sessions, surfaces={"console": surface}, clock=clock, worker="w1", sleep=no_sleep
    ).run_once()
    _, before = await featured(runtime)
    told = {p.reply.to_member for p in surface.direct}
    assert before.author_id is not None and await external(runtime, before.author_id) in told

    replies = await ask(runtime, said("swap"))

    _, after = await featured(runtime)
    assert after.id != before.id
    author = await external(runtime, before.author_id)
    assert author is not None
    said_to = dms(replies)
    assert f"#{before.id} is no longer the Customer Moment for the meeting on Tue 24 Nov" in said_to[author]
    assert "it was swapped for another moment" in said_to[author]
    if before.kind == "shoutout":
        assert "The shout-out about you will not be featured" in said_to["carol"]
    assert "alice" not in said_to  # the organizer swapped it herself


async def test_a_manager_swapping_tells_the_organizer_and_the_presenter_who_left(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob", "carol", "dave")
    await ask(runtime, said(STORY.format(what="The parcel was lost twice"), actor="dave"))
    await ask(runtime, said(STORY.format(what="The invoice was wrong"), actor="carol"))
    await ask(runtime, said("request", actor="bob"))
    _, before = await featured(runtime)
    author = await external(runtime, before.author_id)

    replies = await ask(runtime, said("swap", actor="alice"))

    said_to = dms(replies)
    assert "The Customer Moment planned for the meeting on" in said_to["bob"]
    if author is not None:
        assert f"#{before.id} is no longer the Customer Moment" in said_to[author]
    assert "alice" not in said_to


async def test_skipping_tells_the_people_of_the_moment_it_no_longer_features(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob")
    await ask(runtime, said(STORY.format(what="The parcel was lost twice"), actor="bob"))
    await ask(runtime, said("request"))
    _, before = await featured(runtime)
    if before.author_id is None:  # the rotation opened with the library: put the story on the item
        await ask(runtime, said("swap"))
        _, before = await featured(runtime)
    assert before.kind == "story"

    said_to = dms(await ask(runtime, said("skip")))

    assert f"Your customer story #{before.id} is no longer the Customer Moment" in said_to["bob"]
    assert "it was skipped" in said_to["bob"]


async def test_swapping_a_meeting_prepared_by_the_swap_itself_takes_back_nothing(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob", "carol")
    await ask(runtime, said("schedule weekly tue 10:00 Europe/Berlin"))
    await ask(runtime, said(STORY.format(what="The parcel was lost twice"), actor="bob"))
    await ask(runtime, said(STORY.format(what="The invoice was wrong"), actor="carol"))

    replies = await ask(runtime, said("swap"))

    assert "no longer" not in text(replies)
    assert all("no longer" not in message for message in dms(replies).values())
