"""Reads that run straight on the driver after their first run give exactly the rows SQLAlchemy gives (the
same column names, values and Python types), fail with SQLAlchemy's own errors, and stay inside the unit
of work, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Executable, Integer, bindparam, column, func, select, table, text, tuple_
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from adapters.runtime import Runtime
from bot.storage import reads
from bot.storage.engine import Transaction
from bot.storage.models import Member, Workspace
from tests.support.clock import FakeClock
from tests.support.events import said
from tests.support.people import newcomer

SCENARIO = [
    ("story A parcel went astray | rebooked it | relieved | call first", "alice"),
    ("story The refund was late | chased it daily | grateful | promise less", "bob"),
    ("shoutout @bob stayed on the call until the refund went through", "alice"),
    ("story anonymous The invoice was wrong | fixed it | calm | check twice", "carol"),
    ("schedule weekly tue 10:00 Europe/Berlin", "alice"),
    ("request", "alice"),
    ("queue", "bob"),
    ("mine", "alice"),
    ("mine", "bob"),
    ("stats 30", "alice"),
    ("stats 7", "carol"),
    ("request", "alice"),
    ("queue", "alice"),
]


def typed(found: reads.Rows) -> list[list[tuple[type, Any]]]:
    return [[(type(value), value) for value in row] for row in found]


async def test_every_read_the_commands_make_gives_sqlalchemys_rows(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Executable, dict[str, Any]]] = []
    read = reads.rows

    async def recorded(session: Any, statement: Executable, params: Mapping[str, Any]) -> reads.Rows:
        calls.append((statement, dict(params)))
        return await read(session, statement, params)

    monkeypatch.setattr(reads, "rows", recorded)
    for line, actor in SCENARIO:
        await runtime.core.handle(said(line, actor=actor))
    monkeypatch.undo()
    statements = {statement for statement, _ in calls}
    assert len(statements) >= 6  # the scenario reaches the queue, mine, stats, picking and story checks
    compared = 0
    for statement, params in calls:
        async with Transaction(runtime.sessions) as session:
            expected = (await session.execute(statement, params)).all()
            keys = list((await session.execute(statement, params)).keys())
            found = await reads.rows(session, statement, params)
            assert reads.plans_of(session.bind.dialect)[statement] is not None  # it ran on the driver
        assert typed(found) == typed(expected)
        assert [list(row._fields) for row in found] == [keys] * len(found)
        assert [row._asdict() for row in found] == [dict(zip(keys, row, strict=True)) for row in expected]
        compared += len(found)
    assert compared > 0


async def test_a_read_that_fails_on_the_driver_raises_sqlalchemys_error(runtime: Runtime) -> None:
    """The core tells an unreachable database from other failures by SQLAlchemy's exception classes."""
    async with runtime.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE passing (n INTEGER)"))
    passing = select(column("n", Integer)).select_from(table("passing")).where(column("n") > bindparam("at_least"))
    async with Transaction(runtime.sessions) as session:
        assert list(await reads.rows(session, passing, {"at_least": 0})) == []  # through SQLAlchemy: planned
    async with runtime.engine.begin() as connection:
        await connection.execute(text("DROP TABLE passing"))
    with pytest.raises(DBAPIError) as raised:
        async with Transaction(runtime.sessions) as session:
            await reads.rows(session, passing, {"at_least": 0})
    assert "passing" in str(raised.value.orig)
    assert raised.value.params is None  # parameters are never shown


