"""The dispatcher over a real database with a recording surface: on time, once, and safe after crashes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from adapters.runtime import Runtime
from bot.scheduler.dispatcher import Dispatcher
from bot.storage.models import AgendaItem, MeetingSeries, Team
from tests.support.clock import FakeClock
from tests.support.events import said
from tests.support.fake_surface import RecordingSurface, WorkerKilled, archived, rate_limited

# Monday 23 Nov 2026, 09:00 UTC; the weekly meeting is Tuesday 10:00 Berlin (09:00 UTC), posted 30 min before.
MEETING = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POST = MEETING - timedelta(minutes=30)


async def no_sleep(_seconds: float) -> None:
    return None


def dispatcher(runtime: Runtime, clock: FakeClock, surface: RecordingSurface, worker: str = "w1") -> Dispatcher:
    return Dispatcher(
        sessions=runtime.sessions, surfaces={"console": surface}, clock=clock, worker=worker, sleep=no_sleep
    )


async def schedule(runtime: Runtime, text: str = "weekly tue 10:00 Europe/Berlin lead 30m") -> None:
    replies = await runtime.core.handle(said(f"schedule {text}"))
    assert replies[0].text.startswith("Scheduled"), replies[0].text


async def items(runtime: Runtime) -> list[AgendaItem]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(AgendaItem).order_by(AgendaItem.starts_at)))


async def test_nothing_is_posted_before_the_post_time(runtime: Runtime, clock: FakeClock) -> None:
    await schedule(runtime)
    surface = RecordingSurface()
    clock.now = POST - timedelta(seconds=1)
    tally = await dispatcher(runtime, clock, surface).run_once()
    assert tally.posted == 0 and surface.cards == []


async def test_the_card_is_posted_once_at_the_post_time_and_the_series_moves_on(
    runtime: Runtime, clock: FakeClock
) -> None:
    await schedule(runtime)
    surface = RecordingSurface()
    worker = dispatcher(runtime, clock, surface)
    clock.now = POST
    tally = await worker.run_once()
    again = await worker.run_once()
    assert (tally.posted, again.posted) == (1, 0)
    assert len(surface.cards) == 1
    card = surface.cards[0].reply
    assert card.card is not None and card.card.title.startswith("Customer Moment · Tue 24 Nov 10:00")
    assert card.message is not None and card.message.key.startswith("agenda:")
    (item,) = await items(runtime)
    assert item.state == "posted" and item.post_ref == {"channel": "support", "ts": surface.cards[0].ts}
    assert item.moment_id is not None and item.reason
    async with runtime.sessions() as session:
        series = await session.scalar(select(MeetingSeries))
    assert series is not None and series.next_start_at == MEETING + timedelta(days=7)


async def test_after_downtime_a_meeting_not_yet_started_is_posted_late(runtime: Runtime, clock: FakeClock) -> None:
    await schedule(runtime)
    surface = RecordingSurface()
    clock.now = MEETING - timedelta(minutes=5)
    tally = await dispatcher(runtime, clock, surface).run_once()
    assert tally.posted == 1
    assert tally.lags == [pytest.approx(25 * 60)]


async def test_after_downtime_a_started_meeting_is_recorded_missed_and_not_posted(
    runtime: Runtime, clock: FakeClock
) -> None:
    await schedule(runtime)
    surface = RecordingSurface()
    clock.now = MEETING + timedelta(days=15)  # three meetings went by
    tally = await dispatcher(runtime, clock, surface).run_once()
    assert surface.cards == []
    assert tally.missed == 3
    assert [i.state for i in await items(runtime)] == ["missed"] * 3
    stats = await runtime.core.handle(said("stats 30"))
    facts = {f.label: f.value for f in stats[0].card.facts} if stats[0].card else {}
    assert facts["Meetings without"] == "3 (3 missed)"


async def test_paused_series_and_deactivated_teams_are_never_posted_to(runtime: Runtime, clock: FakeClock) -> None:
    await schedule(runtime)
    await schedule(runtime, "weekly tue 11:00 Europe/Berlin lead 30m")
    await runtime.core.handle(said("pause 1"))
    surface = RecordingSurface()
    worker = dispatcher(runtime, clock, surface)
    clock.now = POST
    assert (await worker.run_once()).posted == 0
    async with runtime.sessions.begin() as session:
        team = await session.scalar(select(Team))
        assert team is not None
        team.active = False
    clock.now = POST + timedelta(hours=1)
    tally = await worker.run_once()
    assert tally.posted == 0 and surface.cards == []


async def test_rate_limit_is_retried_after_the_platform_hint(runtime: Runtime, clock: FakeClock) -> None:
    await schedule(runtime)
    surface = RecordingSurface(fail_next=[rate_limited(30)])
    worker = dispatcher(runtime, clock, surface)
    clock.now = POST
    assert (await worker.run_once()).retried == 1
    clock.advance(timedelta(seconds=10))
    assert (await worker.run_once()).posted == 0  # still waiting for Retry-After
    clock.advance(timedelta(seconds=25))
    assert (await worker.run_once()).posted == 1
    assert len(surface.cards) == 1


async def test_repeated_failures_mark_the_occurrence_failed_and_tell_the_managers(
    runtime: Runtime, clock: FakeClock
) -> None:
    await schedule(runtime)
    surface = RecordingSurface(fail_next=[rate_limited(1) for _ in range(10)])
    worker = dispatcher(runtime, clock, surface)
    clock.now = POST
    for _ in range(8):
        await worker.run_once()
        clock.advance(timedelta(seconds=40))
    (item,) = await items(runtime)
    assert item.state == "failed"
    assert surface.cards == []
    assert [p.reply.to_member for p in surface.direct] == ["alice"]
    assert "couldn't post" in surface.direct[0].reply.text


async def test_an_archived_channel_pauses_the_series_instead_of_retrying(runtime: Runtime, clock: FakeClock) -> None:
    await schedule(runtime)
    surface = RecordingSurface(fail_next=[archived()])
    worker = dispatcher(runtime, clock, surface)
    clock.now = POST
    tally = await worker.run_once()
    assert tally.failed == 1
    async with runtime.sessions() as session:
        assert await session.scalar(select(MeetingSeries.state)) == "paused"
    assert "paused" in surface.direct[0].reply.text


async def test_a_worker_killed_between_posting_and_recording_causes_no_duplicate(
    runtime: Runtime, clock: FakeClock
) -> None:
    await schedule(runtime)
    surface = RecordingSurface(kill_after_post=True)
    clock.now = POST
    with pytest.raises(WorkerKilled):
        await dispatcher(runtime, clock, surface, worker="doomed").run_once()
    (item,) = await items(runtime)
    assert item.state == "scheduled" and item.locked_by == "doomed"
    survivor = dispatcher(runtime, clock, surface, worker="survivor")
    assert (await survivor.run_once()).posted == 0  # the lease still holds
    clock.advance(timedelta(minutes=3))
    tally = await survivor.run_once()
    assert tally.found_already_posted == 1 and tally.posted == 1
    assert len(surface.cards) == 1
    (item,) = await items(runtime)
    assert item.state == "posted" and item.post_ref == {"channel": "support", "ts": surface.cards[0].ts}


async def test_shutdown_releases_held_claims_for_another_worker(runtime: Runtime, clock: FakeClock) -> None:
    await runtime.core.handle(said("request in 30"))  # a one-off item, posted by the surface itself
    await schedule(runtime)
    clock.now = POST
    async with runtime.sessions.begin() as session:
        from bot.scheduler import claims

        ids = await claims.claim_due_items(
            session, now=clock.now, worker="w9", lease=timedelta(minutes=2), platforms=frozenset({"console"}), batch=5
        )
    assert ids == []  # preparing comes first: nothing is due as an item yet
    surface = RecordingSurface()
    worker = dispatcher(runtime, clock, surface, worker="w9")
    await worker.run_once()
    assert await worker.release() == 0


async def test_a_reminder_goes_to_the_organizer_before_the_card_is_posted(runtime: Runtime, clock: FakeClock) -> None:
    await schedule(runtime)
    replies = await runtime.core.handle(said("remind 1 1d"))
    assert "DM the organizer" in replies[0].text
    surface = RecordingSurface()
    worker = dispatcher(runtime, clock, surface)
    clock.now = POST - timedelta(days=1)
    tally = await worker.run_once()
    assert tally.prepared == 1 and tally.posted == 0
    reminder = [p for p in surface.direct if p.reply.card is not None]
    assert len(reminder) == 1 and reminder[0].reply.to_member == "alice"
    assert reminder[0].reply.card is not None
    assert [b.action for b in reminder[0].reply.card.buttons] == ["agenda.swap", "agenda.skip"]
    clock.now = POST
    assert (await worker.run_once()).posted == 1


async def test_two_workers_on_one_database_post_each_occurrence_once(runtime: Runtime, clock: FakeClock) -> None:
    for hour in range(8, 18):
        await schedule(runtime, f"weekly tue {hour}:00 Europe/Berlin lead 30m")
    surface = RecordingSurface()
    first, second = dispatcher(runtime, clock, surface, "a"), dispatcher(runtime, clock, surface, "b")
    clock.now = MEETING + timedelta(hours=10)
    for _ in range(3):
        await first.run_once()
        await second.run_once()
    keys = [p.reply.message.key for p in surface.cards if p.reply.message]
    assert len(keys) == len(set(keys))
    async with runtime.sessions() as session:
        posted = await session.scalar(select(func.count()).where(AgendaItem.state == "posted"))
    assert posted == len(keys)
