"""When the scheduler next has something to do: the earliest preparation, post or retry still ahead.

A clock that is moved by hand (the console's simulated clock) steps through these times in order, so that
each card, reminder and notice happens at its own time, exactly as a worker running in real time would do it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.lifecycle import AgendaState, SeriesState
from bot.storage.models import AgendaItem, MeetingSeries, Workspace

LEASE_RUN_OUT = timedelta(milliseconds=1)  # past a lease's end, as the databases keep microseconds


async def next_due(session: AsyncSession, *, platforms: frozenset[str]) -> datetime | None:
    """The earliest time at which a pass of the scheduler would find work, or None when nothing is planned.

    A series is due at its next preparation; a card at its post time, or once the lease or retry delay
    holding it has run out, whichever is later. A claim takes a lease only after its ``locked_until``
    (strictly), so such a card is due a moment after that.
    """
    on_platforms = select(Workspace.id).where(Workspace.platform.in_(platforms))
    scheduled = (AgendaItem.state == AgendaState.SCHEDULED, AgendaItem.workspace_id.in_(on_platforms))
    candidates: list[Select[Any]] = [
        select(MeetingSeries.next_prepare_at)
        .where(
            MeetingSeries.state == SeriesState.ACTIVE,
            MeetingSeries.next_prepare_at.is_not(None),
            MeetingSeries.workspace_id.in_(on_platforms),
        )
        .order_by(MeetingSeries.next_prepare_at),
        select(AgendaItem.post_at)
        .where(*scheduled, (AgendaItem.locked_until.is_(None)) | (AgendaItem.locked_until < AgendaItem.post_at))
        .order_by(AgendaItem.post_at),
        select(AgendaItem.locked_until)
        .where(*scheduled, AgendaItem.locked_until >= AgendaItem.post_at)
        .order_by(AgendaItem.locked_until),
    ]
    prepare, post, held = [await session.scalar(query.limit(1)) for query in candidates]
    if held is not None:
        held += LEASE_RUN_OUT
    return min((t for t in (prepare, post, held) if t is not None), default=None)