async def test_a_direct_read_first_keeps_the_unit_of_work_whole(runtime: Runtime, clock: FakeClock) -> None:
    """On SQLite the transaction's BEGIN goes with the read; on PostgreSQL the write after it begins one.
    Either way a unit of work that fails after writing leaves nothing behind."""
    await runtime.core.handle(said("help"))
    names = select(Member.name).where(Member.workspace_id == bindparam("workspace_id")).order_by(Member.id)
    async with Transaction(runtime.sessions) as session:
        workspace_id = (await session.scalars(select(Workspace.id))).one()
        await reads.rows(session, names, {"workspace_id": workspace_id})  # planned: later calls go direct

    class Failed(Exception):
        pass

    with pytest.raises(Failed):
        async with Transaction(runtime.sessions) as session:
            assert [row.name for row in await reads.rows(session, names, {"workspace_id": workspace_id})] == ["alice"]
            session.add(newcomer(workspace_id, clock()))
            await session.flush()
            found = await reads.rows(session, names, {"workspace_id": workspace_id})
            assert [row.name for row in found] == ["alice", "Newcomer"]  # inside the transaction
            raise Failed
    async with Transaction(runtime.sessions) as session:
        found = await reads.rows(session, names, {"workspace_id": workspace_id})
    assert [row.name for row in found] == ["alice"]


