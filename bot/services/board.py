"""The team's board: the "Customer Moment" section a surface keeps in the channel's shared document.

The core decides what the board says (:func:`build`), as plain data for the surface to render. Every
change to a team's agenda marks its board due (:func:`mark_due`); the scheduler writes due boards
(:mod:`bot.scheduler.boards`), at most once a minute per channel, so a burst of changes costs one write.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from bot.cards import KIND_LABEL, local_time
from bot.domain.lifecycle import OPEN, AgendaState
from bot.ports import BoardStatus
from bot.replies import Board, BoardEntry, Reply, say
from bot.services.context import Context, Refused
from bot.storage.models import AgendaItem, Member, Moment, Team

logger = logging.getLogger(__name__)

PRESENTED_SHOWN = 3
SUMMARY_CHARS = 140
# Moments their people took back, sent back by a manager or back in review: never on the board (as on cards).
NOT_SHOWN = ("withdrawn", "hidden", "rejected", "pending")

# What the managers are told, once, when the board cannot be written; keyed by the outcome's status.
PROBLEMS: dict[BoardStatus, str] = {
    BoardStatus.UNSUPPORTED: (
        "{channel} is on a platform without channel canvases, so there is no Customer Moment section to keep"
        " there; `canvas off` stops me trying. Cards are posted as before."
    ),
    BoardStatus.PLAN: (
        "I can't keep the Customer Moment section in the canvas of {channel}: this workspace's plan has no"
        " channel canvases. Cards are still posted as before; `canvas off` there stops me trying."
    ),
    BoardStatus.SCOPE: (
        "I can't keep the Customer Moment section in the canvas of {channel}: the app lacks the canvas"
        " permissions. Ask a workspace admin to reinstall the app (it asks for canvases:read and canvases:write)."
        " Cards are still posted as before."
    ),
    BoardStatus.NOT_ALLOWED: (
        "I can't change the canvas of {channel}: it is not shared with me for editing. Give the app edit"
        " access to the canvas, or `canvas off` there. Cards are still posted as before."
    ),
    BoardStatus.GONE: (
        "I can't reach the canvas of {channel} any more (it was deleted, or I was removed from the channel) and"
        " could not make a new one. Add a canvas to the channel and I'll write my section into it at the next"
        " change. Cards are still posted as before."
    ),
    BoardStatus.FAILED: (
        "I couldn't update the Customer Moment section in the canvas of {channel}; I'll try again at the next"
        " change, and `canvas off` there stops me. Cards are still posted as before."
    ),
}


async def mark_due(session: AsyncSession, team_id: int, now: datetime) -> None:
    """The team's agenda changed: its board (when it has one) is to be written again.

    One conditional UPDATE, so that a change made while a writer holds the board (its lease lies in the
    future) moves it back to due and is written after that writer's, never lost."""
    known = session.identity_map.get(identity_key(Team, team_id))
    if isinstance(known, Team) and not known.canvas:
        return  # the common case costs no statement
    await session.execute(
        update(Team)
        .where(
            Team.id == team_id,
            Team.canvas.is_(True),
            or_(Team.board_due_at.is_(None), Team.board_due_at > now),
        )
        .values(board_due_at=now)
        .execution_options(synchronize_session=False)
    )


async def mark_moment(session: AsyncSession, moment_id: int, now: datetime) -> None:
    """A moment was withdrawn or hidden: the boards that show it are due."""
    for team_id in set(await session.scalars(select(AgendaItem.team_id).where(AgendaItem.moment_id == moment_id))):
        await mark_due(session, team_id, now)


async def canvas(ctx: Context, word: str) -> list[Reply]:
    """``canvas``: whether the section is kept; ``canvas on|off``: switch it (managers)."""
    choice = word.strip().lower()
    if not choice:
        team = ctx.require_team()
        state = "on" if team.canvas else "off"
        return [say(f"The Customer Moment section in this channel's canvas is {state}. Managers: `canvas on|off`.")]
    if choice not in ("on", "off"):
        raise Refused("Use `canvas on` or `canvas off`.")
    return await switch(ctx, choice == "on")


