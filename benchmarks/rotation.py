"""Rotation benchmark: is choosing the next Customer Moment still quick with a million stored moments?

For each database (a temporary SQLite file, a throw-away PostgreSQL database) it

1. builds the runtime as the CLI does (migrations included) and introduces a workspace, a channel
   (the team) and 100 people through the core; two of them opt out, so rotation has people to avoid;
2. bulk-inserts ``--moments`` moments into the team's pool — ~70 % stories, ~25 % shout-outs (with
   their recipients), ~5 % team exercises; ~90 % already featured 1–5 times, last featured anywhere in
   the past three years; mostly approved, some pending / withdrawn / rejected / hidden; 100 authors —
   plus ``--history`` past meetings (agenda items and featurings), then runs ANALYZE (unless
   ``--no-analyze``: the product itself never runs it);
3. times :func:`bot.services.picking.pick` ``--picks`` times, each in its own transaction for a new
   agenda item (so a new seed); every 10th round also runs ``request`` through the core, so moments
   really get featured and the pool's state moves;
4. splits a few picks into their SQL statements and prints the query plan of the per-kind candidate
   query (and of the slowest statement, when that is another one);
5. times ``--stories`` quick ``story … lesson: …`` submissions through ``CustomerMoment.handle``, one
   after another and from 8 concurrent tasks.

Target: p99 pick under 20 ms on both databases.

    .venv/bin/python -m benchmarks.rotation                                   # both databases, full size
    .venv/bin/python -m benchmarks.rotation --database sqlite --moments 100000 --picks 200
    CM_BENCH_POSTGRES_URL=postgresql://me@db:5432/postgres .venv/bin/python -m benchmarks.rotation --database postgres
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import math
import os
import random
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import InstrumentedAttribute

from adapters.composition import build
from adapters.runtime import Runtime
from adapters.settings import Settings
from benchmarks.common import throwaway_database
from bot.domain.lifecycle import AgendaState, Outcome
from bot.events import Incoming, Person, Place
from bot.services import picking
from bot.storage.models import AgendaItem, Featuring, Member, Moment, Recipient, Team, Workspace

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_P99_MS = 20.0
AUTHORS = 100
OPTED_OUT = 2
CHUNK = 20_000
WARMUP_PICKS = 10
PROFILED_PICKS = 50
CONCURRENCY = 8
SPAN = timedelta(days=3 * 365)
MAIN_QUERY_MARK = "ORDER BY moments.times_featured, moments.last_featured_at"

MOMENT_COLUMNS = tuple(column.name for column in Moment.__table__.columns)
RECIPIENT_COLUMNS = tuple(column.name for column in Recipient.__table__.columns)

STORIES = (
    (
        "Late delivery, early call",
        "A customer's order was going to miss the date they had promised their own client.",
        "Called them before they noticed, offered the two options we had and sent the tracking link.",
        "Surprised, then relieved; they thanked us for the heads-up.",
        "Deliver bad news early and bring options with it.",
        ["bad-news", "proactive"],
    ),
    (
        "The third transfer",
        "A caller had been transferred twice and was angry before saying hello.",
        "Owned the problem, did not transfer again, called the billing team myself while they waited.",
        "Calmed down and said it was the first time someone just handled it.",
        "Prevent anger rather than apologise for it.",
        ["ownership"],
    ),
    (
        "Internal customer",
        "Sales needed a quote checked in an hour for a renewal meeting.",
        "Treated it like an external request: confirmed the deadline, checked it, called back early.",
        "The account manager closed the renewal and told her team.",
        "Colleagues are customers too.",
        ["internal"],
    ),
)
SHOUTOUTS = (
    "Stayed on after hours to walk a customer through the migration step by step.",
    "Turned a detractor into a promoter by calling back the next day to check it worked.",
    "Explained a price increase honestly and kept the customer.",
)
EXERCISES = (
    ("Role play: the refund we cannot give", ["Pair up", "One plays the customer", "Swap after three minutes"]),
    ("Discussion: what would a promoter say about us?", ["Everyone writes one sentence", "Read them out"]),
)

# --------------------------------------------------------------------------------------------- results


@dataclass(slots=True)
class Latencies:
    """Durations in milliseconds, with nearest-rank percentiles."""

    samples: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.samples.append(seconds * 1000)

    def pct(self, p: float) -> float:
        if not self.samples:
            return math.nan
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    @property
    def max(self) -> float:
        return max(self.samples, default=math.nan)

    @property
    def mean(self) -> float:
        return sum(self.samples) / len(self.samples) if self.samples else math.nan


@dataclass(slots=True)
class StoryRun:
    concurrency: int
    count: int
    seconds: float
    failures: int
    latency: Latencies

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else math.nan


@dataclass(slots=True)
class Result:
    database: str
    moments: int = 0
    recipients: int = 0
    fill_seconds: float = 0.0
    analyze_seconds: float | None = None  # None: ANALYZE skipped
    size_mb: float = 0.0
    cold_pick_ms: float = 0.0
    load: tuple[float, float] = (math.nan, math.nan)  # 1-minute load average before / after the picks
    picks: Latencies = field(default_factory=Latencies)
    pick_cpu: Latencies = field(default_factory=Latencies)  # this process's CPU time (SQLite: all of the work)
    requests: Latencies = field(default_factory=Latencies)
    picked: Counter[str] = field(default_factory=Counter)
    stories: list[StoryRun] = field(default_factory=list)


# --------------------------------------------------------------------------------------------- databases


@asynccontextmanager
async def sqlite_database() -> AsyncIterator[str]:
    """A SQLite file in a temporary folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="cm_bench_") as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


