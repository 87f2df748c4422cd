"""What the cards show, read from the database's rows into the plain data :mod:`bot.cards` renders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cards import AgendaView, MeetingPool, MomentView, featured_note
from bot.domain.lifecycle import COUNTED, Outcome
from bot.storage import reads
from bot.storage.models import AgendaItem, Featuring, Member, Moment, Team
from bot.storage.parts import one_of

# The columns a moment's one-line summary reads (``cards.moment_line``), for statements that need nothing else.
MOMENT_LINE = (Moment.id, Moment.kind, Moment.state, Moment.title, Moment.situation)


def moment_view(moment: Moment, *, author: Member | None = None, recipients: Sequence[Member] = ()) -> MomentView:
    return MomentView(
        id=moment.id,
        kind=moment.kind,
        state=moment.state,
        title=moment.title,
        situation=moment.situation,
        action=moment.action,
        reaction=moment.reaction,
        lesson=moment.lesson,
        steps=tuple(moment.steps or ()),
        minutes=moment.minutes,
        tags=tuple(moment.tags or ()),
        nps=moment.nps,
        anonymous=moment.anonymous,
        from_library=moment.library_key is not None,
        author=author.name if author is not None else None,
        recipients=tuple(member.name for member in recipients),
        private=moment.private,
    )


def agenda_view(
    item: AgendaItem,
    *,
    zone: str,
    moment: MomentView | None,
    presenter: Member | None,
    helpful: int,
    meeting_pool: MeetingPool | None = None,
) -> AgendaView:
    return AgendaView(
        id=item.id,
        state=item.state,
        starts_at=item.starts_at,
        zone=zone,
        reason=item.reason,
        moment=moment,
        presenter=presenter.name if presenter is not None else None,
        helpful=helpful,
        meeting_pool=meeting_pool,
    )


_FEATURED = (
    select(Featuring.moment_id, Featuring.outcome, AgendaItem.starts_at, Team.zone)
    .join(AgendaItem, AgendaItem.id == Featuring.agenda_item_id)
    .join(Team, Team.id == AgendaItem.team_id)
    .where(Featuring.moment_id.in_(bindparam("moment_ids", expanding=True)), one_of(Featuring.outcome, COUNTED))
    .order_by(AgendaItem.starts_at, Featuring.id)
)


async def featured_notes(session: AsyncSession, moment_ids: Collection[int]) -> dict[int, list[str]]:
    """For each moment, when it was featured (presented, or picked for a meeting still ahead), oldest first,
    in the local time of the channel that featured it. One statement for all of them."""
    notes: dict[int, list[str]] = defaultdict(list)
    if not moment_ids:
        return notes
    rows = await reads.rows(session, _FEATURED, {"moment_ids": list(moment_ids)})
    for moment_id, outcome, starts_at, zone in rows:
        notes[moment_id].append(featured_note(starts_at, zone, presented=outcome == Outcome.PRESENTED))
    return notes
