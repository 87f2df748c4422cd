"""The dispatcher's batches: many meetings prepared in one transaction and posted together, each on its own.

A batch must behave as if every occurrence were handled alone: a team's second meeting in the batch
sees the first one's moment, an item that stopped being postable is settled while the rest post, one
failing card does not hold up or repeat the others, and a card whose send starts late is read again
first: it shows the item as it is then, and stays unsent when another worker took it over meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from adapters.runtime import Runtime
from bot.replies import Audience, Reply
from bot.scheduler import claims
from bot.scheduler.dispatcher import Dispatcher
from bot.storage.models import AgendaItem, Featuring, MeetingSeries, Moment, Team
from tests.support.clock import FakeClock
from tests.support.events import said
from tests.support.fake_surface import RecordingSurface, rate_limited

# Monday 23 Nov 2026, 09:00 UTC (the fake clock's start); meetings on Tuesday, posted 30 minutes before.
MEETING = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POST = MEETING - timedelta(minutes=30)
CHANNELS = tuple(f"team-{n}" for n in range(6))
LEASE = timedelta(minutes=2)


async def no_sleep(_seconds: float) -> None:
    return None


def dispatcher(
    runtime: Runtime, clock: FakeClock, surface: RecordingSurface, *, worker: str = "w1", concurrency: int = 20
) -> Dispatcher:
    return Dispatcher(
        sessions=runtime.sessions,
        surfaces={"console": surface},
        clock=clock,
        worker=worker,
        lease=LEASE,
        concurrency=concurrency,
        sleep=no_sleep,
    )


async def schedule(runtime: Runtime, channel: str, when: str = "tue 10:00", lead: str = "30m") -> None:
    replies = await runtime.core.handle(said(f"schedule weekly {when} Europe/Berlin lead {lead}", channel=channel))
    assert replies[0].text.startswith("Scheduled"), replies[0].text


async def agenda(runtime: Runtime) -> list[AgendaItem]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(AgendaItem).order_by(AgendaItem.id)))


def card_keys(surface: RecordingSurface) -> list[str]:
    return [p.reply.message.key for p in surface.cards if p.reply.message is not None]


@dataclass
class FailingChannel(RecordingSurface):
    """Posts like the recording surface, except that every card to ``channel`` is rate limited."""

    channel: str = ""

    async def deliver(self, *, workspace_id: str, channel_id: str | None, replies: Sequence[Reply]) -> list[Any]:
        if any(r.audience is Audience.CHANNEL and (r.to_team or channel_id) == self.channel for r in replies):
            raise rate_limited(30)
        return await super().deliver(workspace_id=workspace_id, channel_id=channel_id, replies=replies)


@dataclass
class SlowFirstCard(RecordingSurface):
    """The first card takes so long (on the fake clock) that the lease of every other claimed card runs
    out; while it is in flight, another worker claims what it can."""

    clock: FakeClock = field(default_factory=FakeClock)
    runtime: Runtime | None = None
    taken_over: list[int] = field(default_factory=list)

    async def deliver(self, *, workspace_id: str, channel_id: str | None, replies: Sequence[Reply]) -> list[Any]:
        refs = await super().deliver(workspace_id=workspace_id, channel_id=channel_id, replies=replies)
        if self.runtime is not None and len(self.cards) == 1:
            runtime, self.runtime = self.runtime, None
            self.clock.advance(LEASE + timedelta(seconds=1))
            async with runtime.sessions.begin() as session:
                self.taken_over = await claims.claim_due_items(
                    session, now=self.clock(), worker="w2", lease=LEASE, platforms=frozenset({"console"}), batch=10
                )
        return refs


async def test_a_batch_of_meetings_is_posted_in_one_pass_each_once_with_its_own_featuring(
    runtime: Runtime, clock: FakeClock
) -> None:
    for channel in CHANNELS:
        await schedule(runtime, channel)
    surface = RecordingSurface()
    clock.now = POST
    tally = await dispatcher(runtime, clock, surface).run_once()
    assert (tally.prepared, tally.posted) == (len(CHANNELS), len(CHANNELS))
    assert sorted(card_keys(surface)) == sorted(set(card_keys(surface))) and len(surface.cards) == len(CHANNELS)
    items = await agenda(runtime)
    assert [i.state for i in items] == ["posted"] * len(CHANNELS)
    assert all(i.moment_id is not None and i.reason and i.locked_by is None for i in items)
    refs = [i.post_ref or {} for i in items]
    assert {(p.channel_id, p.ts) for p in surface.cards} == {(ref.get("channel"), ref.get("ts")) for ref in refs}
    async with runtime.sessions() as session:
        featurings = list(await session.scalars(select(Featuring)))
        series = list(await session.scalars(select(MeetingSeries)))
    assert sorted(f.agenda_item_id for f in featurings) == [i.id for i in items]
    assert all(s.next_start_at == MEETING + timedelta(days=7) for s in series)


async def test_a_teams_second_meeting_in_a_batch_sees_the_first_ones_moment(runtime: Runtime, clock: FakeClock) -> None:
    for story in ("The refund that arrived early", "The call back we promised"):
        replies = await runtime.core.handle(said(f"story {story} lesson: keep promises", channel="support"))
        assert replies[0].text.startswith("Thanks!"), replies[0].text
    await schedule(runtime, "support", "tue 10:00")
    await schedule(runtime, "support", "tue 10:30", lead="60m")
    surface = RecordingSurface()
    clock.now = POST  # both are due to be prepared (and posted) in the same pass
    tally = await dispatcher(runtime, clock, surface).run_once()
    assert tally.prepared == 2
    first, second = await agenda(runtime)
    assert first.moment_id is not None and second.moment_id is not None
    assert first.moment_id != second.moment_id  # never featured beats a repeat, also within one batch


async def test_a_team_deactivated_after_preparing_is_cancelled_while_the_rest_of_the_batch_posts(
    runtime: Runtime, clock: FakeClock
) -> None:
    for channel in CHANNELS:
        await schedule(runtime, channel)
    surface = RecordingSurface()
    worker = dispatcher(runtime, clock, surface)
    clock.now = POST - timedelta(minutes=1)
    async with runtime.sessions.begin() as session:  # prepare a minute early, post on time
        await session.execute(update(MeetingSeries).values(next_prepare_at=clock.now))
    assert (await worker.run_once()).prepared == len(CHANNELS)
    async with runtime.sessions.begin() as session:
        await session.execute(update(Team).where(Team.external_id == CHANNELS[2]).values(active=False))
    clock.now = POST
    tally = await worker.run_once()
    assert (tally.posted, tally.cancelled) == (len(CHANNELS) - 1, 1)
    assert sorted(p.channel_id or "" for p in surface.cards) == [c for c in CHANNELS if c != CHANNELS[2]]
    states = {i.team_id: i.state for i in await agenda(runtime)}
    assert sorted(states.values()) == ["cancelled"] + ["posted"] * (len(CHANNELS) - 1)


async def test_one_failing_card_is_retried_alone_while_the_others_post_once(runtime: Runtime, clock: FakeClock) -> None:
    for channel in CHANNELS:
        await schedule(runtime, channel)
    surface = FailingChannel(channel=CHANNELS[0])
    worker = dispatcher(runtime, clock, surface)
    clock.now = POST
    tally = await worker.run_once()
    assert (tally.posted, tally.retried) == (len(CHANNELS) - 1, 1)
    surface.channel = ""  # the platform lets the last one through
    clock.advance(timedelta(seconds=35))
    again = await worker.run_once()
    assert (again.posted, again.retried) == (1, 0)
    keys = card_keys(surface)
    assert len(keys) == len(CHANNELS) == len(set(keys))
    assert [i.state for i in await agenda(runtime)] == ["posted"] * len(CHANNELS)


@dataclass
class SwapDuringFirstCard(RecordingSurface):
    """While the first card is in flight (ten seconds on the fake clock), the organizer of another
    channel's meeting swaps its moment."""

    clock: FakeClock = field(default_factory=FakeClock)
    runtime: Runtime | None = None
    channel: str = ""

    async def deliver(self, *, workspace_id: str, channel_id: str | None, replies: Sequence[Reply]) -> list[Any]:
        refs = await super().deliver(workspace_id=workspace_id, channel_id=channel_id, replies=replies)
        if self.runtime is not None and len(self.cards) == 1:
            runtime, self.runtime = self.runtime, None
            self.clock.advance(timedelta(seconds=10))
            swapped = await runtime.core.handle(said("swap", channel=self.channel))
            assert swapped[0].card is not None, swapped[0].text
        return refs