# --------------------------------------------------------------------------------------------- the team


@dataclass(frozen=True, slots=True)
class Pool:
    place: Place
    people: tuple[Person, ...]
    workspace_id: int
    team_id: int
    member_ids: tuple[int, ...]  # in the order of ``people``


async def introduce(runtime: Runtime) -> Pool:
    """Workspace, channel and 100 people, made through the core as a surface would."""
    place = Place(
        platform="slack",
        workspace_id="TBENCH",
        workspace_name="Benchmark Inc",
        channel_id="CBENCH",
        channel_name="#customer-care",
    )
    people = tuple(Person(f"U{n:03d}", f"person{n:03d}") for n in range(AUTHORS))
    await runtime.core.introduce(place, people)
    for person in people[-OPTED_OUT:]:
        replies = await runtime.core.handle(Incoming(place=place, actor=person, text="optout"))
        if not replies or not replies[0].text.startswith("Done"):
            raise RuntimeError(f"optout failed: {replies}")
    async with runtime.sessions() as session:
        workspace = await session.scalar(
            select(Workspace).where(Workspace.platform == place.platform, Workspace.external_id == place.workspace_id)
        )
        assert workspace is not None
        team = await session.scalar(
            select(Team).where(Team.workspace_id == workspace.id, Team.external_id == place.channel_id)
        )
        assert team is not None
        rows = await session.execute(select(Member.external_id, Member.id).where(Member.workspace_id == workspace.id))
        ids = {external_id: member_id for external_id, member_id in rows}
    return Pool(place, people, workspace.id, team.id, tuple(ids[p.external_id] for p in people))


# --------------------------------------------------------------------------------------------- bulk fill


@dataclass(slots=True)
class Chunk:
    moments: list[dict[str, Any]]
    recipients: list[dict[str, Any]]


