"""The queue is about the future: it shows the meetings still ahead with what each will feature, and a bare
`swap` or `skip` acts on the next meeting — a scheduled one not yet prepared included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.runtime import Runtime
from bot.domain.lifecycle import AgendaState
from bot.replies import Audience, Card
from bot.scheduler.dispatcher import Dispatcher
from bot.services import upcoming
from bot.storage.models import AgendaItem, MeetingSeries, Moment
from tests.integration.core import ask, card_text, count, one, rows, table_counts, text
from tests.support.clock import FakeClock
from tests.support.events import said
from tests.support.fake_surface import RecordingSurface

# The FakeClock starts on Monday 23 November 2026, 09:00 UTC; this meeting is on Tuesday 24 at 09:00 UTC,
# its card posted (and so its moment picked) 30 minutes before.
WEEKLY = "schedule weekly tue 10:00 Europe/Berlin"
TUESDAY = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PREPARED_AT = TUESDAY - timedelta(minutes=30)


async def story(runtime: Runtime, author: str, what: str) -> Moment:
    await ask(runtime, said(f"story {what} | rang the depot | relieved | own the problem", actor=author))
    return (await rows(runtime, Moment, Moment.kind == "story", order_by=Moment.id.desc()))[0]


async def queue_card(runtime: Runtime, actor: str = "bob") -> Card:
    (reply,) = await ask(runtime, said("queue", actor=actor))
    assert reply.card is not None
    return reply.card


def section(card: Card, heading_start: str) -> tuple[str, str]:
    found = [s for s in card.sections if s.heading.startswith(heading_start)]
    assert len(found) == 1, card_text(card)
    return found[0].heading, found[0].text


def worker(runtime: Runtime, clock: FakeClock, surface: RecordingSurface) -> Dispatcher:
    async def no_sleep(_seconds: float) -> None:
        return None

    return Dispatcher(
        sessions=runtime.sessions, surfaces={"console": surface}, clock=clock, worker="w1", sleep=no_sleep
    )


async def test_a_meeting_under_way_is_listed_as_such_and_a_bare_swap_acts_on_it(
    runtime: Runtime, clock: FakeClock
) -> None:
    for author, what in (("bob", "The parcel was lost twice"), ("carol", "A refund took a month")):
        await story(runtime, author, what)
    await ask(runtime, said("request"))  # a meeting now
    clock.advance(timedelta(minutes=5))
    before = await one(runtime, AgendaItem)
    coming = section(await queue_card(runtime), "Coming up")[1]
    assert coming.startswith(f"Agenda #{before.id} · Mon 23 Nov 09:00 UTC (under way) · ")
    await ask(runtime, said("swap"))
    after = await one(runtime, AgendaItem)
    assert after.moment_id not in (None, before.moment_id)


@pytest.mark.parametrize("since_start", [timedelta(minutes=61), timedelta(hours=2), timedelta(days=3)])
async def test_a_meeting_that_started_is_no_longer_coming_up(
    runtime: Runtime, clock: FakeClock, since_start: timedelta
) -> None:
    await story(runtime, "bob", "The parcel was lost twice")
    await ask(runtime, said("request in 10m"))
    started = await one(runtime, AgendaItem)
    clock.advance(timedelta(minutes=10) + since_start)
    await ask(runtime, said("request in 20m"))
    (ahead,) = await rows(runtime, AgendaItem, AgendaItem.id != started.id)
    coming = section(await queue_card(runtime), "Coming up")[1]
    assert coming.splitlines()[0].startswith(f"Agenda #{ahead.id} · ")
    assert f"Agenda #{started.id} " not in coming


async def test_a_quiet_channel_with_only_past_meetings_has_nothing_coming_up(
    runtime: Runtime, clock: FakeClock
) -> None:
    await ask(runtime, said("request in 10m"))
    clock.advance(timedelta(hours=2))
    card = await queue_card(runtime)
    assert section(card, "Coming up")[1] == "No meetings scheduled. Try `schedule` or `request`."
    # Nothing ahead: "next in line" is what a meeting requested now would feature.
    assert section(card, "Next in line")[0] == "Next in line"


@pytest.mark.parametrize("command", ["swap", "skip"])
async def test_a_bare_swap_or_skip_acts_on_the_next_meeting_not_a_stale_one(
    runtime: Runtime, clock: FakeClock, command: str
) -> None:
    for author, what in (("bob", "The parcel was lost twice"), ("carol", "A refund took a month")):
        await story(runtime, author, what)
    await ask(runtime, said("request in 10m"))
    clock.advance(timedelta(days=1))  # yesterday's card was never marked presented
    await ask(runtime, said("request in 30m"))
    stale, ahead = await rows(runtime, AgendaItem, order_by=AgendaItem.id)
    await ask(runtime, said(command))
    stale_after, ahead_after = await rows(runtime, AgendaItem, order_by=AgendaItem.id)
    assert (stale_after.state, stale_after.moment_id) == (stale.state, stale.moment_id)
    if command == "swap":
        assert ahead_after.moment_id not in (None, ahead.moment_id)
    else:
        assert ahead_after.state == AgendaState.SKIPPED


async def test_with_nothing_ahead_a_bare_swap_says_so_and_changes_nothing(runtime: Runtime, clock: FakeClock) -> None:
    await story(runtime, "bob", "The parcel was lost twice")
    await ask(runtime, said("request in 10m"))
    clock.advance(timedelta(hours=2))
    before = await table_counts(runtime)
    assert text(await ask(runtime, said("swap"))).startswith("There is no meeting ahead in this channel.")
    assert await table_counts(runtime) == before


async def test_the_queue_previews_the_pick_for_a_scheduled_meeting_and_the_scheduler_picks_it(
    runtime: Runtime, clock: FakeClock
) -> None:
    await ask(runtime, said(WEEKLY))
    await story(runtime, "bob", "The parcel was lost twice")
    await story(runtime, "carol", "A refund took a month")
    before = await table_counts(runtime)
    heading, body = section(await queue_card(runtime), "Next meeting")
    assert heading == "Next meeting · Tue 24 Nov 10:00 CET · preview"
    assert (
        "A preview: the moment is picked on Tue 24 Nov 09:30 CET, 30 min before the meeting, and may change until then."
        in body
    )
    assert await table_counts(runtime) == before  # looking ahead writes nothing
    previewed = int(body.split(" · ")[0].lstrip("#"))

    clock.now = PREPARED_AT
    await worker(runtime, clock, RecordingSurface()).run_once()
    prepared = await one(runtime, AgendaItem)
    assert (prepared.starts_at, prepared.moment_id) == (TUESDAY, previewed)
    heading, body = section(await queue_card(runtime), "Next meeting")
    assert heading == "Next meeting · Tue 24 Nov 10:00 CET"  # picked now, no longer a preview
    assert body.startswith(f"#{previewed} · ")


async def test_a_bare_swap_settles_a_scheduled_meeting_before_it_is_prepared(
    runtime: Runtime, clock: FakeClock
) -> None:
    await ask(runtime, said(WEEKLY))
    await ask(runtime, said("remind 1 15m"))
    await story(runtime, "bob", "The parcel was lost twice")
    await story(runtime, "carol", "A refund took a month")
    previewed = int(section(await queue_card(runtime), "Next meeting")[1].split(" · ")[0].lstrip("#"))

    replies = await ask(runtime, said("swap"))
    item = await one(runtime, AgendaItem)
    series = await one(runtime, MeetingSeries)
    assert (item.series_id, item.starts_at, item.state) == (series.id, TUESDAY, AgendaState.SCHEDULED)
    assert item.moment_id not in (None, previewed)
    # The meeting is a day ahead: its card is shown to the organizer, not posted in the channel yet.
    assert not [r for r in replies if r.audience is Audience.CHANNEL]
    assert "Its card goes to the channel on Tue 24 Nov 09:30 CET." in text(replies)
    heading, body = section(await queue_card(runtime), "Next meeting")
    assert (heading, body.split(" · ")[0]) == ("Next meeting · Tue 24 Nov 10:00 CET", f"#{item.moment_id}")
    assert "Meeting #" not in section(await queue_card(runtime), "Coming up")[1]  # listed once, as its item

    # The scheduler prepares that occurrence once: no second item, the swapped-in moment kept, the organizer's
    # reminder sent, and the card posted at its time with that moment.
    surface = RecordingSurface()
    dispatcher = worker(runtime, clock, surface)
    clock.now = PREPARED_AT - timedelta(minutes=15)
    await dispatcher.run_once()
    assert await count(runtime, AgendaItem) == 1
    assert (await one(runtime, AgendaItem)).moment_id == item.moment_id
    assert [p.reply.card.title for p in surface.direct if p.reply.card is not None] == [
        "Coming up: the Customer Moment for Tue 24 Nov 10:00 CET"
    ]
    clock.now = PREPARED_AT
    await dispatcher.run_once()
    (posted,) = surface.cards
    assert posted.reply.card is not None and posted.reply.card.title == "Customer Moment · Tue 24 Nov 10:00 CET"
    assert (await one(runtime, AgendaItem)).state == AgendaState.POSTED
    assert (await one(runtime, MeetingSeries)).next_start_at == TUESDAY + timedelta(weeks=1)


async def test_a_bare_skip_of_a_scheduled_meeting_means_no_card_for_it(runtime: Runtime, clock: FakeClock) -> None:
    await ask(runtime, said(WEEKLY))
    await story(runtime, "bob", "The parcel was lost twice")
    replies = await ask(runtime, said("skip"))
    assert not [r for r in replies if r.audience is Audience.CHANNEL]
    skipped = await one(runtime, AgendaItem)
    assert (skipped.starts_at, skipped.state, skipped.moment_id) == (TUESDAY, AgendaState.SKIPPED, None)
    surface = RecordingSurface()
    clock.now = PREPARED_AT
    await worker(runtime, clock, surface).run_once()
    assert surface.cards == [] and await count(runtime, AgendaItem) == 1
    # The week after is the next meeting now, and is previewed as usual.
    assert section(await queue_card(runtime), "Next meeting")[0] == "Next meeting · Tue 1 Dec 10:00 CET · preview"


async def test_a_skipped_meeting_ahead_is_still_coming_up_in_the_queue_without_a_moment(
    runtime: Runtime, clock: FakeClock
) -> None:
    await ask(runtime, said(WEEKLY))
    await story(runtime, "bob", "The parcel was lost twice")
    await ask(runtime, said("skip"))
    skipped = await one(runtime, AgendaItem)
    coming = (
        f"Agenda #{skipped.id} · Tue 24 Nov 10:00 CET · skipped: no moment at this meeting"
        f" (`undo {skipped.id}` brings it back)"
    )
    # The series still meets on Tuesday: not "no meetings scheduled", and not a moment for it; the week after is
    # its next meeting with a moment, before and after the scheduler reached Tuesday's.
    following = (
        "Meeting #1 · next on Tue 1 Dec 10:00 CET · no moment yet: it is picked on Tue 1 Dec 09:30 CET, 30 min"
        " before the meeting"
    )
    assert section(await queue_card(runtime), "Coming up")[1].splitlines() == [coming, following]
    clock.now = PREPARED_AT
    await worker(runtime, clock, RecordingSurface()).run_once()
    assert section(await queue_card(runtime), "Coming up")[1].splitlines() == [coming, following]
    await ask(runtime, said("request in 15m"))  # a one-off meeting before it, skipped too
    await ask(runtime, said("skip"))
    requested = (await rows(runtime, AgendaItem, order_by=AgendaItem.id.desc()))[0]
    assert section(await queue_card(runtime), "Coming up")[1].splitlines()[0] == (
        f"Agenda #{requested.id} · Tue 24 Nov 09:45 CET · skipped: no moment at this meeting"
        f" (`undo {requested.id}` brings it back)"
    )


async def test_only_the_organizer_or_a_manager_settles_a_scheduled_meeting_early(runtime: Runtime) -> None:
    await ask(runtime, said(WEEKLY))  # alice, the first here, is an admin
    await ask(runtime, said("help", actor="bob"))
    await story(runtime, "carol", "The parcel was lost twice")
    before = await table_counts(runtime)
    answer = text(await ask(runtime, said("swap", actor="bob")))
    assert answer.startswith("Only the meeting's organizer or a manager can swap")
    assert await table_counts(runtime) == before


async def test_an_occurrence_is_prepared_once_whether_the_scheduler_or_a_swap_comes_first(
    runtime: Runtime, clock: FakeClock
) -> None:
    await ask(runtime, said(WEEKLY))
    series = await one(runtime, MeetingSeries)
    clock.now = PREPARED_AT
    await worker(runtime, clock, RecordingSurface()).run_once()  # the scheduler first
    prepared = await one(runtime, AgendaItem)
    async with runtime.sessions.begin() as session:
        item, created = await upcoming.prepare_early(session, series, TUESDAY, clock.now)
        assert (item.id if item else None, created) == (prepared.id, False)
        # An occurrence the series no longer has (moved on, paused, deleted) is not created.
        gone, created = await upcoming.prepare_early(session, series, TUESDAY - timedelta(weeks=1), clock.now)
        assert (gone, created) == (None, False)
    assert await count(runtime, AgendaItem) == 1


async def test_behind_more_meetings_under_way_than_the_queue_lists_the_next_meeting_is_the_one_ahead(
    runtime: Runtime, clock: FakeClock
) -> None:
    for n in range(3):
        await story(runtime, "bob", f"Parcel number {n} was lost")
    for minutes in (5, 10, 15, 20, 25, 30):
        await ask(runtime, said(f"request in {minutes}m"))
    await ask(runtime, said("request in 2h"))
    clock.advance(timedelta(minutes=40))  # six meetings under way, one ahead
    *_, ahead = await rows(runtime, AgendaItem, order_by=AgendaItem.starts_at)
    heading, body = section(await queue_card(runtime), "Next meeting")
    assert heading == "Next meeting · Mon 23 Nov 11:00 UTC"
    assert body.startswith(f"#{ahead.moment_id} · ")


async def test_a_prepared_meeting_and_an_occurrence_at_the_same_time_show_the_prepared_one(
    runtime: Runtime, clock: FakeClock
) -> None:
    await ask(runtime, said("timezone Europe/Berlin"))
    await story(runtime, "bob", "The parcel was lost twice")
    await ask(runtime, said("request in 24h"))  # Tuesday 09:00 UTC, the occurrence's start
    await ask(runtime, said(WEEKLY))  # a series scheduled after the one-off: its first meeting is not prepared
    item = await one(runtime, AgendaItem)
    assert item.starts_at == TUESDAY
    heading, body = section(await queue_card(runtime), "Next meeting")
    assert heading == "Next meeting · Tue 24 Nov 10:00 CET"  # the item's pick, not a preview
    assert body.startswith(f"#{item.moment_id} · ")


@pytest.mark.parametrize("late", [timedelta(0), timedelta(seconds=1), timedelta(minutes=20)])
async def test_a_preview_whose_pick_is_due_does_not_name_a_time_already_past(
    runtime: Runtime, clock: FakeClock, late: timedelta
) -> None:
    await ask(runtime, said(WEEKLY))
    await story(runtime, "bob", "The parcel was lost twice")
    clock.now = PREPARED_AT + late  # due, and the scheduler has not picked it yet
    _, body = section(await queue_card(runtime), "Next meeting")
    assert "A preview: the moment is being picked now and may still change." in body
    assert "09:30" not in body
    clock.now = PREPARED_AT - timedelta(seconds=1)
    _, body = section(await queue_card(runtime), "Next meeting")
    assert (
        "A preview: the moment is picked on Tue 24 Nov 09:30 CET, 30 min before the meeting, and may change until then."
        in body
    )
