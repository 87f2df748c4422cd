"""What the cards show, read from the database's rows into the plain data :mod:`bot.cards` renders."""

from __future__ import annotations

from collections.abc import Sequence

from bot.cards import AgendaView, MomentView
from bot.storage.models import AgendaItem, Member, Moment

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
    )


def agenda_view(
    item: AgendaItem, *, zone: str, moment: MomentView | None, presenter: Member | None, helpful: int
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
    )