@dataclass(slots=True)
class Generator:
    """Realistic moments for one team, ids and creation times ascending together."""

    pool: Pool
    now: datetime
    rng: random.Random
    featured_ids: list[int] = field(default_factory=list)

    def moment(self, moment_id: int, index: int, count: int) -> tuple[dict[str, Any], list[int]]:
        rng = self.rng
        created = self.now - SPAN + SPAN * ((index + rng.random()) / count)
        roll = rng.random()
        kind = "story" if roll < 0.70 else "shoutout" if roll < 0.95 else "exercise"
        roll = rng.random()
        state = (
            "approved"
            if roll < 0.93
            else "pending"
            if roll < 0.96
            else "withdrawn"
            if roll < 0.98
            else "rejected"
            if roll < 0.99
            else "hidden"
        )
        author = rng.choice(self.pool.member_ids)
        times, last = 0, None
        if state not in ("pending", "rejected") and rng.random() < 0.93:
            times, last = rng.randint(1, 5), created + (self.now - created) * rng.random()
            if state == "approved":
                self.featured_ids.append(moment_id)
        row: dict[str, Any] = {
            "id": moment_id,
            "workspace_id": self.pool.workspace_id,
            "team_id": self.pool.team_id,
            "kind": kind,
            "state": state,
            "library_key": None,
            "author_id": author,
            "anonymous": kind == "story" and rng.random() < 0.05,
            "private": kind == "shoutout" and rng.random() < 0.03,
            "title": "",
            "situation": "",
            "action": "",
            "reaction": "",
            "lesson": "",
            "steps": [],
            "minutes": 10,
            "tags": [],
            "nps": None,
            "decision_note": "",
            "times_featured": times,
            "last_featured_at": last,
            "created_at": created,
            "decided_at": None,
            "decided_by": None,
        }
        recipients: list[int] = []
        if kind == "story":
            title, situation, action, reaction, lesson, tags = rng.choice(STORIES)
            row.update(
                title=title,
                situation=situation,
                action=action,
                reaction=reaction,
                lesson=lesson,
                tags=list(tags),
                nps=rng.choice((None, "promoter", "passive", "detractor")),
            )
        elif kind == "shoutout":
            row["situation"] = rng.choice(SHOUTOUTS)
            others = [m for m in rng.sample(self.pool.member_ids, 4) if m != author]
            recipients = others[: rng.choice((1, 1, 1, 2, 3))]
        else:
            title, steps = rng.choice(EXERCISES)
            row.update(title=title, situation=title, steps=list(steps))
        if state in ("approved", "rejected") and rng.random() < 0.2:
            row.update(decided_at=created + timedelta(hours=rng.uniform(1, 48)), decided_by=self.pool.member_ids[0])
        return row, recipients

    def chunks(self, first_id: int, count: int) -> Iterator[Chunk]:
        for start in range(0, count, CHUNK):
            chunk = Chunk([], [])
            for index in range(start, min(start + CHUNK, count)):
                moment_id = first_id + index
                row, recipients = self.moment(moment_id, index, count)
                chunk.moments.append(row)
                chunk.recipients += [{"moment_id": moment_id, "member_id": m, "hidden": False} for m in recipients]
            yield chunk


def _for_copy(row: dict[str, Any], columns: Sequence[str]) -> tuple[Any, ...]:
    """A row as asyncpg's COPY wants it: naive UTC timestamps, JSON as text."""
    values = []
    for name in columns:
        value = row[name]
        if isinstance(value, datetime):
            value = value.astimezone(UTC).replace(tzinfo=None)
        elif isinstance(value, list):
            value = json.dumps(value)
        values.append(value)
    return tuple(values)


async def _next_id(connection: AsyncConnection, id_column: InstrumentedAttribute[int]) -> int:
    return int(await connection.scalar(select(func.coalesce(func.max(id_column), 0))) or 0) + 1


async def _reset_sequence(connection: AsyncConnection, table: str) -> None:
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        )


