"""Plain rows read on a session's connection see the same data ``session.execute`` would, including what
the session holds unflushed, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from adapters.runtime import Runtime
from bot.services.moments import MINE
from bot.storage import reads
from bot.storage.engine import Transaction
from bot.storage.models import Member, Workspace
from tests.support.clock import FakeClock
from tests.support.events import said
from tests.support.people import newcomer

NAMES = select(Member.id, Member.name).where(Member.workspace_id == bindparam("workspace_id")).order_by(Member.id)


async def test_rows_are_those_the_session_reads(runtime: Runtime) -> None:
    await runtime.core.handle(said("story A parcel went astray | rebooked it | relieved | call first"))
    await runtime.core.handle(said("story The refund was late | chased it daily | grateful | promise less"))
    async with Transaction(runtime.sessions) as session:
        member = (await session.scalars(select(Member))).one()
        params = {"workspace_id": member.workspace_id, "member_id": member.id}
        expected = list(await session.execute(MINE, params))
        found = await reads.rows(session, MINE, params)
    assert len(found) == 2
    assert [tuple(row) for row in found] == [tuple(row) for row in expected]
    assert [row.id for row in found] == [row.id for row in expected]


async def test_what_the_session_holds_unflushed_is_read(runtime: Runtime, clock: FakeClock) -> None:
    await runtime.core.handle(said("help"))
    async with Transaction(runtime.sessions) as session:
        workspace_id = (await session.scalars(select(Workspace.id))).one()
        alice = (await session.scalars(select(Member))).one()
        alice.name = "Renamed"
        session.add(newcomer(workspace_id, clock()))
        found = await reads.rows(session, NAMES, {"workspace_id": workspace_id})
        assert [name for _id, name in found] == ["Renamed", "Newcomer"]
        await session.rollback()
    async with Transaction(runtime.sessions) as session:
        found = await reads.rows(session, NAMES, {"workspace_id": workspace_id})
    assert [name for _id, name in found] == ["alice"]


async def test_inside_no_autoflush_nothing_is_flushed_for_a_read(runtime: Runtime, clock: FakeClock) -> None:
    """Like ``session.execute``: a block that holds its writes back for one flush at the end keeps them back."""
    await runtime.core.handle(said("help"))
    async with Transaction(runtime.sessions) as session:
        workspace_id = (await session.scalars(select(Workspace.id))).one()
        joining = newcomer(workspace_id, clock())
        with session.no_autoflush:
            session.add(joining)
            found = await reads.rows(session, NAMES, {"workspace_id": workspace_id})
            assert [name for _id, name in found] == ["alice"]
            assert joining in session.new
        found = await reads.rows(session, NAMES, {"workspace_id": workspace_id})
        assert [name for _id, name in found] == ["alice", "Newcomer"]