async def test_a_card_sent_well_after_its_claim_shows_the_item_as_it_is_then(
    runtime: Runtime, clock: FakeClock
) -> None:
    for story in ("The refund that arrived early", "The call back we promised"):
        replies = await runtime.core.handle(said(f"story {story}. lesson: keep promises", channel=CHANNELS[1]))
        assert replies[0].text.startswith("Thanks!"), replies[0].text
    await schedule(runtime, CHANNELS[0])
    await schedule(runtime, CHANNELS[1])
    surface = SwapDuringFirstCard(clock=clock, runtime=runtime, channel=CHANNELS[1])
    clock.now = POST
    tally = await dispatcher(runtime, clock, surface, concurrency=1).run_once()
    assert tally.posted == 2
    (late,) = [p.reply for p in surface.cards if p.channel_id == CHANNELS[1]]
    (item,) = [i for i in await agenda(runtime) if i.post_ref and i.post_ref.get("channel") == CHANNELS[1]]
    async with runtime.sessions() as session:
        swapped_out = await session.scalar(select(Featuring.moment_id).where(Featuring.outcome == "swapped"))
        shown, dropped = await session.get(Moment, item.moment_id), await session.get(Moment, swapped_out)
    assert shown is not None and dropped is not None and shown.id != dropped.id
    assert late.card is not None and late.card.sections[0].text == shown.situation != dropped.situation


async def test_a_card_whose_send_starts_after_its_lease_ran_out_is_left_to_the_worker_that_took_it(
    runtime: Runtime, clock: FakeClock
) -> None:
    await schedule(runtime, CHANNELS[0])
    await schedule(runtime, CHANNELS[1])
    surface = SlowFirstCard(clock=clock, runtime=runtime)
    clock.now = POST
    tally = await dispatcher(runtime, clock, surface, concurrency=1).run_once()
    assert tally.posted == 1 and len(surface.cards) == 1
    assert len(surface.taken_over) == 2  # both leases ran out while w1's first send was in flight
    (sent,) = card_keys(surface)
    states = {f"agenda:{i.id}": (i.state, i.locked_by) for i in await agenda(runtime)}
    assert states.pop(sent) == ("posted", None)  # the card that went out is recorded all the same
    assert list(states.values()) == [("scheduled", "w2")]  # the other one was not sent by w1
