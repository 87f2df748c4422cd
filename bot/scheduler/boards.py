"""The scheduler's side step for boards: write each due team board through its surface, once a minute at most.

claim → render → show → record, like the cards. A claim leases the team's board to one worker: it moves
``board_due_at`` past the lease and stamps ``board_written_at``, so no other replica takes the board within
the minute (that stamp is the coalescing: a burst of agenda changes waits for one write). A change that
comes in meanwhile puts ``board_due_at`` back to now (:func:`bot.services.board.mark_due`); the writer
moves it on only when it still holds its own lease, so such a change is written next, never lost. A written
board is due again when the meeting it shows starts, so that the following one moves up by itself.

The outcome is recorded; a problem the managers must act on (no canvases on the plan, a missing scope,
a canvas the bot may not edit) is told to them once, by direct message, and cards go on being posted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.log_safety import error_summary
from bot.ports import BoardOutcome, BoardStatus, Surface
from bot.replies import Audience, Board, Reply
from bot.scheduler.notices import Outgoing, managers
from bot.services import board as boards
from bot.storage.models import Team, Workspace

logger = logging.getLogger(__name__)

EVERY = timedelta(minutes=1)  # at most one write per channel in this time
LEASE = timedelta(minutes=2)  # a worker that dies while writing leaves the board due again after this
TIMEOUT_SECONDS = 60.0

Send = Callable[[Outgoing], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DueBoard:
    team_id: int
    lease_until: datetime
    platform: str
    workspace_id: str
    channel_id: str
    channel_name: str
    board: Board
    refresh_at: datetime | None  # when the board goes out of date by itself (its next meeting starts)


async def claim(session: AsyncSession, *, now: datetime, platforms: frozenset[str], batch: int) -> list[DueBoard]:
    """Lease the boards that are due and not written in the last minute, and render them."""
    lease_until = now + LEASE
    due = (
        select(Team.id)
        .where(
            Team.canvas.is_(True),
            Team.active.is_(True),
            Team.board_due_at <= now,
            or_(Team.board_written_at.is_(None), Team.board_written_at <= now - EVERY),
            Team.workspace_id.in_(select(Workspace.id).where(Workspace.platform.in_(platforms))),
        )
        .order_by(Team.board_due_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    claimed = (
        await session.scalars(
            update(Team)
            .where(Team.id.in_(due))
            .values(board_due_at=lease_until, board_written_at=now)
            .returning(Team.id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    if not claimed:
        return []
    rows = await session.execute(
        select(Team, Workspace)
        .join(Workspace, Workspace.id == Team.workspace_id)
        .where(Team.id.in_(claimed))
        .order_by(Team.id)
        .execution_options(populate_existing=True)
    )
    found: list[DueBoard] = []
    for team, workspace in rows.all():
        board, refresh_at = await boards.build(session, team, now)
        place = (workspace.platform, workspace.external_id, team.external_id, team.name)
        found.append(DueBoard(team.id, lease_until, *place, board, refresh_at))
    return found


async def record(session: AsyncSession, due: DueBoard, outcome: BoardOutcome, *, now: datetime) -> Outgoing | None:
    """Store how the write went; returns the managers' message when they are to be told of a problem."""
    held = Team.board_due_at == due.lease_until  # still our lease: no change came in while writing
    if outcome.status is BoardStatus.RETRY:
        again = now + timedelta(seconds=max(outcome.retry_after or 0.0, 0.0))
        await session.execute(
            update(Team)
            .where(Team.id == due.team_id)
            .values(board_due_at=case((held, again), else_=Team.board_due_at))
            .execution_options(synchronize_session=False)
        )
        logger.info("team %s: board write will be retried (%s)", due.team_id, outcome.detail)
        return None
    problem = None if outcome.status is BoardStatus.WRITTEN else outcome.status.value
    team = await session.get(Team, due.team_id, with_for_update=True, populate_existing=True)
    if team is None:
        return None
    told = team.board_problem
    # Written: due again when its next meeting starts (it then shows the one after). Refused: at the next change.
    refresh = due.refresh_at if problem is None and due.refresh_at is not None else null()
    await session.execute(
        update(Team)
        .where(Team.id == due.team_id)
        .values(board_due_at=case((held, refresh), else_=Team.board_due_at), board_problem=problem)
        .execution_options(synchronize_session=False)
    )
    if problem is None:
        logger.info("team %s: board written", due.team_id)
        return None
    logger.warning("team %s: board not written: %s (%s)", due.team_id, problem, outcome.detail)
    text = boards.problem_text(outcome.status, due.channel_name or "your channel")
    if told == problem or text is None:
        return None  # they were told already
    people = await managers(session, team)
    replies = tuple(Reply(text=text, audience=Audience.DIRECT, to_member=m.external_id) for m in people)
    return Outgoing(due.platform, due.workspace_id, None, replies) if replies else None


async def refresh(
    *,
    sessions: async_sessionmaker[AsyncSession],
    surfaces: Mapping[str, Surface],
    clock: Callable[[], datetime],
    send: Send,
    batch: int = 20,
) -> int:
    """Write the due boards; returns how many were tried. Never raises: boards must not stop the cards."""
    try:
        async with sessions.begin() as session:
            due = await claim(session, now=clock(), platforms=frozenset(surfaces), batch=batch)
        for entry in due:
            outcome = await _show(surfaces[entry.platform], entry)
            async with sessions.begin() as session:
                message = await record(session, entry, outcome, now=clock())
            if message is not None:
                await send(message)
        return len(due)
    except Exception as exc:
        logger.error("board pass failed; trying again on a later pass: %s", error_summary(exc))
        return 0


async def _show(surface: Surface, entry: DueBoard) -> BoardOutcome:
    try:
        return await asyncio.wait_for(
            surface.show_board(workspace_id=entry.workspace_id, channel_id=entry.channel_id, board=entry.board),
            timeout=TIMEOUT_SECONDS,
        )
    except TimeoutError:
        return BoardOutcome(BoardStatus.RETRY, detail="timeout")
    except Exception as exc:
        # Not a passing trouble the surface recognised: retrying every minute would not help. Told once,
        # tried again at the team's next change.
        logger.error("team %s: board write failed unexpectedly: %s", entry.team_id, error_summary(exc))
        return BoardOutcome(BoardStatus.FAILED, detail=type(exc).__name__)