async def fill(runtime: Runtime, pool: Pool, count: int, history: int, result: Result, *, analyze: bool = True) -> None:
    """Bulk-insert ``count`` moments (and recipients, and past meetings) in one transaction, then ANALYZE."""
    now = datetime.now(UTC)
    generator = Generator(pool, now, random.Random(20240611))
    postgres = runtime.engine.dialect.name == "postgresql"
    started = time.perf_counter()
    async with runtime.engine.begin() as connection:
        first_id = await _next_id(connection, Moment.id)  # also opens the transaction COPY joins
        driver: Any = (await connection.get_raw_connection()).driver_connection if postgres else None
        for number, chunk in enumerate(generator.chunks(first_id, count), start=1):
            if postgres:
                await driver.copy_records_to_table(
                    "moments", records=[_for_copy(r, MOMENT_COLUMNS) for r in chunk.moments], columns=MOMENT_COLUMNS
                )
                await driver.copy_records_to_table(
                    "recipients",
                    records=[_for_copy(r, RECIPIENT_COLUMNS) for r in chunk.recipients],
                    columns=RECIPIENT_COLUMNS,
                )
            else:
                await connection.execute(insert(Moment), chunk.moments)
                if chunk.recipients:
                    await connection.execute(insert(Recipient), chunk.recipients)
            result.moments += len(chunk.moments)
            result.recipients += len(chunk.recipients)
            if number % 10 == 0:
                print(f"  … {result.moments:,} moments ({time.perf_counter() - started:.0f} s)", flush=True)
        await _reset_sequence(connection, "moments")
        await _past_meetings(connection, pool, generator, history, now)
    result.fill_seconds = time.perf_counter() - started

    if analyze:
        started = time.perf_counter()
        async with runtime.engine.begin() as connection:
            await connection.exec_driver_sql("ANALYZE")
        result.analyze_seconds = time.perf_counter() - started
    async with runtime.engine.connect() as connection:
        if postgres:
            size = await connection.scalar(text("SELECT pg_database_size(current_database())"))
        else:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            size = await connection.scalar(
                text("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
            )
    result.size_mb = int(size or 0) / 1e6


async def _past_meetings(
    connection: AsyncConnection, pool: Pool, generator: Generator, count: int, now: datetime
) -> None:
    """``count`` past meetings over the three years, each with the featuring that filled it."""
    if count <= 0:
        return
    rng = generator.rng
    library = list(
        await connection.scalars(
            select(Moment.id).where(Moment.workspace_id == pool.workspace_id, Moment.library_key.is_not(None))
        )
    )
    first_id = await _next_id(connection, AgendaItem.id)
    items: list[dict[str, Any]] = []
    featurings: list[dict[str, Any]] = []
    for index in range(count):
        starts = now - SPAN + SPAN * (index / count)
        library_pick = library and rng.random() < 0.1
        moment_id = rng.choice(library) if library_pick else rng.choice(generator.featured_ids)
        outcome = rng.choices((Outcome.PRESENTED, Outcome.SKIPPED, Outcome.SWAPPED), weights=(90, 6, 4))[0]
        item_id = first_id + index
        items.append(
            {
                "id": item_id,
                "workspace_id": pool.workspace_id,
                "team_id": pool.team_id,
                "series_id": None,
                "starts_at": starts,
                "post_at": starts - timedelta(minutes=30),
                "state": AgendaState.SKIPPED if outcome == Outcome.SKIPPED else AgendaState.PRESENTED,
                "moment_id": moment_id,
                "reason": "benchmark history",
                "organizer_id": pool.member_ids[0],
                "created_at": starts - timedelta(minutes=30),
                "updated_at": starts + timedelta(hours=1),
            }
        )
        featurings.append(
            {
                "workspace_id": pool.workspace_id,
                "team_id": pool.team_id,
                "agenda_item_id": item_id,
                "moment_id": moment_id,
                "outcome": outcome,
                "reason": "benchmark history",
                "created_at": starts - timedelta(minutes=30),
            }
        )
    await connection.execute(insert(AgendaItem), items)
    await connection.execute(insert(Featuring), featurings)
    await _reset_sequence(connection, "agenda_items")


# --------------------------------------------------------------------------------------------- picking


class StatementLog(AbstractAsyncContextManager["StatementLog"]):
    """Records the SQL statements an engine sends while ``active``, with parameters and durations."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.sync_engine
        self.active = False
        self.entries: list[tuple[str, Any, float]] = []

    def _before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if self.active:
            self.entries.append((statement, parameters, time.perf_counter() - conn.info["bench_started"]))

    async def __aenter__(self) -> StatementLog:
        event.listen(self._engine, "before_cursor_execute", self._before)
        event.listen(self._engine, "after_cursor_execute", self._after)
        return self

    async def __aexit__(self, *exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._before)
        event.remove(self._engine, "after_cursor_execute", self._after)


async def one_pick(
    runtime: Runtime, pool: Pool, index: int, exclude: frozenset[int], log: StatementLog | None = None
) -> tuple[float, float, int | None]:
    """Time ``picking.pick`` for a new agenda item, in its own transaction, rolled back afterwards."""
    async with runtime.sessions() as session:
        team = await session.get(Team, pool.team_id)
        assert team is not None
        now = datetime.now(UTC)
        item = AgendaItem(
            workspace_id=pool.workspace_id,
            team_id=pool.team_id,
            series_id=None,
            starts_at=now + timedelta(days=1, minutes=index),
            post_at=now,
            state=AgendaState.SCHEDULED,
            organizer_id=pool.member_ids[0],
            created_at=now,
            updated_at=now,
        )
        session.add(item)
        await session.flush()
        if log is not None:
            log.active = True
        started, cpu = time.perf_counter(), time.process_time()
        choice = await picking.pick(session, item, team, now, exclude=exclude)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        if log is not None:
            log.active = False
        await session.rollback()
    return elapsed, cpu, None if choice is None else choice.moment_id


async def time_picks(runtime: Runtime, pool: Pool, count: int, result: Result) -> None:
    """``count`` timed picks; every 10th round also features a moment through ``request``."""
    organizer = pool.people[0]
    previous: int | None = None
    chosen_ids: list[int] = []
    for index in range(WARMUP_PICKS + count):
        exclude = frozenset({previous}) if previous is not None and index % 5 == 4 else frozenset()
        elapsed, cpu, chosen = await one_pick(runtime, pool, index, exclude)
        if index == 0:
            result.cold_pick_ms = elapsed * 1000
        if index < WARMUP_PICKS:
            continue
        result.picks.add(elapsed)
        result.pick_cpu.add(cpu)
        previous = chosen
        if chosen is not None:
            chosen_ids.append(chosen)
        if (index - WARMUP_PICKS) % 10 == 9:
            started = time.perf_counter()
            replies = await runtime.core.handle(Incoming(place=pool.place, actor=organizer, text="request"))
            result.requests.add(time.perf_counter() - started)
            if not replies or replies[0].card is None:
                raise RuntimeError(f"request failed: {replies}")
    async with runtime.sessions() as session:
        kinds = {
            moment_id: "library exercise" if library_key else kind
            for moment_id, kind, library_key in await session.execute(
                select(Moment.id, Moment.kind, Moment.library_key).where(Moment.id.in_(set(chosen_ids)))
            )
        }
    result.picked = Counter(kinds[moment_id] for moment_id in chosen_ids)


def _label(statement: str) -> str:
    flat = " ".join(statement.split())
    _, found, rest = flat.partition(" FROM ")
    return ("FROM " + rest if found else flat)[:150]


async def profile_picks(runtime: Runtime, pool: Pool, count: int) -> list[tuple[str, Any, Latencies]]:
    """Per-statement durations over ``count`` picks, slowest in total first."""
    async with StatementLog(runtime.engine) as log:
        for index in range(count):
            await one_pick(runtime, pool, 10_000 + index, frozenset(), log)
    by_statement: dict[str, tuple[Any, Latencies]] = {}
    for statement, parameters, elapsed in log.entries:
        by_statement.setdefault(statement, (parameters, Latencies()))[1].add(elapsed)
    ranked = sorted(by_statement.items(), key=lambda kv: -sum(kv[1][1].samples))
    return [(statement, parameters, latencies) for statement, (parameters, latencies) in ranked]


async def explain(runtime: Runtime, statement: str, parameters: Any) -> list[str]:
    """The database's plan for one recorded statement (PostgreSQL: with actual timings)."""
    postgres = runtime.engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    async with runtime.engine.connect() as connection:
        rows: list[Any] = list(await connection.exec_driver_sql(prefix + statement, parameters))
    if postgres:
        return [str(row[0]) for row in rows]
    depth: dict[int, int] = {0: 0}
    lines = []
    for row in rows:
        node, parent, detail = int(row[0]), int(row[1]), str(row[3])
        depth[node] = depth.get(parent, 0) + 1
        lines.append("  " * (depth[node] - 1) + detail)
    return lines


# --------------------------------------------------------------------------------------------- stories


async def time_stories(runtime: Runtime, pool: Pool, count: int, concurrency: int) -> StoryRun:
    """``count`` quick story submissions through the core from ``concurrency`` tasks."""
    numbers = itertools.count()
    latency = Latencies()
    failures: list[str] = []

    async def worker() -> None:
        while (n := next(numbers)) < count:
            incoming = Incoming(
                place=pool.place,
                actor=pool.people[n % len(pool.people)],
                text=f"story Customer {n} could not log in an hour before a deadline"
                " did: stayed on the call until it worked reaction: relieved"
                " lesson: stay with the customer until it is fixed",
            )
            started = time.perf_counter()
            replies = await runtime.core.handle(incoming)
            latency.add(time.perf_counter() - started)
            if not replies or not replies[0].text.startswith("Thanks!"):
                failures.append(replies[0].text if replies else "no reply")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    if failures:
        print(f"  ! {len(failures)} failed submissions, e.g. {Counter(failures).most_common(2)}", flush=True)
    return StoryRun(concurrency, count, seconds, len(failures), latency)


# --------------------------------------------------------------------------------------------- a run


async def run(database: str, url: str, options: argparse.Namespace) -> Result:
    result = Result(database)
    print(f"\n=== {database}: {make_url(url).render_as_string(hide_password=True)}", flush=True)
    runtime = await build(Settings(DATABASE_URL=url))
    try:
        pool = await introduce(runtime)
        print(f"filling the pool with {options.moments:,} moments …", flush=True)
        await fill(runtime, pool, options.moments, options.history, result, analyze=not options.no_analyze)
        print(
            f"  filled {result.moments:,} moments + {result.recipients:,} recipients in {result.fill_seconds:.1f} s,"
            f" {_analyze(result)}, database {result.size_mb:,.0f} MB",
            flush=True,
        )

        print(f"timing {options.picks} picks …", flush=True)
        before = os.getloadavg()[0]
        await time_picks(runtime, pool, options.picks, result)
        result.load = (before, os.getloadavg()[0])

        profile = await profile_picks(runtime, pool, min(PROFILED_PICKS, options.picks))
        count = min(PROFILED_PICKS, options.picks)
        print(f"\nSQL per pick ({count} profiled picks; mean / p99 / max ms per execution, executions per pick):")
        for statement, _, latencies in profile:
            print(
                f"  {latencies.mean:7.2f} {latencies.pct(99):7.2f} {latencies.max:7.2f}"
                f"  ×{len(latencies.samples) / count:4.1f}  {_label(statement)}"
            )
        main = next(((s, p) for s, p, _ in profile if MAIN_QUERY_MARK in s), None)
        if main is not None:
            print("\nPlan of the per-kind candidate query (ix_moments_rotation expected):")
            print("  " + main[0].strip().replace("\n", "\n  "))
            print(f"  parameters: {main[1]}")
            for line in await explain(runtime, *main):
                print("  | " + line)
        slowest = max(profile, key=lambda entry: entry[2].max, default=None)
        if slowest is not None and (main is None or slowest[0] != main[0]):
            print("\nPlan of the statement with the slowest single execution:")
            print("  " + slowest[0].strip().replace("\n", "\n  "))
            for line in await explain(runtime, slowest[0], slowest[1]):
                print("  | " + line)

        print(f"\nsubmitting {options.stories:,} stories sequentially, then from {CONCURRENCY} tasks …", flush=True)
        result.stories.append(await time_stories(runtime, pool, options.stories, 1))
        result.stories.append(await time_stories(runtime, pool, options.stories, CONCURRENCY))
    finally:
        await runtime.close()
    report(result)
    return result


def _analyze(result: Result) -> str:
    return "ANALYZE skipped" if result.analyze_seconds is None else f"ANALYZE {result.analyze_seconds:.1f} s"


def report(result: Result) -> None:
    picks = result.picks
    verdict = "OK" if picks.pct(99) < TARGET_P99_MS else "MISSED"
    lines = [
        f"\n--- {result.database} results",
        f"  pool                     {result.moments:>12,} moments, {result.recipients:,} recipients,"
        f" {result.size_mb:,.0f} MB",
        f"  fill (bulk insert)       {result.fill_seconds:>12.1f} s  ({result.moments / result.fill_seconds:,.0f}"
        f" moments/s), {_analyze(result)}",
        f"  pick, first (cold)       {result.cold_pick_ms:>12.2f} ms",
        f"  pick p50 / p95 / p99     {picks.pct(50):>12.2f} / {picks.pct(95):.2f} / {picks.pct(99):.2f} ms"
        f"  (n={len(picks.samples)})",
        f"  pick max                 {picks.max:>12.2f} ms",
        f"  pick CPU p50 / p99       {result.pick_cpu.pct(50):>12.2f} / {result.pick_cpu.pct(99):.2f} ms"
        f"  (this process only{'; SQLite runs in it' if result.database == 'sqlite' else ''})",
        f"  p99 target {TARGET_P99_MS:.0f} ms         {verdict:>12}",
        f"  request p50 / p99        {result.requests.pct(50):>12.2f} / {result.requests.pct(99):.2f} ms"
        f"  (whole `request` command: pick + feature + card, n={len(result.requests.samples)})",
        f"  picked                   {', '.join(f'{k}: {v}' for k, v in result.picked.most_common())}",
        f"  machine load             {result.load[0]:>12.2f} → {result.load[1]:.2f}"
        f"  (1-min load average before / after the picks, on {os.cpu_count()} CPUs; busy machines inflate tails)",
    ]
    for run_ in result.stories:
        lines.append(
            f"  stories, {run_.concurrency} task{'s' if run_.concurrency > 1 else ' '}         "
            f"{run_.per_second:>12,.0f} /s   latency p50 {run_.latency.pct(50):.2f} ms,"
            f" p99 {run_.latency.pct(99):.2f} ms, failed {run_.failures}"
        )
    print("\n".join(lines), flush=True)


def summary(results: Sequence[Result]) -> None:
    if len(results) < 2:
        return
    rows: dict[str, list[str]] = defaultdict(list)
    for r in results:
        rows["fill (s)"].append(f"{r.fill_seconds:.1f}")
        rows["pick p50 (ms)"].append(f"{r.picks.pct(50):.2f}")
        rows["pick p95 (ms)"].append(f"{r.picks.pct(95):.2f}")
        rows["pick p99 (ms)"].append(f"{r.picks.pct(99):.2f}")
        rows["pick max (ms)"].append(f"{r.picks.max:.2f}")
        rows["pick CPU p99 (ms)"].append(f"{r.pick_cpu.pct(99):.2f}")
        rows["request p99 (ms)"].append(f"{r.requests.pct(99):.2f}")
        for run_ in r.stories:
            rows[f"stories/s, {run_.concurrency} task(s)"].append(f"{run_.per_second:,.0f}")
        rows["load avg during picks"].append(f"{max(r.load):.2f}")
    print("\n=== summary (target: p99 pick < 20 ms)")
    print(f"  {'':24}" + "".join(f"{r.database:>14}" for r in results))
    for name, values in rows.items():
        print(f"  {name:24}" + "".join(f"{v:>14}" for v in values))


async def main_async(options: argparse.Namespace) -> None:
    databases = ["sqlite", "postgres"] if options.database == "both" else [options.database]
    results = []
    for database in databases:
        target = sqlite_database() if database == "sqlite" else throwaway_database(options.postgres_url)
        async with target as url:
            results.append(await run(database, url, options))
    summary(results)


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--moments", type=int, default=1_000_000, help="moments in the team's pool")
    parser.add_argument("--picks", type=int, default=500, help="timed picks")
    parser.add_argument("--stories", type=int, default=2000, help="story submissions per run")
    parser.add_argument("--history", type=int, default=1000, help="past meetings (agenda items with featurings)")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="skip ANALYZE after the fill (the product never runs it; SQLite then plans without statistics)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("CM_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="server to create the throw-away database on (env CM_BENCH_POSTGRES_URL)",
    )
    options = parser.parse_args(argv)
    if options.moments < 1 or options.picks < 1 or options.stories < 1:
        parser.error("--moments, --picks and --stories must be positive")
    return options


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(main_async(parse(argv)))


if __name__ == "__main__":
    main()
