"""What people were told about an agenda item, taken back when the item changes before its meeting.

An item not presented yet has made promises: its author heard "your story is the Customer Moment", the
colleagues a shout-out recognises heard they will be featured, its presenter that they present, and the
organizer got the "Coming up" reminder. Whenever the item's moment leaves it before the meeting (swapped,
picked again, skipped with its meeting date, its series paused or deleted), each of them — but the person
who made the change — hears so, once, and whoever presents it now hears that they do. When a skip is
undone, :func:`put_back` tells the same people it is back.

:func:`featured_notices` are the promises a picked moment makes; :func:`taken_back` takes them back;
:func:`take_off` ends an item that will not have a moment at all (a skipped date, a paused or deleted
series): its moment goes back to the pool and the people are told.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import cards
from bot.domain.lifecycle import AGENDA, AgendaState, ending
from bot.replies import Audience, Reply
from bot.services import picking
from bot.storage.models import AgendaItem, MeetingOccurrence, Member, Moment, Recipient, Team

logger = logging.getLogger(__name__)


async def featured_notices(session: AsyncSession, item: AgendaItem, team: Team, moment: Moment) -> list[Reply]:
    """Tell the author (and a shout-out's recipients) that their item is coming up."""
    if moment.library_key is not None:
        return []
    when = cards.local_time(item.starts_at, team.zone)
    notices: list[Reply] = []
    # A meeting chat's moment from a linked team's pool: the meeting is in the chat, not in that channel.
    chat_name: str | None = await session.scalar(
        select(Team.name)
        .join(MeetingOccurrence, MeetingOccurrence.chat_team_id == Team.id)
        .where(MeetingOccurrence.agenda_item_id == item.id, Team.id != item.team_id)
        .limit(1)
    )
    where = (chat_name or "the meeting's chat") if chat_name is not None else (team.name or "your channel")
    author = await session.get(Member, moment.author_id) if moment.author_id else None
    if author is not None:
        label = cards.KIND_LABEL[moment.kind].lower()
        notices.append(
            Reply(
                audience=Audience.DIRECT,
                to_member=author.external_id,
                text=f"Your {label} #{moment.id} is the Customer Moment for the meeting on {when} in {where}.",
            )
        )
    if moment.kind == "shoutout":
        for member in await session.scalars(
            select(Member)
            .join(Recipient, Recipient.member_id == Member.id)
            .where(Recipient.moment_id == moment.id, Recipient.hidden.is_(False))
        ):
            notices.append(
                Reply(
                    audience=Audience.DIRECT,
                    to_member=member.external_id,
                    text=f"A shout-out about you will be featured at the meeting on {when}.",
                )
            )
    return notices


async def recognised(session: AsyncSession, moment: Moment) -> Sequence[int]:
    """The members a shout-out recognises who have not hidden it (nobody for any other kind of moment)."""
    if moment.kind != "shoutout":
        return []
    return (
        await session.scalars(
            select(Recipient.member_id).where(Recipient.moment_id == moment.id, Recipient.hidden.is_(False))
        )
    ).all()


@dataclass(frozen=True, slots=True)
class Promised:
    """Who an item's moment was promised to, read before the moment changes."""

    moment_id: int | None
    presenter_id: int | None
    organizer_id: int | None


def promised(item: AgendaItem) -> Promised:
    return Promised(item.moment_id, item.presenter_id, item.organizer_id)


async def taken_back(
    session: AsyncSession,
    item: AgendaItem,
    team: Team,
    before: Promised,
    *,
    why: str,
    actor_id: int | None,
    taken_off: bool = False,
) -> list[Reply]:
    """Direct messages to everyone ``before`` promised something, now that the item's moment changed
    (``taken_off``: the meeting has no moment now). Nobody hears twice; the actor hears nothing."""
    when = cards.local_time(item.starts_at, team.zone)
    moment = await session.get(Moment, before.moment_id) if before.moment_id is not None else None
    if not taken_off and moment is not None and moment.id == item.moment_id:
        return []  # the moment stayed: nothing was taken back
    texts: dict[int, str] = {}
    if moment is not None and moment.library_key is None:
        label = cards.KIND_LABEL[moment.kind].lower()
        if moment.author_id is not None:
            back = (
                " It goes back to the pool and may be picked for a later meeting." if moment.state == "approved" else ""
            )
            texts[moment.author_id] = (
                f"Your {label} #{moment.id} is no longer the Customer Moment for the meeting on {when}: {why}.{back}"
            )
        for member_id in await recognised(session, moment):
            texts.setdefault(
                member_id, f"The shout-out about you will not be featured at the meeting on {when}: {why}."
            )
    after = "The meeting has no Customer Moment now." if taken_off else "`queue` shows the one on the agenda now."
    if before.presenter_id is not None and (taken_off or before.presenter_id != item.presenter_id):
        texts.setdefault(before.presenter_id, f"You no longer present at the meeting on {when}: {why}. {after}")
    if not taken_off and item.presenter_id is not None:
        # Whoever presents the moment now is told so (the organizer too), unless it is their own moment: its
        # author already heard it is the Customer Moment.
        now_on = await session.get(Moment, item.moment_id) if item.moment_id is not None else None
        if now_on is None or now_on.author_id != item.presenter_id:
            still = "still " if item.presenter_id == before.presenter_id else ""
            texts.setdefault(
                item.presenter_id,
                f"The Customer Moment for the meeting on {when} changed: {why}. You {still}present it.",
            )
    if before.organizer_id is not None:
        texts.setdefault(
            before.organizer_id, f"The Customer Moment planned for the meeting on {when} changed: {why}. {after}"
        )
    return await direct(session, texts, actor_id)


async def direct(session: AsyncSession, texts: dict[int, str], actor_id: int | None) -> list[Reply]:
    """One direct message per member (the actor hears nothing)."""
    if actor_id is not None:
        texts.pop(actor_id, None)
    if not texts:
        return []
    rows = await session.execute(select(Member.id, Member.external_id).where(Member.id.in_(list(texts))))
    external = {member_id: external_id for member_id, external_id in rows}
    return [
        Reply(audience=Audience.DIRECT, to_member=external[member_id], text=text)
        for member_id, text in texts.items()
        if member_id in external
    ]


async def put_back(
    session: AsyncSession, item: AgendaItem, team: Team, *, why: str, actor_id: int | None
) -> list[Reply]:
    """Direct messages to everyone a skip told that the item's moment was taken off (its author, the colleagues
    a shout-out recognises, its presenter, the organizer), now that it is back: once each, the actor excepted.
    Its presenter hears they present, also when they are the organizer."""
    moment = await session.get(Moment, item.moment_id) if item.moment_id is not None else None
    if moment is None:
        return []  # nothing was taken back from anyone
    when = cards.local_time(item.starts_at, team.zone)
    texts: dict[int, str] = {}
    if moment.library_key is None:
        label = cards.KIND_LABEL[moment.kind].lower()
        if moment.author_id is not None:
            texts[moment.author_id] = (
                f"Your {label} #{moment.id} is the Customer Moment for the meeting on {when} again: {why}."
            )
        for member_id in await recognised(session, moment):
            texts.setdefault(member_id, f"The shout-out about you will be featured at the meeting on {when}: {why}.")
    if item.presenter_id is not None:
        if item.presenter_id in texts:
            texts[item.presenter_id] += " You present it."
        else:
            texts[item.presenter_id] = f"You present at the meeting on {when} again: {why}."
    if item.organizer_id is not None:
        texts.setdefault(item.organizer_id, f"The Customer Moment planned for the meeting on {when} is back: {why}.")
    return await direct(session, texts, actor_id)


async def take_off(
    session: AsyncSession, item: AgendaItem, team: Team, *, state: AgendaState, why: str, now: datetime, actor_id: int
) -> list[Reply]:
    """End an item not presented yet with no moment (``state``: skipped or cancelled), saying ``why``.

    Its moment goes back to the pool, its card (if not posted yet) is never posted, and the people it was
    promised to are told: the notices are returned. A card already in the channel is the caller's to redraw.
    """
    before = promised(item)
    await picking.end_featuring(session, item, ending(state))
    item.state = AGENDA.move(item.state, state)
    item.moment_id, item.presenter_id = None, None
    item.locked_by, item.locked_until, item.updated_at = None, None, now
    item.reason = f"Taken off the agenda: {why}."
    logger.info("agenda item %s taken off (%s); moment %s back to the pool", item.id, state, before.moment_id)
    return await taken_back(session, item, team, before, why=why, actor_id=actor_id, taken_off=True)
