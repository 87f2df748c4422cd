"""Bursts of first events from a new workspace, person or channel all succeed and create each row once."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from adapters.runtime import Runtime
from bot.core import BROKEN, UNAVAILABLE
from bot.storage.models import Member, Team, TeamMember, Workspace
from tests.support.events import said


async def test_simultaneous_first_commands_from_a_new_workspace_create_each_row_once(runtime: Runtime) -> None:
    burst = [said("help", actor=f"user{n % 5}", workspace="newco", channel=f"c{n % 3}") for n in range(24)]
    answers = await asyncio.gather(*(runtime.core.handle(incoming) for incoming in burst))
    texts = [reply.text for replies in answers for reply in replies]
    assert UNAVAILABLE not in texts and BROKEN not in texts
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Workspace)) == 1
        assert await session.scalar(select(func.count()).select_from(Member)) == 5
        assert await session.scalar(select(func.count()).select_from(Team)) == 3
        assert await session.scalar(select(func.count()).select_from(TeamMember)) <= 15
        admins = await session.scalar(select(func.count()).where(Member.role == "admin"))
    assert admins is not None and admins >= 1
