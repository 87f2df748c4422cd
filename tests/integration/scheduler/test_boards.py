"""Team boards over a real database: what they show, one writer at a time, no change lost, problems told once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from adapters.runtime import Runtime
from bot.ports import BoardOutcome, BoardStatus
from bot.replies import Board
from bot.scheduler import boards
from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.notices import Outgoing
from bot.storage.models import Moment, Team
from tests.support.clock import FakeClock
from tests.support.events import said
from tests.support.fake_surface import RecordingSurface

MEETING = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POST = MEETING - timedelta(minutes=30)


async def no_sleep(_seconds: float) -> None:
    return None


def dispatcher(runtime: Runtime, clock: FakeClock, surface: RecordingSurface, worker: str = "w1") -> Dispatcher:
    return Dispatcher(
        sessions=runtime.sessions, surfaces={"console": surface}, clock=clock, worker=worker, sleep=no_sleep
    )


async def run(runtime: Runtime, text: str, actor: str = "alice") -> str:
    replies = await runtime.core.handle(said(text, actor, canvases=True))
    return " ".join(r.text for r in replies)


async def set_up(runtime: Runtime) -> None:
    await run(runtime, "story Parcel lost twice | Rebooked it | Call first")
    await run(runtime, "canvas on")
    await run(runtime, "story Invoice wrong | Fixed it | Check twice")
    await run(runtime, "request in 30m")


async def team(runtime: Runtime) -> Team:
    async with runtime.sessions() as session:
        found = await session.scalar(select(Team))
        assert found is not None
        return found


async def test_the_board_shows_the_next_moment_and_the_last_three_presented(runtime: Runtime, clock: FakeClock) -> None:
    await run(runtime, "canvas on")
    surface = RecordingSurface()
    worker = dispatcher(runtime, clock, surface)
    for n in range(5):
        await run(runtime, f"story Story number {n} went well | Helped | Listen")
        await run(runtime, "request in 30m")
        await run(runtime, "done")
        clock.advance(timedelta(hours=1))
    await run(runtime, "request in 30m")
    await worker.run_once()
    [(_, channel, board)] = surface.boards
    assert channel == "support" and board.title == "Customer Moment"
    assert board.next is not None and board.next.when == "Mon 23 Nov 14:30 UTC"
    assert board.next.title and board.next.why
    assert [entry.when for entry in board.presented] == [f"Mon 23 Nov {h}:30 UTC" for h in (13, 12, 11)]
    assert all(entry.title and not entry.why for entry in board.presented)


async def test_a_withdrawn_moment_leaves_the_board(runtime: Runtime, clock: FakeClock) -> None:
    await run(runtime, "story Secret escalation | Handled | Stay calm")
    await run(runtime, "canvas on")
    await run(runtime, "request in 30m")
    surface = RecordingSurface()
    worker = dispatcher(runtime, clock, surface)
    await worker.run_once()
    moment = surface.boards[-1][2].next
    assert moment is not None and "Secret escalation" in moment.title
    async with runtime.sessions() as session:
        moment_id = await session.scalar(select(Moment.id).where(Moment.situation.contains("Secret")))
    await run(runtime, f"withdraw {moment_id}")
    clock.advance(timedelta(minutes=1))
    await worker.run_once()
    shown = surface.boards[-1][2]
    assert shown.next is None or "Secret escalation" not in shown.next.title  # another moment, or none


async def test_two_replicas_never_write_one_board_at_once(runtime: Runtime, clock: FakeClock) -> None:
    await set_up(runtime)
    gate = asyncio.Event()

    class Slow(RecordingSurface):
        async def show_board(self, *, workspace_id: str, channel_id: str, board: Board) -> BoardOutcome:
            await gate.wait()
            return await super().show_board(workspace_id=workspace_id, channel_id=channel_id, board=board)

    first, second = Slow(), RecordingSurface()
    sent: list[Outgoing] = []

    async def send(message: Outgoing) -> None:
        sent.append(message)

    async def refresh(surface: RecordingSurface) -> int:
        return await boards.refresh(sessions=runtime.sessions, surfaces={"console": surface}, clock=clock, send=send)

    writing = asyncio.create_task(refresh(first))
    await asyncio.sleep(0.05)
    assert await refresh(second) == 0  # held by the first replica
    await run(runtime, "swap")  # a change while the first one writes
    gate.set()
    assert await writing == 1
    clock.advance(timedelta(seconds=30))
    assert await refresh(second) == 0  # once a minute
    clock.advance(timedelta(seconds=30))
    assert await refresh(second) == 1  # the change made during the write is not lost
    assert (await team(runtime)).board_due_at == clock() - timedelta(minutes=1) + timedelta(minutes=30)  # its start


async def test_the_board_moves_on_by_itself_when_its_meeting_starts(runtime: Runtime, clock: FakeClock) -> None:
    await set_up(runtime)
    surface = RecordingSurface()
    worker = dispatcher(runtime, clock, surface)
    await worker.run_once()
    assert surface.boards[-1][2].next is not None
    clock.advance(timedelta(minutes=29))
    await worker.run_once()
    assert len(surface.boards) == 1
    clock.advance(timedelta(minutes=1))
    await worker.run_once()
    assert len(surface.boards) == 2 and surface.boards[-1][2].next is None
    clock.advance(timedelta(hours=1))
    await worker.run_once()
    assert len(surface.boards) == 2


async def test_a_dead_writer_leaves_the_board_due_after_its_lease(runtime: Runtime, clock: FakeClock) -> None:
    await set_up(runtime)
    async with runtime.sessions.begin() as session:
        assert len(await boards.claim(session, now=clock(), platforms=frozenset({"console"}), batch=10)) == 1
    surface = RecordingSurface()
    worker = dispatcher(runtime, clock, surface)
    clock.advance(timedelta(minutes=1))
    await worker.run_once()
    assert surface.boards == []
    clock.advance(boards.LEASE)
    await worker.run_once()
    assert len(surface.boards) == 1


async def test_a_problem_is_told_once_and_again_after_it_was_solved(runtime: Runtime, clock: FakeClock) -> None:
    await run(runtime, "story Parcel lost twice | Rebooked it | Call first")
    await run(runtime, "story Invoice wrong | Fixed it | Check twice")
    await run(runtime, "canvas on")
    await run(runtime, "request in 30m")
    plan = BoardOutcome(BoardStatus.PLAN, detail="team_tier_cannot_create_channel_canvases")
    surface = RecordingSurface(board_outcomes=[plan, plan, BoardOutcome(BoardStatus.WRITTEN), plan])
    worker = dispatcher(runtime, clock, surface)

    async def pass_after_a_change(text: str) -> Sequence[str]:
        await run(runtime, text)
        clock.advance(timedelta(minutes=1))
        await worker.run_once()
        return [p.reply.text for p in surface.direct if "canvas" in p.reply.text]

    await worker.run_once()
    assert len([p for p in surface.direct if "canvas" in p.reply.text]) == 1
    assert len(await pass_after_a_change("swap")) == 1  # the same problem again: not told twice
    assert len(await pass_after_a_change("swap")) == 1  # written: the problem is over
    assert len(await pass_after_a_change("skip")) == 2  # it came back: told again


async def test_a_chat_app_without_channel_canvases_is_told_so_and_nothing_is_switched_on(runtime: Runtime) -> None:
    replies = await runtime.core.handle(said("canvas on"))  # the console, as Teams: no channel canvases
    assert "no channel canvases" in " ".join(r.text for r in replies)
    async with runtime.sessions() as session:
        assert not any(team.canvas for team in await session.scalars(select(Team)))