async def test_statements_built_for_each_call_are_not_kept_past_a_bound(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await runtime.core.handle(said("help"))
    monkeypatch.setattr(reads, "MAX_PLANS", 2)
    async with Transaction(runtime.sessions) as session:
        dialect = session.bind.dialect
        kept = len(reads.plans_of(dialect))
        for _ in range(5):
            fresh = select(Member.name).where(Member.workspace_id > bindparam("after"))
            assert [row.name for row in await reads.rows(session, fresh, {"after": 0})] == ["alice"]
        assert len(reads.plans_of(dialect)) == max(kept, 2)


async def test_statements_alike_but_for_a_fixed_value_each_read_their_own(runtime: Runtime) -> None:
    """SQLAlchemy compiles such statements once (values written into a statement are not part of its
    cache key): each one's own values must still be the ones read with."""
    await runtime.core.handle(said("help"))
    await runtime.core.handle(said("help", actor="bob"))
    by_role = {
        role: select(Member.name).where(Member.workspace_id > bindparam("after"), Member.role == role)
        for role in ("admin", "member")
    }
    by_roles = {
        role: select(Member.name).where(Member.workspace_id > bindparam("after"), Member.role.in_([role, "none"]))
        for role in ("admin", "member")
    }
    for statements in (by_role, by_roles):
        for _ in range(3):  # the first run through SQLAlchemy, then on the driver
            async with Transaction(runtime.sessions) as session:
                found = {
                    role: await reads.rows(session, statement, {"after": 0}) for role, statement in statements.items()
                }
            assert {role: [row.name for row in rows] for role, rows in found.items()} == {
                "admin": ["alice"],
                "member": ["bob"],
            }


async def test_a_list_with_a_default_is_read_as_the_caller_gives_it(runtime: Runtime) -> None:
    await runtime.core.handle(said("help"))
    await runtime.core.handle(said("help", actor="bob"))
    named = select(Member.name).where(Member.external_id.in_(bindparam("ids", ["alice"], expanding=True)))
    for params, names in [({}, ["alice"]), ({"ids": ["bob"]}, ["bob"]), ({}, ["alice"]), ({"ids": []}, [])]:
        async with Transaction(runtime.sessions) as session:
            assert [row.name for row in await reads.rows(session, named, params)] == names


async def test_lists_of_any_length_in_any_order_read_as_sqlalchemy_reads_them(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A statement expanded once for each length of its lists is filled with each call's own values: its
    lists', its other parameters' (given, or left to their defaults) and its fixed ones."""
    for actor in ("alice", "bob", "carol"):
        await runtime.core.handle(said("help", actor=actor))
    monkeypatch.setattr(reads, "MAX_SHAPES", 3)  # past it, lists are expanded on each call
    named = (
        select(Member.name, Member.created_at)
        .where(
            Member.external_id.in_(bindparam("ids", expanding=True)),
            Member.role.in_(bindparam("roles", ["admin", "member"], expanding=True)),
            Member.workspace_id > bindparam("after", 0),
            Member.opted_out.is_(False),
            Member.name != "nobody",
        )
        .order_by(Member.name)
    )
    pairs = select(Member.name).where(tuple_(Member.external_id, Member.role).in_(bindparam("pairs", expanding=True)))
    singles = select(Member.name).where(tuple_(Member.external_id).in_(bindparam("ones", expanding=True)))
    calls: list[tuple[Executable, dict[str, Any]]] = [
        (singles, {"ones": [("alice",)]}),
        (singles, {"ones": [("bob",)]}),
        (singles, {"ones": [("bob",), ("carol",)]}),
        (singles, {"ones": [("carol",), ("alice",)]}),
        (named, {"ids": ["carol"]}),  # the first run, through SQLAlchemy
        (named, {"ids": ["alice"]}),
        (named, {"ids": ["alice", "bob"]}),
        (named, {"ids": ["bob"], "after": 10**6}),
        (named, {"ids": ["carol", "bob"]}),
        (named, {"ids": ("carol",), "roles": ["member"]}),
        (named, {"ids": []}),
        (named, {"ids": ["alice", "bob", "carol"], "roles": ["admin"]}),
        (named, {"ids": ["bob", "carol"], "roles": ["member", "admin"], "after": -1}),
        (named, {"ids": ["alice"], "roles": []}),
        (pairs, {"pairs": [("alice", "admin"), ("bob", "member")]}),
        (pairs, {"pairs": [("bob", "admin"), ("carol", "member")]}),
    ]
    for statement, params in calls * 2:
        async with Transaction(runtime.sessions) as session:
            expected = (await session.execute(statement, params)).all()
            found = await reads.rows(session, statement, params)
        assert typed(found) == typed(expected), params
    assert [row.name for row in found] == ["carol"]


async def test_a_parameter_not_given_is_refused_as_sqlalchemy_refuses_it(runtime: Runtime) -> None:
    """Not read with the value an earlier call gave: refused, naming the parameter (a programming error)."""
    await runtime.core.handle(said("help"))
    named = select(Member.name).where(
        Member.external_id.in_(bindparam("ids", expanding=True)), Member.workspace_id > bindparam("after")
    )
    async with Transaction(runtime.sessions) as session:
        for _ in range(2):
            assert [row.name for row in await reads.rows(session, named, {"ids": ["alice"], "after": 0})] == ["alice"]
        with pytest.raises(SQLAlchemyError, match="A value is required for bind parameter 'after'"):
            await session.execute(named, {"ids": ["alice"]})
    async with Transaction(runtime.sessions) as session:
        with pytest.raises(SQLAlchemyError, match="A value is required for bind parameter 'after'"):
            await reads.rows(session, named, {"ids": ["alice"]})


async def test_a_read_cancelled_on_sqlite_leaves_no_transaction_open(runtime: Runtime) -> None:
    """A request cancelled while its first read (which carries the transaction's BEGIN IMMEDIATE) is on the
    connection's thread: the write lock is released once the thread is done, and the next unit of work writes."""
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's connection thread")
    await runtime.core.handle(said("help"))
    paused = threading.Event()

    def pause() -> int:
        paused.set()
        time.sleep(0.3)
        return 1

    slow = (
        select(Member.name, func.pause().label("paused"))
        .where(Member.workspace_id > bindparam("after"))
        .order_by(Member.id)
    )
    async with Transaction(runtime.sessions) as session:
        connection = await session.connection()
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.create_function("pause", 0, pause)
        await reads.rows(session, slow, {"after": 0})  # planned: the next one runs on the driver

    async def unit_of_work() -> None:
        async with Transaction(runtime.sessions) as session:
            await reads.rows(session, slow, {"after": 0})

    paused.clear()
    reading = asyncio.create_task(unit_of_work())
    await asyncio.to_thread(paused.wait, 5)
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading
    database = runtime.engine.url.database
    assert database is not None

    def lock_is_free() -> None:
        other = sqlite3.connect(database, timeout=5)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        finally:
            other.close()

    await asyncio.to_thread(lock_is_free)
    async with Transaction(runtime.sessions) as session:
        workspace_id = (await session.scalars(select(Workspace.id))).one()
        session.add(newcomer(workspace_id, datetime.now(UTC), external_id="U9", name="Later"))
    async with Transaction(runtime.sessions) as session:
        assert [row.name for row in await reads.rows(session, slow, {"after": 0})] == ["alice", "Later"]
