"""A moment that may no longer be featured leaves every agenda item not presented yet.

Withdrawn by its author, hidden by everyone it recognises, sent back to review, or about someone who opted
out: whatever the cause, each agenda item still waiting for its meeting (scheduled or posted) gets another
pick at once, with a reason that says why; a posted card is updated in place, and the people concerned are
told. A moment that is still featurable but lost some of its people (a recipient hid it) keeps its place,
and its posted cards are redrawn naming only the others.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.lifecycle import AGENDA, OPEN, AgendaState, Outcome
from bot.replies import Reply
from bot.services import agenda_card, picking, promises
from bot.storage.models import AgendaItem, Member, Moment, Recipient, Team

logger = logging.getLogger(__name__)

WITHDRAWN = "the earlier item was withdrawn by its author"
# Hiding and opting out are a person's own choice: what the channel and everyone else are told of them
# names neither the choice nor anybody, only that the item can no longer be featured.
NO_LONGER_FEATURABLE = "the earlier item can no longer be featured"
HIDDEN = NO_LONGER_FEATURABLE
IN_REVIEW = "the earlier item went back to review"
TAKEN_DOWN = "the earlier item was taken down by a manager"
OPTED_OUT = NO_LONGER_FEATURABLE
MADE_PRIVATE = "the earlier shout-out was made private"


async def _open_items(session: AsyncSession, moment_ids: Iterable[int]) -> list[AgendaItem]:
    ids = list(moment_ids)
    if not ids:
        return []
    return list(
        await session.scalars(
            select(AgendaItem)
            .where(AgendaItem.moment_id.in_(ids), AgendaItem.state.in_(OPEN))
            .order_by(AgendaItem.starts_at, AgendaItem.id)
            .with_for_update()
        )
    )


@dataclass(frozen=True, slots=True)
class Retracted:
    """How many agenda items picked again, and the cards and notices that say so."""

    items: int = 0
    replies: list[Reply] = field(default_factory=list)


async def retract(
    session: AsyncSession, moment_ids: Iterable[int], *, why: str, now: datetime, actor_id: int | None = None
) -> Retracted:
    """Take the moments off every agenda item not presented yet and pick again."""
    items = await _open_items(session, moment_ids)
    replies: list[Reply] = []
    for item in items:
        replies += await pick_again(session, item, why=why, now=now, actor_id=actor_id)
    return Retracted(len(items), replies)


async def after_opt_out(session: AsyncSession, member: Member, now: datetime) -> Retracted:
    """A member opted out: the items that would feature them leave the agenda."""
    recipient = exists().where(
        Recipient.moment_id == Moment.id, Recipient.member_id == member.id, Recipient.hidden.is_(False)
    )
    featuring_them = select(Moment.id).where(
        Moment.workspace_id == member.workspace_id, or_(Moment.author_id == member.id, recipient)
    )
    ids = await session.scalars(
        select(AgendaItem.moment_id).where(AgendaItem.moment_id.in_(featuring_them), AgendaItem.state.in_(OPEN))
    )
    return await retract(session, {i for i in ids if i is not None}, why=OPTED_OUT, now=now, actor_id=member.id)


async def after_edit(session: AsyncSession, moment: Moment, *, now: datetime, actor_id: int) -> list[Reply]:
    """An edited moment leaves the agenda when it went back to review or became private; otherwise its
    posted cards are redrawn to read as it now does."""
    if moment.state != "approved":
        return (await retract(session, [moment.id], why=IN_REVIEW, now=now, actor_id=actor_id)).replies
    if moment.private:
        return (await retract(session, [moment.id], why=MADE_PRIVATE, now=now, actor_id=actor_id)).replies
    return await redraw(session, moment.id)


async def redraw(session: AsyncSession, moment_id: int) -> list[Reply]:
    """The posted cards of the agenda items that feature the moment, drawn again as it now reads."""
    replies = []
    for item in await _open_items(session, [moment_id]):
        if item.state is AgendaState.POSTED:
            team = await session.get(Team, item.team_id)
            assert team is not None
            replies.append(await agenda_card.card_reply(session, item, team))
    return replies


async def pick_again(
    session: AsyncSession, item: AgendaItem, *, why: str, now: datetime, actor_id: int | None
) -> list[Reply]:
    """Give one agenda item not presented yet another moment, saying ``why``; its card and notices.

    Everyone told about the moment that left (its author, the colleagues it recognises, its presenter, the
    organizer) hears it changed, once, but the person whose change it was; whoever presents now hears so."""
    team = await session.get(Team, item.team_id)
    assert team is not None
    AGENDA.move(item.state, item.state)  # picking again keeps an item that was not presented yet as it is
    before = promises.promised(item)
    exclude = await picking.swapped_out(session, item.id)
    if before.moment_id is not None:
        exclude |= {before.moment_id}
    choice = await picking.pick(session, item, team, now, exclude=exclude)
    await picking.end_featuring(session, item, Outcome.SWAPPED)
    replies: list[Reply] = []
    if choice is None:
        item.moment_id, item.presenter_id, item.updated_at = None, None, now
        item.reason = f"Nothing left to feature: {why}."
    else:
        moment = await picking.feature(session, item, choice, now)
        item.reason = f"Picked again: {why}. {choice.reason}"
        replies += await promises.featured_notices(session, item, team, moment)
    logger.info("agenda item %s: moment %s left the agenda, now %s", item.id, before.moment_id, item.moment_id)
    told = {r.to_member for r in replies}
    taken = await promises.taken_back(session, item, team, before, why=why, actor_id=actor_id, taken_off=choice is None)
    replies += [r for r in taken if r.to_member not in told]
    if item.state is AgendaState.POSTED:
        replies.insert(0, await agenda_card.card_reply(session, item, team))
    return replies
