"""What the bot told people about a meeting's moment stays true when it changes: `undo` takes back only what
it can, a resumed series gives every meeting still ahead its moment, and everyone told about a moment that
leaves the agenda (or comes back to it) hears so once — never the person who acted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from adapters.runtime import Runtime
from bot.domain.lifecycle import AgendaState
from bot.replies import Audience
from bot.storage.models import AgendaItem, MeetingSeries, Moment
from tests.integration.core import ask, dms, one, only, rows, text
from tests.integration.core.test_taking_items_off import WEEKLY, Scheduler, prepared_meeting
from tests.support.clock import FakeClock
from tests.support.events import said, submitted

REASON = "stayed on the call until the refund went through"


async def without_library(runtime: Runtime) -> None:
    async with runtime.sessions.begin() as session:
        await session.execute(update(Moment).where(Moment.library_key.is_not(None)).values(state="withdrawn"))


async def item_of(runtime: Runtime, item_id: int) -> AgendaItem:
    return await one(runtime, AgendaItem, AgendaItem.id == item_id)


# -- undo takes back only `skip` and `done` -------------------------------------------------------------


async def test_undo_after_skipdate_changes_nothing_and_says_the_date_stays_skipped(
    runtime: Runtime, clock: FakeClock
) -> None:
    scheduler, item = await prepared_meeting(runtime, clock, posted=False)
    await ask(runtime, said(f"skipdate {item.series_id} 2026-11-27"))

    answer = text(await ask(runtime, said("undo")))

    assert answer.startswith(f"Agenda #{item.id} cannot be undone: meeting #{item.series_id} has no moment on"), answer
    assert "`undo` takes back only `skip` and `done` on the current meeting" in answer
    assert answer.endswith("Nothing changed."), answer
    assert "no longer skipped" not in answer
    after = await item_of(runtime, item.id)
    assert (after.state, after.moment_id) == (AgendaState.SKIPPED, None)
    story = await one(runtime, Moment, Moment.kind == "story")
    assert story.times_featured == 0 and story.last_featured_at is None  # still as never featured
    assert "Fri 27 Nov" not in text(await ask(runtime, said("queue")))
    assert "Skipped dates: 2026-11-27" in text(await ask(runtime, said("meetings")))
    # By number too.
    assert "cannot be undone" in text(await ask(runtime, said(f"undo {item.id}")))
    before = len(scheduler.surface.cards)
    await scheduler.run_at(item.post_at + timedelta(minutes=1))
    assert len(scheduler.surface.cards) == before  # nothing posted for the skipped date


@pytest.mark.parametrize(("command", "instead"), [("pause", "`resume {id}`"), ("unschedule", "`schedule`")])
async def test_undo_after_pausing_or_removing_changes_nothing_and_says_what_to_do(
    runtime: Runtime, clock: FakeClock, command: str, instead: str
) -> None:
    _, item = await prepared_meeting(runtime, clock, posted=False)
    await ask(runtime, said(f"{command} {item.series_id}"))

    answer = text(await ask(runtime, said("undo")))

    assert answer.startswith(f"Agenda #{item.id} cannot be undone: it was taken off the agenda when"), answer
    assert instead.format(id=item.series_id) in answer and answer.endswith("Nothing changed."), answer
    assert (await item_of(runtime, item.id)).state is AgendaState.CANCELLED


async def test_undo_after_skipdate_names_the_skip_it_could_take_back_and_changes_nothing(
    runtime: Runtime, clock: FakeClock
) -> None:
    _, item = await prepared_meeting(runtime, clock, posted=False)
    await ask(runtime, said("request"))
    requested = (await rows(runtime, AgendaItem, order_by=AgendaItem.id.desc()))[0]
    await ask(runtime, said(f"skip {requested.id}"))
    clock.advance(timedelta(minutes=1))
    await ask(runtime, said(f"skipdate {item.series_id} 2026-11-27"))

    answer = text(await ask(runtime, said("undo")))

    assert answer.startswith(f"Agenda #{item.id} cannot be undone"), answer
    instead = f"Nothing changed. `undo {requested.id}` takes back its skip (agenda #{requested.id})."
    assert answer.endswith(instead), answer
    assert (await item_of(runtime, requested.id)).state is AgendaState.SKIPPED
    undone = text(await ask(runtime, said(f"undo {requested.id}")))
    assert undone.startswith(f"Undone: agenda #{requested.id} is no longer skipped"), undone


# -- resume gives every meeting still ahead its moment ---------------------------------------------------


@pytest.mark.parametrize("posted", [False, True], ids=["prepared", "posted"])
async def test_resuming_brings_back_the_meeting_the_pause_took_off(
    runtime: Runtime, clock: FakeClock, posted: bool
) -> None:
    scheduler, item = await prepared_meeting(runtime, clock, posted=posted)
    await ask(runtime, said(f"pause {item.series_id}"))

    replies = await ask(runtime, said(f"resume {item.series_id}"))

    answer = replies[0].text
    assert answer.startswith(f"Resumed meeting #{item.series_id}. The meeting on Fri 27 Nov 10:00 CET is back"), answer
    assert answer.endswith("Its next moment is for the meeting on Fri 27 Nov 10:00 CET."), answer
    assert "Your customer story" in dms(replies)["bob"] and "Fri 27 Nov" in dms(replies)["bob"]
    after = await item_of(runtime, item.id)
    story = await one(runtime, Moment, Moment.kind == "story")
    assert after.state is (AgendaState.POSTED if posted else AgendaState.SCHEDULED)
    assert after.moment_id == story.id and story.times_featured == 1
    if posted:
        (card,) = [r for r in only(replies, Audience.CHANNEL) if r.message is not None]
        assert card.message is not None and card.message.key == f"agenda:{item.id}"
        assert "The parcel was lost twice" in text([card])
    queue = text(await ask(runtime, said("queue")))
    assert "Fri 27 Nov" in queue and "no moment" not in queue
    listed = text(await ask(runtime, said("meetings")))
    assert listed.index("Fri 27 Nov") < listed.index("Fri 4 Dec")
    if not posted:
        before = len(scheduler.surface.cards)
        await scheduler.run_at(item.post_at + timedelta(minutes=1))
        assert len(scheduler.surface.cards) == before + 1
        assert "The parcel was lost twice" in text([scheduler.surface.cards[-1].reply])
        assert (await item_of(runtime, item.id)).state is AgendaState.POSTED


async def test_a_meeting_skipped_while_paused_stays_skipped_when_resumed(runtime: Runtime, clock: FakeClock) -> None:
    _, item = await prepared_meeting(runtime, clock, posted=False)
    await ask(runtime, said(f"pause {item.series_id}"))
    await ask(runtime, said(f"skipdate {item.series_id} 2026-11-27"))

    answer = text(await ask(runtime, said(f"resume {item.series_id}")))

    assert answer == f"Resumed meeting #{item.series_id}. Its next moment is for the meeting on Fri 4 Dec 10:00 CET."
    assert (await item_of(runtime, item.id)).state is AgendaState.CANCELLED


# -- a shout-out leaving the agenda is told to everyone told about it -------------------------------------


async def prepared_shoutout(runtime: Runtime, clock: FakeClock) -> tuple[Scheduler, AgendaItem, Moment]:
    """Bob's shout-out for carol picked for Friday's meeting: carol told she will be featured, alice (the
    organizer) reminded."""
    await ask(runtime, said(WEEKLY))
    for name in ("bob", "carol", "dave"):
        await ask(runtime, said("help", actor=name))
    await without_library(runtime)
    await ask(runtime, said(f"shoutout @carol {REASON}", actor="bob"))
    series = await one(runtime, MeetingSeries)
    await ask(runtime, said(f"remind {series.id} 1d"))
    series = await one(runtime, MeetingSeries)
    scheduler = Scheduler(runtime, clock)
    assert series.next_prepare_at is not None
    await scheduler.run_at(series.next_prepare_at)
    told = {p.reply.to_member: text([p.reply]) for p in scheduler.surface.direct}
    assert "A shout-out about you will be featured at the meeting on Fri 27 Nov" in told["carol"]
    assert "Coming up" in told["alice"]
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    item = await one(runtime, AgendaItem)
    assert item.moment_id == shoutout.id
    return scheduler, item, shoutout


async def test_a_withdrawn_shoutout_tells_its_recipients_and_the_organizer(runtime: Runtime, clock: FakeClock) -> None:
    _, item, shoutout = await prepared_shoutout(runtime, clock)

    said_to = dms(await ask(runtime, said(f"withdraw {shoutout.id}", actor="bob")))

    assert said_to["carol"].startswith("The shout-out about you will not be featured at the meeting on Fri 27 Nov")
    assert "withdrawn by its author" in said_to["carol"]
    assert "The Customer Moment planned for the meeting on Fri 27 Nov" in said_to["alice"]
    assert "bob" not in said_to
    assert (await item_of(runtime, item.id)).moment_id is None


async def test_a_shoutout_made_private_tells_its_recipients_and_the_organizer(
    runtime: Runtime, clock: FakeClock
) -> None:
    _, _, shoutout = await prepared_shoutout(runtime, clock)

    values = {"reason": REASON, "private": True}
    said_to = dms(await ask(runtime, submitted("shoutout", values, actor="bob", context=str(shoutout.id))))

    assert "will not be featured" in said_to["carol"] and "made private" in said_to["carol"]
    assert "made private" in said_to["alice"]
    assert "bob" not in said_to


async def test_a_shoutout_sent_back_to_review_tells_its_recipients_and_the_organizer(
    runtime: Runtime, clock: FakeClock
) -> None:
    _, _, shoutout = await prepared_shoutout(runtime, clock)
    await ask(runtime, said("review on"))

    values = {"reason": REASON + " twice", "private": False}
    replies = await ask(runtime, submitted("shoutout", values, actor="bob", context=str(shoutout.id)))
    said_to = dms(replies)

    assert "will not be featured" in said_to["carol"] and "went back to review" in said_to["carol"]
    to_alice = [text([r]) for r in only(replies, Audience.DIRECT) if r.to_member == "alice"]
    assert any("went back to review" in told for told in to_alice), "as the meeting's organizer"
    assert any("is waiting for your review" in told for told in to_alice), "as the channel's manager"
    assert "bob" not in said_to


@pytest.mark.parametrize("command", ["hide {id}", "optout"])
async def test_a_shoutout_its_recipient_hid_or_opted_out_of_is_told_neutrally(
    runtime: Runtime, clock: FakeClock, command: str
) -> None:
    _, _, shoutout = await prepared_shoutout(runtime, clock)

    said_to = dms(await ask(runtime, said(command.format(id=shoutout.id), actor="carol")))

    assert "carol" not in said_to
    assert f"#{shoutout.id} is no longer the Customer Moment for the meeting on Fri 27 Nov" in said_to["bob"]
    assert "The Customer Moment planned for the meeting on Fri 27 Nov" in said_to["alice"]
    for message in said_to.values():
        assert "the earlier item can no longer be featured" in message
        assert "carol" not in message and "hid" not in message and "opted" not in message


# -- undoing a skip is told to everyone the skip was told to ----------------------------------------------


async def test_undoing_a_skip_tells_the_presenting_organizer_she_presents_again(runtime: Runtime) -> None:
    for name in ("alice", "bob"):
        await ask(runtime, said("help", actor=name))
    await ask(runtime, said("request", actor="bob"))  # bob organizes; the library has the only moments
    swapped = dms(await ask(runtime, said("swap", actor="alice")))  # alice manages
    item = (await rows(runtime, AgendaItem, order_by=AgendaItem.id.desc()))[0]
    assert item.presenter_id == item.organizer_id
    assert "You still present it." in swapped["bob"]  # the presenter hears it, not only the planner's text
    skipped = dms(await ask(runtime, said("skip", actor="alice")))
    assert skipped["bob"].startswith("You no longer present at the meeting on")

    replies = await ask(runtime, said("undo", actor="alice"))

    assert replies[0].text.startswith(f"Undone: agenda #{item.id} is no longer skipped")
    said_to = dms(replies)
    assert set(said_to) == {"bob"}
    assert said_to["bob"].startswith("You present at the meeting on") and "the skip was undone" in said_to["bob"]


async def test_undoing_a_skip_tells_the_author_and_the_recipients(runtime: Runtime, clock: FakeClock) -> None:
    for name in ("alice", "bob", "carol"):
        await ask(runtime, said("help", actor=name))
    await without_library(runtime)
    await ask(runtime, said(f"shoutout @carol {REASON}", actor="bob"))
    await ask(runtime, said("request", actor="alice"))
    skipped = dms(await ask(runtime, said("skip", actor="alice")))
    assert set(skipped) == {"bob", "carol"}

    said_to = dms(await ask(runtime, said("undo", actor="alice")))

    assert set(said_to) == {"bob", "carol"}
    assert "is the Customer Moment for the meeting on" in said_to["bob"] and "again" in said_to["bob"]
    assert "You present it." in said_to["bob"]
    assert said_to["carol"].startswith("The shout-out about you will be featured at the meeting on")
