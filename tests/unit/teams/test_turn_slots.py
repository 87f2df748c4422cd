"""A Teams message's core call takes a turn slot and, while it runs, counts as a request someone waits on."""

from __future__ import annotations

import contextlib

import pytest

from adapters.http.foreground import Foreground
from adapters.http.overload import Busy
from adapters.teams.endpoint import CONCURRENT_TURNS, TurnSlots


async def test_a_core_call_counts_as_answered_in_the_foreground_only_while_it_runs() -> None:
    foreground = Foreground()
    turns = TurnSlots(foreground)
    assert foreground.serving == 0
    async with turns.work():
        assert foreground.serving == 1
        async with turns.work():
            assert foreground.serving == 2
        assert foreground.serving == 1
    assert foreground.serving == 0


async def test_with_every_slot_taken_a_core_call_is_busy_past_the_bound_and_is_not_counted() -> None:
    foreground = Foreground()
    turns = TurnSlots(foreground, wait=0.01)
    async with contextlib.AsyncExitStack() as held:
        for _ in range(CONCURRENT_TURNS):
            await held.enter_async_context(turns.backlog)
        with pytest.raises(Busy):
            async with turns.work():
                pytest.fail("no slot was free")
        assert foreground.serving == 0
    async with turns.work():
        assert foreground.serving == 1
