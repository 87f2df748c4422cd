"""Work that can wait gives way to requests someone is waiting on, but never for longer than allowed."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from adapters.http.foreground import Foreground
from adapters.http.inflight import Inflight, off_slack_clock
from adapters.http.overload import Busy


async def test_calm_returns_at_once_while_fewer_than_busy_requests_are_answered() -> None:
    foreground = Foreground(busy=2, max_wait=5.0)
    with foreground.answering():
        started = time.monotonic()
        await foreground.calm()
        assert time.monotonic() - started < 0.5
        assert foreground.serving == 1
    assert foreground.serving == 0


async def test_calm_waits_until_the_process_is_no_longer_busy() -> None:
    foreground = Foreground(busy=2, max_wait=5.0)
    done = asyncio.Event()
    with contextlib.ExitStack() as answering:
        answering.enter_context(foreground.answering())
        answering.enter_context(foreground.answering())
        waiter = asyncio.create_task(foreground.calm())
        waiter.add_done_callback(lambda _task: done.set())
        await asyncio.sleep(0.05)
        assert not done.is_set()  # two requests in flight: the waiting work holds back
    await asyncio.wait_for(waiter, timeout=1)  # one finished: below ``busy`` again


async def test_calm_gives_up_waiting_after_max_wait() -> None:
    foreground = Foreground(busy=1, max_wait=0.1)
    with foreground.answering():
        started = time.monotonic()
        await foreground.calm()
        assert 0.09 <= time.monotonic() - started < 1.0


async def test_work_after_an_ack_starts_once_the_acks_in_flight_are_answered() -> None:
    foreground = Foreground(busy=1, max_wait=5.0)
    inflight = Inflight(limit=4, foreground=foreground)
    ran: list[str] = []

    async def background() -> None:
        async with inflight.tracked(), inflight.work():
            ran.append("background")

    with inflight.acknowledging():
        task = asyncio.create_task(background())
        await asyncio.sleep(0.05)
        assert ran == []
        ran.append("ack")
    await asyncio.wait_for(task, timeout=1)
    assert ran == ["ack", "background"]
    assert await inflight.idle(1)


async def test_a_modal_submission_never_queues_behind_other_requests() -> None:
    foreground = Foreground(busy=1, max_wait=5.0)
    inflight = Inflight(limit=1, foreground=foreground)

    async def submission() -> None:
        async with inflight.tracked():
            pass

    with inflight.acknowledging():
        await asyncio.wait_for(submission(), timeout=0.5)  # entered at once, though the process is busy


async def test_a_slot_is_free_again_while_its_answer_is_sent() -> None:
    inflight = Inflight(limit=1, foreground=Foreground(), wait=0.01)
    async with inflight.tracked():
        async with inflight.work():
            pass
        with inflight.on_slack():
            async with inflight.work():  # the next answer's work, while the first is still on its way
                pass


async def test_work_an_acknowledgement_waits_for_waits_for_a_slot_only_as_long_as_the_acknowledgement_can() -> None:
    inflight = Inflight(limit=1, foreground=Foreground(busy=1, max_wait=5.0), wait=5.0)
    ran: list[str] = []

    async def command(within: float) -> None:
        async with inflight.work(acknowledged_within=within):
            ran.append(f"within {within}")

    async with inflight.work():
        started = time.monotonic()
        with pytest.raises(Busy):  # every slot taken, and only a free one will do
            await command(0.0)
        assert time.monotonic() - started < 1.0, "shed at once, not after the answers' bound"
        started = time.monotonic()
        with pytest.raises(Busy):
            await command(0.05)
        assert 0.04 <= time.monotonic() - started < 1.0, "shed once the acknowledgement can wait no longer"
        waiting = asyncio.create_task(command(5.0))
        await asyncio.sleep(0.01)
        assert ran == []
    await asyncio.wait_for(waiting, 1)  # the slot came free in time
    assert ran == ["within 5.0"]


async def test_work_an_acknowledgement_waits_for_waits_no_longer_than_any_answer() -> None:
    inflight = Inflight(limit=1, foreground=Foreground(busy=1, max_wait=5.0), wait=0.05)

    async with inflight.work():
        started = time.monotonic()
        with pytest.raises(Busy):
            async with inflight.work(acknowledged_within=5.0):
                pass
        assert time.monotonic() - started < 1.0, "the answers' bound caps the acknowledgement's wait"


async def test_work_an_acknowledgement_waits_for_does_not_give_way_to_acknowledgements() -> None:
    foreground = Foreground(busy=1, max_wait=5.0)
    inflight = Inflight(limit=1, foreground=foreground, wait=5.0)
    told: list[str] = []

    async def command() -> None:
        async with inflight.work(acknowledged_within=0.4):
            told.append("command ran")

    async def press() -> None:
        async with inflight.work():
            told.append("press ran")

    with inflight.acknowledging():  # requests someone waits on are being answered: the process is busy
        await asyncio.wait_for(command(), 1)  # its answer is one of them: it runs at once
        giving_way = asyncio.create_task(press())
        await asyncio.sleep(0.01)
        assert told == ["command ran"], "a press's answer, sent after its acknowledgement, gives way"
    await asyncio.wait_for(giving_way, 1)
    assert told == ["command ran", "press ran"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_while_many_answers_wait_on_slack_past_the_bound_new_work_is_busy_at_once() -> None:
    clock = Clock()
    inflight = Inflight(limit=4, foreground=Foreground(), slow_calls=2, wait=1.0, clock=clock)
    with inflight.on_slack(), inflight.on_slack():
        async with inflight.work():  # on their way, but not for long: Slack keeps up
            pass
        clock.now += 1.5
        with pytest.raises(Busy):
            inflight.admit()  # before an answer's lookups in Slack
        with pytest.raises(Busy):
            async with inflight.work():
                pytest.fail("started while Slack is slow to accept what is being sent")
    async with inflight.work():  # the sends are done: work starts again
        pass


async def test_many_quick_sends_or_one_slow_send_do_not_make_work_busy() -> None:
    clock = Clock()
    inflight = Inflight(limit=4, foreground=Foreground(), slow_calls=3, wait=1.0, clock=clock)
    with inflight.on_slack():  # one answer Slack is slow to take
        clock.now += 5.0
        with inflight.on_slack(), inflight.on_slack(), inflight.on_slack():  # and more, being taken quickly
            assert not inflight.congested()
            async with inflight.work():
                pass


async def test_idle_waits_for_a_task_that_is_tracked_again_after_its_last_block_ended() -> None:
    """A shed answer leaves its tracked block and, without yielding, enters another to send its busy answer:
    shutdown, waiting meanwhile, must wait for that one too."""
    inflight = Inflight(limit=1, foreground=Foreground())
    shed, release = asyncio.Event(), asyncio.Event()
    sent: list[str] = []

    async def shed_answer() -> None:
        async with inflight.tracked():
            await shed.wait()
        async with inflight.tracked():  # the busy answer
            await release.wait()
            sent.append("busy")

    task = asyncio.create_task(shed_answer())
    await asyncio.sleep(0)
    waiting = asyncio.create_task(inflight.idle(5))
    await asyncio.sleep(0.01)  # shutdown is waiting now
    shed.set()
    await asyncio.sleep(0.05)
    assert not waiting.done(), "the busy answer is still being sent"
    release.set()
    assert await waiting and sent == ["busy"]
    await task


async def test_a_wait_slack_asked_for_is_off_the_clock_and_the_call_waits_anew_after_it() -> None:
    clock = Clock()
    inflight = Inflight(limit=4, foreground=Foreground(), slow_calls=1, wait=1.0, clock=clock)
    with inflight.on_slack():
        with off_slack_clock():  # Retry-After
            clock.now += 5.0
            assert not inflight.congested()
        assert not inflight.congested(), "waiting on Slack again from now"
        clock.now += 1.5
        assert inflight.congested()
    assert not inflight.congested()
    with off_slack_clock():  # outside an answer's call to Slack: nothing to take off the clock
        pass


async def test_a_wait_ending_after_its_call_ended_leaves_nothing_on_the_clock() -> None:
    """A task started inside an answer's call to Slack inherits it; told to wait after the call ended, it must
    not put the call back: such calls would count as waiting on Slack forever."""
    clock = Clock()
    inflight = Inflight(limit=4, foreground=Foreground(), slow_calls=1, wait=1.0, clock=clock)
    release = asyncio.Event()

    async def outliving() -> None:
        with off_slack_clock():
            await release.wait()

    with inflight.on_slack():
        task = asyncio.create_task(outliving())
        await asyncio.sleep(0)
    release.set()
    await task
    clock.now += 5.0
    assert not inflight.congested()


async def test_follow_up_work_waits_for_a_slot_past_the_bound_and_is_never_busy() -> None:
    """Drawing the Home tab again after a press's work: that work is done, so its follow-up is not shed."""
    inflight = Inflight(limit=1, foreground=Foreground(), wait=0.01)
    release = asyncio.Event()
    done: list[str] = []

    async def holder() -> None:
        async with inflight.work():
            await release.wait()

    async def follower() -> None:
        async with inflight.follow_up():
            done.append("drawn")

    held = asyncio.create_task(holder())
    await asyncio.sleep(0)
    following = asyncio.create_task(follower())
    await asyncio.sleep(0.05)  # five times the bound
    assert not following.done() and inflight.working == 1
    release.set()
    await asyncio.gather(held, following)
    assert done == ["drawn"] and inflight.working == 0
