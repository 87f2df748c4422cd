"""Migrations and models agree: after `upgrade head` there is nothing left for autogenerate to add."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from adapters.runtime import Runtime
from bot.storage import migrate
from bot.storage.models import AgendaItem, Base
from tests.integration.core import ask, rows
from tests.support.events import said

# Tables owned by slack_sdk's stores; they are created by migration 0002 on purpose.
OUTSIDE_THE_MODELS = {"slack_bots", "slack_installations", "slack_oauth_states"}


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    found = []
    for diff in compare_metadata(context, Base.metadata):
        entry = diff[0] if isinstance(diff, list) else diff
        table = getattr(entry[1], "name", None) if entry[0] in ("remove_table", "add_table") else None
        index_table = getattr(getattr(entry[1], "table", None), "name", None)
        if table in OUTSIDE_THE_MODELS or index_table in OUTSIDE_THE_MODELS:
            continue
        found.append(diff)
    return found


async def test_the_migrated_schema_matches_the_models(runtime: Runtime) -> None:
    async with runtime.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_every_migration_can_be_undone_and_redone(runtime: Runtime) -> None:
    await migrate.downgrade(runtime.engine, "base")
    await migrate.upgrade(runtime.engine)
    async with runtime.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_from_0012_the_slack_delivery_table_goes_and_the_claims_made_stay(runtime: Runtime) -> None:
    """From 0012 on: the table of processed Slack deliveries goes; the claims already made stay."""
    await migrate.downgrade(runtime.engine, "0012_one_time_claims")
    async with runtime.engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO slack_processed_deliveries (delivery_key, received_at) VALUES ('event:Ev1', :now)"),
            {"now": datetime(2026, 3, 2, 9, 0)},
        )
        await connection.execute(
            text("INSERT INTO one_time_claims (key, kept_until) VALUES ('teams:t1:file-offer:o1', :until)"),
            {"until": datetime(2026, 3, 9, 9, 0)},
        )
    await migrate.upgrade(runtime.engine)
    async with runtime.engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        kept = (await connection.execute(text("SELECT key FROM one_time_claims"))).scalars().all()
    assert "slack_processed_deliveries" not in tables
    assert kept == ["teams:t1:file-offer:o1"]


OLD_EXERCISE = "Picked an exercise so the same people are not featured two meetings running."
OLD_CLAUSE = "Never featured yet; waiting since 23 Nov 2026 and not the people featured last time."


async def test_from_0013_stored_people_reasons_of_a_team_with_anonymous_stories_are_said_neutrally(
    runtime: Runtime,
) -> None:
    """Reasons stored by the rotation that counted anonymous authors may tell who wrote an anonymous story: in a
    team that had one, the people rule is said neutrally, in the agenda and in the featuring history alike."""
    await ask(runtime, said("story anon A refund took a month | explain the wait", actor="bob"))
    await ask(runtime, said("story Lost parcel | rebooked | relieved | call first", actor="bob", channel="sales"))
    for channel in ("support", "sales"):
        for minutes in (30, 60):
            await ask(runtime, said(f"request in {minutes}m", channel=channel))
    items = await rows(runtime, AgendaItem, order_by=AgendaItem.id)
    assert len(items) == 4
    old = {items[0].id: OLD_EXERCISE, items[1].id: f"Picked again: it was withdrawn. {OLD_CLAUSE}"}
    old |= {items[2].id: OLD_EXERCISE, items[3].id: OLD_CLAUSE}
    await migrate.downgrade(runtime.engine, "0013_slack_delivery_claims")
    async with runtime.engine.begin() as connection:
        for table in ("agenda_items", "featurings"):
            column = "id" if table == "agenda_items" else "agenda_item_id"
            for item_id, reason in old.items():
                update = f"UPDATE {table} SET reason = :reason WHERE {column} = :id"
                await connection.execute(text(update), {"reason": reason, "id": item_id})
    await migrate.upgrade(runtime.engine)

    async with runtime.engine.connect() as connection:
        stored = {
            table: {n: r for n, r in await connection.execute(text(f"SELECT {column}, reason FROM {table}"))}
            for table, column in (("agenda_items", "id"), ("featurings", "agenda_item_id"))
        }
    for reasons in stored.values():
        support = [reasons[items[0].id], reasons[items[1].id]]
        assert support == [
            "Picked an exercise from the library, next by the rotation's rules.",
            "Picked again: it was withdrawn. Never featured yet; waiting since 23 Nov 2026 and next by the"
            " rotation's rules.",
        ]
        assert not any("people" in reason for reason in support)
        assert [reasons[items[2].id], reasons[items[3].id]] == [OLD_EXERCISE, OLD_CLAUSE]  # no anonymous story there
