"""Linking a meeting chat to a team's pool: the ``pool`` command, and the buttons and form on its card.

``pool #support`` and the card's *Use a team's pool* (a form listing the channels the person is in) end in
the same rule, :func:`link_to`: only people of that channel (or an admin) may make a meeting chat draw from
its pool, because its stories then show in the chat. ``pool off`` and the card's *Use this chat's own pool*
end in :func:`own_pool`. Either way the chat's latest meeting card is shown again, saying where its
meetings' moments now come from.

The people of a channel are the ones the bot has seen there (who used it there, or were mentioned), so a
refusal says so and how to change it. Only a meeting's chat can be linked (one whose activities name its
meeting, or :func:`pools.is_meeting_chat`); a series scheduled in the chat itself keeps drawing from the
chat's own pool, and the answers say so.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot import forms, grammar
from bot.replies import Option, Reply, say
from bot.services import agenda_card, pools
from bot.services.context import Context, NotFound, Refused
from bot.storage.models import MeetingChat, Team, TeamMember

logger = logging.getLogger(__name__)

OFF = ("off", "none", "own")
MAX_LISTED = 100  # channels the form offers (a card stays small); the rest can be named with `pool #channel`
NONE_TO_LIST = (
    "I haven't seen you in any other channel yet: this list has the channels where you have used me or were "
    "mentioned. Write to me once in the channel whose pool you want (`help` will do), then press the button "
    "again — or ask an admin to link it."
)
NONE_TO_LIST_ADMIN = (
    "I haven't seen you in any other channel yet, so there is nothing to list. As an admin you can name any "
    "channel I have been used in: `pool #channel`."
)
NOT_A_MEETING_CHAT = (
    "Only a Teams meeting's chat can draw its moments from another channel's pool, and I haven't seen a meeting "
    "of this one, so nothing changed. If it is a meeting's chat, writing to me here once lets me find its "
    "meeting; then try again."
)
UNKNOWN_CHANNEL = (
    "I don't know a channel called {name} here: I know a channel once someone has used me in it. Write to me "
    "there once (`help` will do), then try again."
)


async def command(ctx: Context, text: str) -> list[Reply]:
    """``pool`` (which pool this chat's meetings draw from), ``pool #channel`` (link it), ``pool off``."""
    chat = ctx.require_team()
    wanted = text.strip()
    if not wanted:
        if not await _is_meeting_chat(ctx, chat):
            return [
                say(
                    "This channel's meetings draw from its own pool; only a Teams meeting's chat can draw from "
                    "another channel's."
                )
            ]
        pool = await pools.pool_of(ctx.session, chat)
        if pool.id == chat.id:
            return [say("This chat's meetings draw from its own pool. `pool #channel` draws from a channel's instead.")]
        said = f"This chat's meetings draw from the pool of {pool.name or 'another channel'}."
        return [say(f"{said}{await _series_note(ctx, chat)}")]
    await _require_meeting_chat(ctx, chat)
    if wanted.lower() in OFF:
        return await own_pool(ctx)
    return await link_to(ctx, await _named_team(ctx, wanted))


async def choose(ctx: Context) -> list[Reply]:
    """The card's *Use a team's pool*: a form with the channels the person is in, to pick one."""
    chat = ctx.require_team()
    await _require_meeting_chat(ctx, chat)
    teams = await ctx.session.scalars(
        select(Team)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(
            TeamMember.member_id == ctx.member.id,
            Team.workspace_id == ctx.workspace.id,
            Team.active.is_(True),
            Team.id != chat.id,
        )
        .order_by(Team.name, Team.id)
        .limit(MAX_LISTED)
    )
    options = tuple(Option(str(team.id), team.name or f"Unnamed chat #{team.id}") for team in teams)
    if not options:
        return [say(NONE_TO_LIST_ADMIN if ctx.is_admin else NONE_TO_LIST)]
    return [Reply(form=forms.pool_form(options))]


async def chosen(ctx: Context) -> list[Reply]:
    """The form's channel, linked by the same rule as ``pool #channel``."""
    await _require_meeting_chat(ctx, ctx.require_team())
    raw = forms.text_value(ctx.incoming.form_values, forms.POOL_FIELD).strip()
    team_id = grammar.record_id(raw)
    team = await ctx.session.get(Team, team_id) if team_id is not None else None
    if team is None or team.workspace_id != ctx.workspace.id or not team.active:
        logger.info("meeting chat pool form in workspace %s named no team of it", ctx.workspace.id)
        raise NotFound(
            "I don't know that channel here (it may have removed me). Press *Use a team's pool* again for the "
            "channels I know."
        )
    return await link_to(ctx, team)


async def link_to(ctx: Context, pool: Team) -> list[Reply]:
    """This chat's meetings draw their moments from ``pool``'s pool."""
    chat = ctx.require_team()
    await _require_meeting_chat(ctx, chat)
    if pool.id == chat.id:
        raise Refused("That is this chat itself. `pool off` makes it draw from its own pool.")
    if not ctx.is_admin and await ctx.session.get(TeamMember, (pool.id, ctx.member.id)) is None:
        # Linking shows the pool's stories in this chat: only someone of that channel may decide so. Its
        # people are the ones seen there, so the refusal says how to be seen (or who else may link it).
        name = pool.name or "that channel"
        raise Refused(
            f"I haven't seen you in {name} yet, and only its people (or an admin) can make this chat's meetings "
            f"draw from its pool. Write to me once in {name} (`help` will do), then try again — or ask an admin."
        )
    row = await ctx.session.get(MeetingChat, chat.id)
    if row is None:
        ctx.session.add(MeetingChat(team_id=chat.id, pool_team_id=pool.id, linked_by=ctx.member.id, created_at=ctx.now))
    else:
        row.pool_team_id, row.linked_by = pool.id, ctx.member.id
    await ctx.session.flush()
    logger.info("meeting chat %s draws from team %s (member %s)", chat.id, pool.id, ctx.member.id)
    done = f"This chat's meetings now draw their Customer Moment from the pool of {pool.name or 'that channel'}."
    return [say(f"{done}{await _series_note(ctx, chat)}"), *await _card(ctx, chat)]


async def own_pool(ctx: Context) -> list[Reply]:
    """This chat's meetings draw from its own pool again."""
    chat = ctx.require_team()
    await _require_meeting_chat(ctx, chat)
    row = await ctx.session.get(MeetingChat, chat.id)
    if row is None or row.pool_team_id is None:
        return [say("This chat's meetings already draw from its own pool.")]
    row.pool_team_id, row.linked_by = None, ctx.member.id
    await ctx.session.flush()
    logger.info("meeting chat %s unlinked by member %s", chat.id, ctx.member.id)
    return [say("This chat's meetings now draw from its own pool."), *await _card(ctx, chat)]


async def _is_meeting_chat(ctx: Context, chat: Team) -> bool:
    """What the platform says of this conversation now, or what the bot has seen of its meetings."""
    return ctx.incoming.place.meeting or await pools.is_meeting_chat(ctx.session, chat)


async def _require_meeting_chat(ctx: Context, chat: Team) -> None:
    if not await _is_meeting_chat(ctx, chat):
        logger.info("pool link refused in team %s, which is no meeting chat", chat.id)
        raise Refused(NOT_A_MEETING_CHAT)


async def _series_note(ctx: Context, chat: Team) -> str:
    """For a linked chat with series of its own: their meetings keep the chat's own pool, and how to stop that."""
    series = await pools.own_series(ctx.session, chat)
    if not series:
        return ""
    listed = ", ".join(f"#{number}" for number in series)
    ends = " or ".join(f"`unschedule {number}`" for number in series[:3])
    return (
        f" Meetings of series {listed}, scheduled in this chat, still draw from the chat's own pool"
        f" (a manager's {ends} ends it)."
    )


async def _card(ctx: Context, chat: Team) -> list[Reply]:
    """The chat's latest meeting card, shown again: it says which pool the chat's meetings draw from."""
    item = await pools.latest_meeting_item(ctx.session, chat)
    team = await ctx.session.get(Team, item.team_id) if item is not None else None
    if item is None or team is None:
        return []
    return [await agenda_card.card_reply(ctx.session, item, team)]


def _names(team: Team) -> set[str]:
    """What a channel may be called in ``pool #…``: its whole name, or its last part (``Team › Support``)."""
    whole = team.name.strip().lower().lstrip("#").strip()
    return {whole, whole.rsplit("›", 1)[-1].strip()} - {""}


async def _named_team(ctx: Context, wanted: str) -> Team:
    name = wanted.strip().lower().lstrip("#").strip()
    teams = await ctx.session.scalars(
        select(Team).where(Team.workspace_id == ctx.workspace.id, Team.active.is_(True)).order_by(Team.id)
    )
    found = [team for team in teams if name in _names(team)]
    if not found:
        raise NotFound(UNKNOWN_CHANNEL.format(name=wanted[:60]))
    if len(found) > 1:
        listed = ", ".join(team.name for team in found[:5])
        raise Refused(f"More than one channel is called that ({listed}); use its full name.")
    return found[0]