async def switch(ctx: Context, on: bool) -> list[Reply]:
    """``canvas on|off``: keep (or stop keeping) the section in this channel's canvas."""
    ctx.require_manager("switch the channel canvas on or off")
    team = ctx.require_team()
    if on and not ctx.incoming.place.canvases:
        raise Refused("This chat app has no channel canvases; the Customer Moment section is a Slack feature.")
    if team.canvas == on:
        return [say(f"The Customer Moment section in this channel's canvas is already {'on' if on else 'off'}.")]
    team.canvas, team.board_problem = on, None
    team.board_due_at = ctx.now if on else None
    logger.info("team %s: canvas %s by member %s", team.id, "on" if on else "off", ctx.member.id)
    if on:
        return [
            say(
                "I'll keep a Customer Moment section in this channel's canvas: the next meeting's moment and the"
                " last three presented. I make the canvas if there is none and change only my own section."
            )
        ]
    return [say("I'll no longer update the channel's canvas. My section stays there until someone removes it.")]


def problem_text(status: BoardStatus, channel: str) -> str | None:
    template = PROBLEMS.get(status)
    return template.format(channel=channel) if template else None


async def build(session: AsyncSession, team: Team, now: datetime) -> tuple[Board, datetime | None]:
    """What the team's board shows now: the next open meeting's moment and the last ones presented; and
    when that stops being true by itself (the next meeting starts), for the board to be written again."""
    upcoming = await session.scalar(
        select(AgendaItem)
        .where(AgendaItem.team_id == team.id, AgendaItem.state.in_(OPEN), AgendaItem.starts_at > now)
        .order_by(AgendaItem.starts_at, AgendaItem.id)
        .limit(1)
    )
    presented = list(
        await session.scalars(
            select(AgendaItem)
            .join(Moment, Moment.id == AgendaItem.moment_id)
            .where(
                AgendaItem.team_id == team.id,
                AgendaItem.state == AgendaState.PRESENTED,
                Moment.state.not_in(NOT_SHOWN),
            )
            .order_by(AgendaItem.starts_at.desc(), AgendaItem.id.desc())
            .limit(PRESENTED_SHOWN)
        )
    )
    items = ([upcoming] if upcoming is not None else []) + presented
    moment_ids = {i.moment_id for i in items if i.moment_id is not None}
    moments = {m.id: m for m in await session.scalars(select(Moment).where(Moment.id.in_(moment_ids)))}
    member_ids = {i.presenter_id for i in items if i.presenter_id is not None}
    people = {m.id: m.name for m in await session.scalars(select(Member).where(Member.id.in_(member_ids)))}

    def entry(item: AgendaItem, *, why: bool) -> BoardEntry | None:
        moment = moments.get(item.moment_id) if item.moment_id is not None else None
        if moment is None:
            return None
        when = local_time(item.starts_at, team.zone)
        if moment.state in NOT_SHOWN:
            return BoardEntry(title="The planned moment was taken back.", when=when)
        kind = KIND_LABEL.get(moment.kind, moment.kind)
        title = moment.title or kind
        summary = one_line(moment.situation if moment.title else "")
        if not moment.title:
            title = f"{kind}: {one_line(moment.situation)}" if moment.situation else kind
        presenter = people.get(item.presenter_id, "") if item.presenter_id is not None else ""
        return BoardEntry(title=title, summary=summary, presenter=presenter, why=item.reason if why else "", when=when)

    upcoming_entry = entry(upcoming, why=True) if upcoming is not None else None
    shown = Board(
        next=upcoming_entry,
        presented=tuple(e for e in (entry(i, why=False) for i in presented) if e is not None),
    )
    return shown, upcoming.starts_at if upcoming is not None else None


def one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 1] + "…"
