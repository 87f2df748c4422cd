"""One-time claims (``StoredClaims``) on SQLite and PostgreSQL: a key is won once, by one of any number of
claimants racing for it, and the record of claims whose time is over is pruned so that it stays bounded."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from adapters.runtime import Runtime
from bot.services.claims import CLOCK_MARGIN, PRUNE_EVERY, StoredClaims
from bot.storage.models import OneTimeClaim
from tests.support.clock import FakeClock

WEEK = timedelta(days=7)
KEY = "teams:72f988bf-86f1-41af-91ab-2d7cd011db47:file-offer:8f1c2bd4e07a9c3f5a6b71d2"


def claims(runtime: Runtime, clock: FakeClock) -> StoredClaims:
    return StoredClaims(sessions=runtime.sessions, clock=clock)


async def kept(runtime: Runtime) -> set[str]:
    async with runtime.sessions() as session:
        return set(await session.scalars(select(OneTimeClaim.key)))


async def test_a_key_is_claimed_once_whoever_claims_it_again(runtime: Runtime, clock: FakeClock) -> None:
    first, other_process = claims(runtime, clock), claims(runtime, clock)
    assert await first.claim(KEY, until=clock.now + WEEK) is True
    assert await first.claim(KEY, until=clock.now + WEEK) is False
    assert await other_process.claim(KEY, until=clock.now + WEEK) is False
    assert await other_process.claim(KEY + "x", until=clock.now + WEEK) is True


async def test_of_claims_racing_for_one_key_exactly_one_wins(runtime: Runtime, clock: FakeClock) -> None:
    processes = [claims(runtime, clock) for _ in range(4)]
    won = await asyncio.gather(*(processes[n % 4].claim(KEY, until=clock.now + WEEK) for n in range(12)))
    assert won.count(True) == 1
    assert await kept(runtime) == {KEY}


async def test_claims_whose_time_is_over_are_pruned_and_the_rest_kept(runtime: Runtime, clock: FakeClock) -> None:
    store = claims(runtime, clock)
    await store.claim("offer:short", until=clock.now + timedelta(days=1))
    await store.claim("offer:long", until=clock.now + WEEK)
    clock.advance(timedelta(days=1) + CLOCK_MARGIN / 2)  # over, but within the margin other clocks may need
    await store.claim("offer:later", until=clock.now + WEEK)
    assert await kept(runtime) == {"offer:short", "offer:long", "offer:later"}

    clock.advance(CLOCK_MARGIN + PRUNE_EVERY)
    await store.claim("offer:latest", until=clock.now + WEEK)  # an hour on: this claim prunes
    assert await kept(runtime) == {"offer:long", "offer:later", "offer:latest"}
    assert await store.claim("offer:long", until=clock.now + WEEK) is False  # still in its time: still used


async def test_the_record_stays_bounded_by_the_claims_still_in_their_time(runtime: Runtime, clock: FakeClock) -> None:
    store = claims(runtime, clock)
    for day in range(30):
        await store.claim(f"offer:{day}", until=clock.now + WEEK)
        clock.advance(timedelta(days=1))
    await store.claim("offer:today", until=clock.now + WEEK)
    # Offers of the last week (and the margin) are kept; older ones are gone.
    assert await kept(runtime) == {f"offer:{day}" for day in range(23, 30)} | {"offer:today"}


async def test_asking_whether_a_key_was_claimed_claims_nothing(runtime: Runtime, clock: FakeClock) -> None:
    store, other_process = claims(runtime, clock), claims(runtime, clock)
    assert await other_process.claimed(KEY) is False
    assert await kept(runtime) == set()
    assert await store.claim(KEY, until=clock.now + WEEK) is True
    assert await other_process.claimed(KEY) is True
    assert await other_process.claimed(KEY + "x") is False
