"""An agenda item's card: what it shows (its moment, presenter, helpful votes and meeting pool), the reply that
carries it to the channel, and where a surface posted it so that later changes update it in place."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import cards
from bot.domain.lifecycle import AgendaState
from bot.replies import Audience, Card, MessageKey, Reply, agenda_key
from bot.services import pools, views
from bot.storage.models import AgendaItem, Member, Moment, Recipient, Team, Vote

_Row = TypeVar("_Row", Moment, Member)


def message_key(item: AgendaItem) -> MessageKey:
    return MessageKey(agenda_key(item.id), item.post_ref)


async def render(session: AsyncSession, item: AgendaItem, team: Team) -> Card:
    return (await render_many(session, [(item, team)]))[item.id]


# What the cards of several agenda items show besides the items: their moments' recipients still shown, and
# the helpful votes per item.
_RECIPIENTS = (
    select(Recipient.moment_id, Member)
    .join(Member, Member.id == Recipient.member_id)
    .where(Recipient.moment_id.in_(bindparam("moment_ids", expanding=True)), Recipient.hidden.is_(False))
    .order_by(Member.name)
)
_VOTES = (
    select(Vote.agenda_item_id, func.count())
    .where(Vote.agenda_item_id.in_(bindparam("item_ids", expanding=True)))
    .group_by(Vote.agenda_item_id)
)
_MOMENTS = select(Moment).where(Moment.id.in_(bindparam("ids", expanding=True)))
_MEMBERS = select(Member).where(Member.id.in_(bindparam("ids", expanding=True)))


async def render_many(session: AsyncSession, items: Sequence[tuple[AgendaItem, Team]]) -> dict[int, Card]:
    """The cards of several agenda items (by item id), with a few statements for all of them."""
    moment_ids = {item.moment_id for item, _ in items if item.moment_id is not None}
    moments = await _by_id(session, _MOMENTS, moment_ids)
    member_ids = {m.author_id for m in moments.values() if m.author_id is not None}
    member_ids |= {item.presenter_id for item, _ in items if item.presenter_id is not None}
    members = await _by_id(session, _MEMBERS, member_ids)
    recipients: dict[int, list[Member]] = defaultdict(list)
    recognised = [m.id for m in moments.values() if m.library_key is None]  # library exercises recognise nobody
    if recognised:
        for moment_id, member in await session.execute(_RECIPIENTS, {"moment_ids": recognised}):
            recipients[moment_id].append(member)
    votes: dict[int, int] = {
        item_id: count for item_id, count in await session.execute(_VOTES, {"item_ids": [item.id for item, _ in items]})
    }
    meeting_pools = await pools.card_pools(session, [item.id for item, _ in items])
    cards_by_id: dict[int, Card] = {}
    for item, team in items:
        moment = moments.get(item.moment_id) if item.moment_id is not None else None
        author = members.get(moment.author_id) if moment is not None and moment.author_id is not None else None
        shown = (
            views.moment_view(moment, author=author, recipients=recipients.get(moment.id, []))
            if moment is not None
            else None
        )
        cards_by_id[item.id] = cards.agenda_card(
            views.agenda_view(
                item,
                zone=team.zone,
                moment=shown,
                presenter=members.get(item.presenter_id) if item.presenter_id is not None else None,
                helpful=votes.get(item.id, 0),
                meeting_pool=meeting_pools.get(item.id),
            )
        )
    return cards_by_id


async def _by_id(session: AsyncSession, rows: Select[_Row], ids: set[int]) -> dict[int, _Row]:
    if not ids:
        return {}
    return {row.id: row for row in await session.scalars(rows, {"ids": list(ids)})}


async def card_reply(session: AsyncSession, item: AgendaItem, team: Team) -> Reply:
    return channel_card(item, team, await render(session, item, team))


def in_channel(item: AgendaItem) -> bool:
    """Whether the item's card is in the channel (a scheduled one waits for its post time)."""
    return item.post_ref is not None or item.state != AgendaState.SCHEDULED


def channel_card(item: AgendaItem, team: Team, card: Card) -> Reply:
    return Reply(card=card, audience=Audience.CHANNEL, to_team=team.external_id, message=message_key(item))
