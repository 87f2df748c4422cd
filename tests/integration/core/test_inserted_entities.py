"""A story is inserted as a plain ``INSERT … RETURNING`` and made an entity of its session: it is the row the
database stored (defaults included), nothing about it counts as changed, a later change to it is saved, and
what the session held unflushed is saved first. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select

from adapters.runtime import Runtime
from bot.services.context import resolve
from bot.storage import reads
from bot.storage.engine import Transaction
from bot.storage.models import Base, Member, Moment
from tests.support.clock import FakeClock
from tests.support.events import said

MOMENT = reads.entity(Moment)
STORY = "story A parcel went astray | rebooked it | relieved | call first"


def columns(entity: Base) -> dict[str, Any]:
    return {attribute.key: getattr(entity, attribute.key) for attribute in inspect(type(entity)).column_attrs}


def typed(row: dict[str, Any]) -> list[tuple[str, type, Any]]:
    return [(key, type(value), value) for key, value in row.items()]


async def test_a_submitted_story_is_stored_and_its_number_told(runtime: Runtime, clock: FakeClock) -> None:
    said_back = await runtime.core.handle(said(STORY, actor="alice"))
    async with runtime.sessions() as session:
        stored = await session.scalar(select(Moment).order_by(Moment.id.desc()).limit(1))
    assert stored is not None and f"#{stored.id}" in said_back[0].text
    assert (stored.situation, stored.lesson, stored.times_featured, stored.private) == (
        "A parcel went astray",
        "call first",
        0,
        False,
    )


async def test_an_inserted_entity_is_the_database_row_unchanged(runtime: Runtime, clock: FakeClock) -> None:
    await runtime.core.handle(said("help", actor="alice"))
    async with Transaction(runtime.sessions) as session:
        ctx = await resolve(session, said("help", actor="alice"), clock.now)
        assert ctx.team is not None
        moment = await reads.inserted(
            session,
            MOMENT,
            {"workspace_id": ctx.workspace.id, "team_id": ctx.team.id, "kind": "story", "state": "approved"}
            | {"author_id": ctx.member.id, "situation": "s", "tags": ["a"], "created_at": clock.now},
        )
        state = inspect(moment)
        assert state.persistent and not state.modified and moment in session
        assert not session.new and not session.dirty
        assert session.identity_map.get(state.key) is moment
        read = columns(moment)
    async with runtime.sessions() as fresh:
        loaded = await fresh.get(Moment, read["id"])
    assert loaded is not None
    assert typed(read) == typed(columns(loaded))
    assert (read["minutes"], read["steps"], read["title"], read["created_at"]) == (10, [], "", clock.now)


async def test_a_change_after_inserting_is_saved(runtime: Runtime, clock: FakeClock) -> None:
    await runtime.core.handle(said("help", actor="alice"))
    async with Transaction(runtime.sessions) as session:
        ctx = await resolve(session, said("help", actor="alice"), clock.now)
        values = {"workspace_id": ctx.workspace.id, "kind": "story", "state": "pending", "created_at": clock.now}
        moment = await reads.inserted(session, MOMENT, values)
        moment.state = "approved"
        assert {attr.key for attr in inspect(moment).attrs if attr.history.has_changes()} == {"state"}
        moment_id = moment.id
    async with runtime.sessions() as fresh:
        saved = await fresh.get(Moment, moment_id)
    assert saved is not None and saved.state == "approved"


async def test_what_the_session_held_unflushed_is_saved_first(runtime: Runtime, clock: FakeClock) -> None:
    await runtime.core.handle(said("help", actor="alice"))
    async with Transaction(runtime.sessions) as session:
        ctx = await resolve(session, said("help", actor="alice"), clock.now)
        newcomer = Member(workspace_id=ctx.workspace.id, external_id="zoe", name="Zoe", created_at=clock.now)
        session.add(newcomer)
        ctx.member.name = "Alice Renamed"
        values = {"workspace_id": ctx.workspace.id, "kind": "story", "state": "approved", "created_at": clock.now}
        moment = await reads.inserted(session, MOMENT, values | {"author_id": ctx.member.id})
        assert newcomer.id is not None and moment.id is not None
        assert not session.new and not session.dirty
        member_id = ctx.member.id
    async with runtime.sessions() as fresh:
        renamed = await fresh.get(Member, member_id)
    assert renamed is not None and renamed.name == "Alice Renamed"
