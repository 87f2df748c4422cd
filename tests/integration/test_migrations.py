"""Migrations and models agree: after `upgrade head` there is nothing left for autogenerate to add."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from adapters.runtime import Runtime
from bot.storage import migrate
from bot.storage.models import Base

# Tables owned by slack_sdk's stores and the Slack surface; they are created by migration 0002 on purpose.
OUTSIDE_THE_MODELS = {"slack_bots", "slack_installations", "slack_oauth_states", "slack_processed_deliveries"}


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
