"""The invitation to share a story when a team's pool runs low.

When the scheduler prepares a meeting whose pool has nothing new to feature — its pick is an exercise from the
library, a moment featured before, or nothing at all, and no team moment that was never featured waits — the
channel gets one friendly invitation to share a story, ahead of the meeting's card. At most one a week per
team: the team remembers when it was last sent, and claims the week with one conditional update, so that two
workers (or two meetings of the team prepared together) never both send it. It is a channel post that names
nobody, so people who opted out of being featured are never addressed by it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cards import local_time
from bot.replies import Audience, Reply
from bot.services.candidates import featurable
from bot.storage import reads
from bot.storage.models import AgendaItem, Moment, Team

logger = logging.getLogger(__name__)

NUDGE_EVERY = timedelta(days=7)


# Built once: building these per card, the opt-out subqueries above all, and keying them for the compiled
# cache cost about a millisecond of CPU on every card the scheduler prepares.
_NEW_WAITING = (
    select(Moment.id)
    .where(
        Moment.team_id == bindparam("team_id"),
        Moment.library_key.is_(None),
        Moment.times_featured == 0,
        featurable(),
    )
    .limit(1)
)
_NEW_WAITING_BESIDES = _NEW_WAITING.where(Moment.id != bindparam("picked"))  # the pick's count may not be flushed
_CLAIM_WEEK = (
    update(Team)
    .where(
        Team.id == bindparam("team_id"),
        or_(Team.nudged_at.is_(None), Team.nudged_at <= bindparam("since", type_=Team.nudged_at.type)),
    )
    .values(nudged_at=bindparam("now", type_=Team.nudged_at.type))
    .execution_options(synchronize_session=False)
)


async def has_nothing_new(session: AsyncSession, item: AgendaItem) -> bool:
    """Whether the item's pool has nothing new: its pick is not a team moment new to the meetings, and no
    featurable team moment waits that was never featured. A new one that waits but was not picked (the same
    people should not be featured two meetings running, say) is something new: no invitation then."""
    if item.moment_id is not None:
        moment = await session.get(Moment, item.moment_id)
        # The pick has already counted this featuring: a team moment new to the meetings now counts one.
        if moment is not None and moment.library_key is None and moment.times_featured <= 1:
            return False
        waiting = await reads.rows(session, _NEW_WAITING_BESIDES, {"team_id": item.team_id, "picked": item.moment_id})
    else:
        waiting = await reads.rows(session, _NEW_WAITING, {"team_id": item.team_id})
    return not waiting


async def pool_nudge(session: AsyncSession, item: AgendaItem, team: Team, now: datetime) -> list[Reply]:
    """The channel's invitation to share a story, when the item's pool had nothing new and the team was not
    invited in the last week; records that it was sent."""
    if not await has_nothing_new(session, item):
        return []
    claimed = await session.execute(_CLAIM_WEEK, {"team_id": team.id, "since": now - NUDGE_EVERY, "now": now})
    if not claimed.rowcount:  # type: ignore[attr-defined]
        return []
    logger.info("team %s: pool has nothing new for agenda item %s; invited the channel to share", team.id, item.id)
    when = local_time(item.starts_at, team.zone)
    return [
        Reply(
            audience=Audience.CHANNEL,
            to_team=team.external_id,
            text=(
                f"The pool has nothing new for the meeting on {when}, so the Customer Moment is a repeat or an "
                "exercise from the library. Had a customer moment worth retelling lately? Share it with `story`, "
                "or thank someone with `shoutout` — it could feature in one of the next meetings."
            ),
        )
    ]
