"""Where a command's CPU goes: the core's work per ``/moment`` command, without HTTP, on each database.

The load benchmark measures a command end to end (Bolt's parsing and signature check, the core, the
answer's outgoing call). This one takes the HTTP away and runs the core alone, one command at a time,
on the same seeded workspace (20 channels, 50 members, three stories and an open agenda item per
channel): for each command of the slash mix, the CPU time of this process per call (p50 and mean; on
PostgreSQL the server's own CPU is not in it) and the statements it sends (``BEGIN`` and ``COMMIT``
not counted). What the load benchmark's "server CPU per request" shows beyond these figures is the
HTTP side.

    .venv/bin/python -m benchmarks.commands                     # both databases, 400 calls each
    .venv/bin/python -m benchmarks.commands --database sqlite --calls 1000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event

from benchmarks.common import throwaway_database
from benchmarks.load import CHANNELS, STORY_TEXTS, TEAM, USERS, seed_people
from bot.storage import pg_begin, sqlite_trips

COMMANDS = {
    "help": "help",
    "queue": "queue",
    "mine": "mine",
    "stats": "stats 30",
    "story": f"story {STORY_TEXTS[0]}",
}


async def measure(database_url: str, calls: int) -> None:
    """Seed, warm up, then time each command ``calls`` times across the channels and members."""
    from adapters.composition import build
    from adapters.settings import Settings
    from bot.events import Incoming, Person, Place

    await seed_people(database_url)
    runtime = await build(Settings(DATABASE_URL=database_url), apply_migrations=False)
    statements = 0

    def counted(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        nonlocal statements
        statements += not statement.startswith(("BEGIN", "COMMIT"))

    engine = runtime.sessions.kw["bind"]
    event.listen(engine.sync_engine, "before_cursor_execute", counted)
    # Reads run straight on the driver (bot/storage/reads.py) pass no cursor: count them where they run.
    drivers = (pg_begin.LazyBeginConnection, sqlite_trips.OneTripConnection)
    originals = [driver.read_rows for driver in drivers]
    for driver, read_rows in zip(drivers, originals, strict=True):

        async def counted_read(self: Any, sql: str, parameters: Any, read_rows: Any = read_rows) -> Any:
            nonlocal statements
            statements += 1
            return await read_rows(self, sql, parameters)

        driver.read_rows = counted_read  # type: ignore[method-assign]

    async def run(text: str, n: int) -> list[float]:
        seconds = []
        for i in range(n):
            channel = i % CHANNELS
            place = Place(platform="slack", workspace_id=TEAM, channel_id=f"C{channel:04d}", channel_name="team")
            actor = Person(f"U{i % USERS + 1}", f"User {i % USERS + 1}")
            started = time.process_time()
            await runtime.core.handle(Incoming(place=place, actor=actor, text=text))
            seconds.append(time.process_time() - started)
        return seconds

    try:
        for text in COMMANDS.values():
            await run(text, 50)
        means = []
        for name, text in COMMANDS.items():
            statements = 0
            seconds = sorted(await run(text, calls))
            mean = sum(seconds) / calls
            means.append(mean)
            print(
                f"{name:6} CPU p50 {1000 * seconds[calls // 2]:5.2f} ms  mean {1000 * mean:5.2f} ms  "
                f"statements {statements / calls:4.1f} per call"
            )
        print(f"the mix (each command equally often): {1000 * sum(means) / len(means):.2f} ms of CPU per command")
    finally:
        for driver, read_rows in zip(drivers, originals, strict=True):
            driver.read_rows = read_rows  # type: ignore[method-assign]
        await runtime.close()


@contextlib.asynccontextmanager
async def database(kind: str) -> AsyncIterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'commands.db'}"
        return
    async with throwaway_database(os.environ.get("CM_BENCH_POSTGRES_URL", POSTGRES)) as url:
        yield url


POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


async def main(args: argparse.Namespace) -> None:
    kinds = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    for kind in kinds:
        print(f"\n== {'SQLite' if kind == 'sqlite' else 'PostgreSQL'}: {args.calls} calls per command")
        async with database(kind) as url:
            await measure(url, args.calls)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--calls", type=int, default=400, help="calls per command")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
