"""`done`: mark the channel's current moment presented, and, when there is none because the meetings ahead
had their moments skipped, say so and how to bring one back — as `swap` and `skip` do in that case."""

from __future__ import annotations

from bot.replies import Reply
from bot.services import agenda, upcoming
from bot.services.context import Context, NotFound


async def done(ctx: Context, number: int | None) -> list[Reply]:
    try:
        return await agenda.done(ctx, number)
    except NotFound:
        if number is not None or ctx.team is None:
            raise
        # No open item at all: a meeting ahead may still take place, only its moment was skipped.
        skipped = await upcoming.skipped_ahead(ctx.session, ctx.team, ctx.now)
        if not skipped:
            raise
        raise NotFound(f"There is no moment to mark done. {agenda.no_moment(skipped, ctx.team.zone)}") from None
