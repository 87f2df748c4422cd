"""The claimed cards of a pass, loaded and rendered together right after the claim.

One statement reads the claimed items with their teams, workspaces and series; the cards are
rendered with a few more for the whole batch (:func:`bot.services.agenda_card.render_many`). An item that
cannot simply be posted — its team or series stopped, its meeting started, or it has no moment yet —
comes back without a card, and the dispatcher settles it in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.lifecycle import SeriesState
from bot.replies import Reply, agenda_key
from bot.services import agenda_card
from bot.storage.models import AgendaItem, MeetingSeries, Team, Workspace


@dataclass(frozen=True, slots=True)
class Claimed:
    """What the dispatcher needs to post one claimed card, read when it was claimed."""

    item_id: int
    attempts: int
    due: datetime
    claimed_at: datetime
    platform: str = ""
    workspace_id: str = ""
    channel_id: str = ""
    reply: Reply | None = None  # None: to be settled first (cancelled, missed, or no moment yet)

    @property
    def key(self) -> str:
        return agenda_key(self.item_id)


def claimed(item: AgendaItem, team: Team, workspace: Workspace, *, reply: Reply, claimed_at: datetime) -> Claimed:
    return Claimed(
        item_id=item.id,
        attempts=item.attempts,
        due=item.post_at,
        claimed_at=claimed_at,
        platform=workspace.platform,
        workspace_id=workspace.external_id,
        channel_id=team.external_id,
        reply=reply,
    )


def _postable(item: AgendaItem, team: Team | None, series_state: SeriesState | None, now: datetime) -> bool:
    if team is None or not team.active or item.moment_id is None or item.starts_at <= now:
        return False
    return item.series_id is None or series_state == SeriesState.ACTIVE


async def load(session: AsyncSession, ids: Sequence[int], *, now: datetime) -> list[Claimed]:
    """The claimed items ``ids`` (in that order), each with its rendered card when it can be posted as is."""
    if not ids:
        return []
    rows = (
        await session.execute(
            select(AgendaItem, Team, Workspace, MeetingSeries.state)
            .outerjoin(Team, Team.id == AgendaItem.team_id)
            .outerjoin(Workspace, Workspace.id == AgendaItem.workspace_id)
            .outerjoin(MeetingSeries, MeetingSeries.id == AgendaItem.series_id)
            .where(AgendaItem.id.in_(ids))
        )
    ).all()
    found = {item.id: (item, team, workspace, state) for item, team, workspace, state in rows}
    ready = [
        (item, team)
        for item, team, workspace, state in found.values()
        if team is not None and workspace is not None and _postable(item, team, state, now)
    ]
    cards = await agenda_card.render_many(session, ready)
    result: list[Claimed] = []
    for item_id in ids:
        if item_id not in found:
            continue  # deleted since the claim (with its team): nothing to post
        item, team, workspace, _ = found[item_id]
        card = cards.get(item_id)
        if card is None or team is None or workspace is None:
            result.append(Claimed(item_id=item.id, attempts=item.attempts, due=item.post_at, claimed_at=now))
        else:
            reply = agenda_card.channel_card(item, team, card)
            result.append(claimed(item, team, workspace, reply=reply, claimed_at=now))
    return result
