"""Log lines carry ids, not content: a failing statement that holds a story leaves no story in the logs.

The database is made to refuse every new moment with a trigger (on PostgreSQL the trigger's message
even quotes the story back), so the failure is a real driver error with the story in its parameters.
"""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import text

from adapters.cli import logs
from adapters.runtime import Runtime
from bot import commands
from bot.core import BROKEN, UNAVAILABLE
from tests.support.events import said

STORY = "Mrs Kowalczyk from Kowalczyk Dental cried on the phone about invoice 8812"
LESSON = "call Mrs Kowalczyk before she calls us"


async def refuse_new_moments(runtime: Runtime) -> None:
    async with runtime.engine.begin() as connection:
        if runtime.engine.dialect.name == "postgresql":
            await connection.execute(
                text(
                    "CREATE OR REPLACE FUNCTION refuse_moment() RETURNS trigger AS $$ "
                    "BEGIN RAISE EXCEPTION 'refused: %', NEW.situation; END $$ LANGUAGE plpgsql"
                )
            )
            await connection.execute(text("DROP TRIGGER IF EXISTS refuse_moment ON moments"))
            await connection.execute(
                text(
                    "CREATE TRIGGER refuse_moment BEFORE INSERT ON moments "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_moment()"
                )
            )
        else:
            await connection.execute(
                text(
                    "CREATE TRIGGER refuse_moment BEFORE INSERT ON moments WHEN NEW.kind = 'story' "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )


async def allow_new_moments(runtime: Runtime) -> None:
    async with runtime.engine.begin() as connection:
        await connection.execute(
            text(
                "DROP TRIGGER IF EXISTS refuse_moment"
                + (" ON moments" if runtime.engine.dialect.name == "postgresql" else "")
            )
        )


async def test_a_failing_statement_with_a_story_in_it_logs_no_story_text(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    await runtime.core.handle(said("help"))  # the workspace, member and library exist before the trap is set
    await refuse_new_moments(runtime)
    try:
        with caplog.at_level(logging.INFO):
            replies = await runtime.core.handle(said(f"story {STORY} lesson: {LESSON}"))
    finally:
        await allow_new_moments(runtime)
    assert [r.text for r in replies] in ([UNAVAILABLE], [BROKEN])
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert failures, "the failure is logged"
    assert any("command 'story'" in r.getMessage() for r in failures)
    for word in ("Kowalczyk", "invoice 8812", "before she calls"):
        assert word not in caplog.text


async def test_an_unexpected_error_quoting_its_input_logs_no_input(
    runtime: Runtime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def choke(ctx: object, line: str) -> None:
        raise ValueError(f"could not read {line!r}")

    monkeypatch.setattr(commands, "run_command", choke)
    with caplog.at_level(logging.INFO):
        replies = await runtime.core.handle(said(f"story {STORY} lesson: {LESSON}"))
    assert [r.text for r in replies] == [BROKEN]
    assert "ValueError" in caplog.text and "choke" in caplog.text  # the kind and the code path are there
    assert "Kowalczyk" not in caplog.text


async def test_at_debug_level_no_library_logs_a_statement_s_values(runtime: Runtime) -> None:
    """LOG_LEVEL=DEBUG is for the product's own lines; the database driver's echo of values stays off."""
    stream = io.StringIO()
    root = logging.getLogger()
    kept = root.handlers[:], root.level
    touched = {name: logging.getLogger(name).level for name in logs.QUIET_AT_DEBUG}
    try:
        logs.configure("DEBUG", "text", stream=stream)
        await runtime.core.handle(said(f"story {STORY} lesson: {LESSON}"))
    finally:
        root.handlers[:], level = kept
        root.setLevel(level)
        for name, old in touched.items():
            logging.getLogger(name).setLevel(old)
    assert "story" in stream.getvalue()  # the product's own lines are there
    assert "Kowalczyk" not in stream.getvalue()


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
async def test_no_level_echoes_sql_statements(runtime: Runtime, level: str) -> None:
    """The statements themselves stay out of the logs too: SQLAlchemy's echo is a line per statement."""
    stream = io.StringIO()
    root = logging.getLogger()
    kept = root.handlers[:], root.level
    touched = {name: logging.getLogger(name).level for name in logs.QUIET_AT_DEBUG}
    try:
        logs.configure(level, "text", stream=stream)
        await runtime.core.handle(said(f"story {STORY} lesson: {LESSON}"))
    finally:
        root.handlers[:], old_level = kept
        root.setLevel(old_level)
        for name, old in touched.items():
            logging.getLogger(name).setLevel(old)
    assert "sqlalchemy.engine" not in stream.getvalue()
    assert "INSERT INTO" not in stream.getvalue()
