"""Where a surface posted a keyed message — an agenda item's card, a shout-out's announcement — kept so
that later changes update that message in place."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.replies import agenda_id
from bot.services.announcements import moment_id_of
from bot.storage.models import AgendaItem, Moment


async def remember_post(session: AsyncSession, workspace_id: int, key: str, ref: dict[str, Any]) -> None:
    """Store ``ref`` on what ``key`` names, if it is of ``workspace_id``; a key naming nothing known is ignored."""
    record: AgendaItem | Moment | None = None
    if (item_id := agenda_id(key)) is not None:
        record = await session.get(AgendaItem, item_id)
    elif (moment_id := moment_id_of(key)) is not None:
        record = await session.get(Moment, moment_id)
    if record is not None and record.workspace_id == workspace_id:
        record.post_ref = dict(ref)
