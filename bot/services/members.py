"""Roles: admins name managers; everyone else is a member."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select

from bot import grammar
from bot.events import Standing
from bot.replies import Reply, say
from bot.services.context import Context, Refused, find_person, not_people
from bot.storage.models import Member

logger = logging.getLogger(__name__)


async def managers(ctx: Context, command: grammar.Command) -> list[Reply]:
    if not command.words:
        rows = (
            await ctx.session.scalars(
                select(Member)
                .where(Member.workspace_id == ctx.workspace.id, Member.role.in_(("manager", "admin")))
                .order_by(Member.name)
            )
        ).all()
        return [say("Admins and managers: " + ", ".join(f"{m.name} ({m.role})" for m in rows))]
    verb = command.words[0].lower()
    if verb not in ("add", "remove") or len(command.words) < 2:
        raise grammar.UsageError("managers")
    if not ctx.is_admin:
        raise Refused("Only admins can change who the managers are.")
    wanted = "manager" if verb == "add" else "member"
    if verb == "add":
        _only_people(ctx, command.words[1:])
    changed: list[str] = []
    unchanged: list[str] = []
    for token in command.words[1:]:
        member = await find_person(ctx, token)
        if member.role == "admin":
            raise Refused(f"{member.name} is an admin; admins keep their role.")
        if member.name in changed or member.name in unchanged:
            continue
        if member.role == wanted:
            unchanged.append(member.name)
            continue
        member.role = wanted
        changed.append(member.name)
        logger.info("member %s is now %s (by %s)", member.id, member.role, ctx.member.id)
    return [say(_role_changes(verb, changed, unchanged))]


NOT_A_MANAGER = {
    Standing.BOT: "{name} is a bot or an app — only people can be managers.",
    Standing.DEACTIVATED: "{name} is no longer an active member of this workspace.",
    Standing.UNKNOWN: "I can't find {name} in this workspace.",
    Standing.UNCHECKED: "I couldn't check who {name} is just now, so nothing changed — please try again in a moment.",
}


def _only_people(ctx: Context, tokens: Sequence[str]) -> None:
    """Refuse, before any role changes, anyone the platform said is not an active human member."""
    problems = not_people(ctx, tokens, NOT_A_MANAGER, doing="as a manager")
    if problems:
        raise Refused(" ".join(problems))


def _role_changes(verb: str, changed: list[str], unchanged: list[str]) -> str:
    """What changed, and who was already as asked; "Nothing changed" when nobody's role moved."""
    done = ("Now managers: " if verb == "add" else "No longer managers: ") + ", ".join(changed)
    already = ("already managers: " if verb == "add" else "not managers: ") + ", ".join(unchanged)
    if not changed:
        return f"Nothing changed: {already}."
    return f"{done}. ({already[0].upper()}{already[1:]}.)" if unchanged else done
