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
from bot.storage.models import Base

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
