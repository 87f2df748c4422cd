"""`customer-moment check` tells whether the database can be reached and its schema is up to date."""

from __future__ import annotations

from pathlib import Path

from adapters.cli.check import database_problems
from adapters.composition import migrate
from adapters.runtime import Runtime
from adapters.settings import Settings


async def test_a_migrated_database_has_no_problems(runtime: Runtime) -> None:
    assert await database_problems(runtime.settings) == []


async def test_a_database_behind_this_version_is_told_to_migrate(tmp_path: Path) -> None:
    settings = Settings(DATABASE_URL=f"sqlite:///{tmp_path / 'new.db'}")
    (problem,) = await database_problems(settings)
    assert problem.startswith("DATABASE_URL: schema is at nothing, this version needs ")
    assert "customer-moment migrate" in problem
    await migrate(settings)
    assert await database_problems(settings) == []


async def test_an_unreachable_database_is_named_with_its_address() -> None:
    settings = Settings(DATABASE_URL="postgresql://nobody@127.0.0.1:1/nowhere")
    (problem,) = await database_problems(settings)
    assert problem.startswith("DATABASE_URL: cannot reach the database at 127.0.0.1:1/nowhere")
