"""A shout-out's announcement in its team's channel: posted keyed, and kept true of the shout-out afterwards.

Withdrawn means gone everywhere and private means only the people named: when a shout-out may no longer be
shown in the channel (withdrawn, hidden by everyone it recognises, made private, back in review), its
announcement is updated in place to a line that names nothing of it; when one of several recipients hides
it, the announcement is drawn again naming only the others; an edit shows the new words.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import cards
from bot.domain.lifecycle import OPEN
from bot.replies import Audience, Card, MessageKey, Reply, Section, keyed_id
from bot.services import agenda_card
from bot.storage.models import AgendaItem, Member, Moment, Recipient, Team

logger = logging.getLogger(__name__)

PREFIX = "shoutout:"
TITLE = "🎉 Shout-out"
NO_LONGER_SHOWN = Card(title="Shout-out", sections=(Section("A shout-out shared here is no longer shown."),))


def key(moment_id: int) -> str:
    """The key of a shout-out's announcement: the one place this key is spelled."""
    return f"{PREFIX}{moment_id}"


def moment_id_of(message_key: str) -> int | None:
    """The shout-out an announcement key names, or None when the key names something else."""
    return keyed_id(message_key, PREFIX)


def card(giver: Member | None, moment: Moment, people: Sequence[Member]) -> Card:
    """The announcement: what the giver recognises the people for."""
    named = cards.names([p.name for p in people])
    heading = f"{giver.name if giver else 'Someone'} recognises {named}"
    return Card(title=TITLE, sections=(Section(moment.situation, heading),))


def post(moment: Moment, channel: str, shown: Card) -> Reply:
    """The announcement as a keyed channel post (updated in place where it was posted before)."""
    where = MessageKey(key(moment.id), moment.post_ref)
    return Reply(card=shown, audience=Audience.CHANNEL, to_team=channel, message=where)


def shown_in_channel(moment: Moment) -> bool:
    """Whether the channel may see the shout-out: approved (not withdrawn, hidden or in review) and not private."""
    return moment.kind == "shoutout" and moment.state == "approved" and not moment.private


class Redrawn:
    """The announcement's update, if it was posted, and the channel it is in, for the answer to say so;
    and the posted cards of meetings that already featured the moment, drawn again as it may now be shown."""

    def __init__(self, replies: list[Reply], channel: str, cards: list[Reply] | None = None) -> None:
        self.replies = replies
        self.channel = channel
        self.cards = cards or []

    @property
    def all(self) -> list[Reply]:
        return [*self.replies, *self.cards]

    @property
    def where(self) -> str:
        """Where the announcement was, for a sentence: "#support" or "the channel"."""
        return cards.channel(self.channel)


async def redraw(session: AsyncSession, moment: Moment) -> Redrawn:
    """The shout-out's channel announcement drawn again as the shout-out now may be shown there: its card
    naming only the recipients still shown, or a line naming nothing of it. Nothing when it was never posted.
    The cards of meetings that featured it (presented, skipped) are drawn again too: they show it as it may
    now be shown, or say only that it is no longer shown."""
    ended = await ended_cards(session, moment.id)
    if moment.kind != "shoutout" or not moment.post_ref or moment.team_id is None:
        return Redrawn([], "", ended)
    team = await session.get(Team, moment.team_id)
    if team is None:
        return Redrawn([], "", ended)
    people = await shown_people(session, moment.id)
    if shown_in_channel(moment) and people:
        giver = await session.get(Member, moment.author_id) if moment.author_id else None
        shown = card(giver, moment, people)
    else:
        shown = NO_LONGER_SHOWN
        logger.info("shout-out %s: its announcement in team %s is taken down", moment.id, team.id)
    return Redrawn([post(moment, team.external_id, shown)], team.name, ended)


async def announce(session: AsyncSession, moment: Moment, giver: Member) -> Redrawn:
    """The first announcement of a shout-out shown in its channel only now (it was private until now); nothing
    when it has no channel or nobody it recognises is still shown."""
    team = await session.get(Team, moment.team_id) if moment.team_id is not None else None
    people = await shown_people(session, moment.id)
    if team is None or not people:
        return Redrawn([], "")
    return Redrawn([post(moment, team.external_id, card(giver, moment, people))], team.name)


async def shown_people(session: AsyncSession, moment_id: int) -> list[Member]:
    """The people a shout-out recognises who have not hidden it, by name."""
    return list(
        await session.scalars(
            select(Member)
            .join(Recipient, Recipient.member_id == Member.id)
            .where(Recipient.moment_id == moment_id, Recipient.hidden.is_(False))
            .order_by(Member.name)
        )
    )


async def ended_cards(session: AsyncSession, moment_id: int) -> list[Reply]:
    """The posted cards of agenda items that featured the moment and are over (those still open pick again
    or are redrawn through bot.services.retraction)."""
    items = await session.scalars(
        select(AgendaItem)
        .where(AgendaItem.moment_id == moment_id, AgendaItem.state.not_in(OPEN), AgendaItem.post_ref.is_not(None))
        .order_by(AgendaItem.starts_at, AgendaItem.id)
    )
    replies = []
    for item in items:
        team = await session.get(Team, item.team_id)
        if team is not None:
            replies.append(await agenda_card.card_reply(session, item, team))
    return replies
