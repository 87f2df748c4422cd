"""Who and where an event comes from is read as plain columns and made entities of the event's session: they
are the database's values, nothing about them counts as changed, a change made to them is saved (and only
that change), and an entity the session holds already is the one used. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select

from adapters.runtime import Runtime
from bot.events import Person
from bot.services.context import resolve
from bot.storage.engine import Transaction
from bot.storage.models import Base, Member, Team, Workspace
from tests.support.clock import FakeClock
from tests.support.events import said


def columns(entity: Base) -> dict[str, Any]:
    return {attribute.key: getattr(entity, attribute.key) for attribute in inspect(type(entity)).column_attrs}


async def test_known_workspace_member_and_team_are_the_databases_unchanged(runtime: Runtime, clock: FakeClock) -> None:
    await runtime.core.handle(said("story A parcel went astray | rebooked it | relieved | call first", actor="alice"))
    await runtime.core.handle(said("review on", actor="alice"))
    async with Transaction(runtime.sessions) as session:
        ctx = await resolve(session, said("queue", actor="alice"), clock.now)
        assert ctx.team is not None
        entities: list[Base] = [ctx.workspace, ctx.member, ctx.team]
        for entity in entities:
            state = inspect(entity)
            assert state.persistent and not state.modified
            assert entity in session
        assert not session.dirty and not session.new
        read = [columns(entity) for entity in entities]
    async with runtime.sessions() as fresh:
        loaded = [
            await fresh.scalar(select(Workspace).where(Workspace.id == read[0]["id"])),
            await fresh.scalar(select(Member).where(Member.id == read[1]["id"])),
            await fresh.scalar(select(Team).where(Team.id == read[2]["id"])),
        ]
    expected = [columns(entity) for entity in loaded if entity is not None]
    assert [[(key, type(value), value) for key, value in row.items()] for row in read] == [
        [(key, type(value), value) for key, value in row.items()] for row in expected
    ]
    assert read[2]["review_required"] is True and read[1]["role"] == "admin"


async def test_a_change_to_a_resolved_entity_is_saved_and_nothing_else(runtime: Runtime, clock: FakeClock) -> None:
    await runtime.core.handle(said("help", actor="alice"))
    await runtime.core.handle(said("review on", actor="alice"))
    async with Transaction(runtime.sessions) as session:
        ctx = await resolve(session, said("help", actor="alice"), clock.now)
        assert ctx.team is not None
        team_id, member_id = ctx.team.id, ctx.member.id
        ctx.team.zone = "Europe/Berlin"
        ctx.member.opted_out = True
        assert {attr.key for attr in inspect(ctx.team).attrs if attr.history.has_changes()} == {"zone"}
    async with runtime.sessions() as fresh:
        team = await fresh.get(Team, team_id)
        member = await fresh.get(Member, member_id)
    assert team is not None and member is not None
    assert (team.zone, team.review_required, team.active) == ("Europe/Berlin", True, True)
    assert (member.opted_out, member.role, member.name) == (True, "admin", "alice")


async def test_a_new_display_name_is_saved(runtime: Runtime, clock: FakeClock) -> None:
    await runtime.core.handle(said("help", actor="alice"))
    incoming = said("help", actor="alice")
    renamed = type(incoming)(place=incoming.place, actor=Person("alice", "Alice Liddell"), text="help")
    async with Transaction(runtime.sessions) as session:
        ctx = await resolve(session, renamed, clock.now)
        member_id = ctx.member.id
    async with runtime.sessions() as fresh:
        member = await fresh.get(Member, member_id)
    assert member is not None and member.name == "Alice Liddell"


async def test_an_entity_the_session_holds_already_is_the_one_used(runtime: Runtime, clock: FakeClock) -> None:
    await runtime.core.handle(said("help", actor="alice"))
    async with Transaction(runtime.sessions) as session:
        team = await session.scalar(select(Team).where(Team.external_id == "support"))
        member = await session.scalar(select(Member).where(Member.external_id == "alice"))
        assert team is not None and member is not None
        team.name = "#support-renamed-here"  # a change of this session's, not yet flushed
        ctx = await resolve(session, said("help", actor="alice"), clock.now)
        assert ctx.team is team and ctx.member is member
        assert ctx.team.name == "#support"  # resolving refreshes the name the platform gives


async def test_an_expired_entity_the_session_holds_is_filled_from_the_row(runtime: Runtime, clock: FakeClock) -> None:
    await runtime.core.handle(said("help", actor="alice"))
    async with Transaction(runtime.sessions) as session:
        team = await session.scalar(select(Team).where(Team.external_id == "support"))
        assert team is not None
        session.expire(team)
        ctx = await resolve(session, said("help", actor="alice"), clock.now)
        assert ctx.team is team
        assert not inspect(team).unloaded and (team.name, team.zone) == ("#support", "UTC")
