"""Slack acknowledgement benchmark: how fast does ``/moment`` get its 200, under load, on each database?

Slack gives a slash command 3 seconds. For each database (a temporary SQLite file, a throw-away
PostgreSQL database) this starts three servers, each in its own process, and fires signed,
form-encoded ``/moment help`` and ``/moment queue`` requests at them exactly as Slack would:

* ``full``: the real server (``adapters.http.server.create_app`` + the Slack surface, token mode,
  migrations, the core doing the work after the ack and answering through a fake Slack Web API);
* ``bolt``: a bare Bolt ``AsyncApp`` mounted the same way whose only listener acks;
* ``bare``: a bare aiohttp handler that only verifies the signature.

Two phases per server: an open loop at ``--rate`` requests/s for ``--seconds`` (time-to-acknowledge
p50/p99/max), then a closed loop with ``--concurrency`` clients as fast as they go (throughput).
For ``full`` it also reports, per command (help, queue), the time to the *answer* — from sending the
command to its answer reaching the load generator in the acknowledgement, or the fake Slack's
``response_url`` — p50/p99/max, and answers per second
(answers that arrived within the phase), since that, not the ack, is what a person waits for.
Targets on a 2-core machine: p99 ack < 100 ms at 200 req/s, full throughput ≥ 60 % of bare Bolt.

    .venv/bin/python -m benchmarks.slack_ack                        # both databases
    .venv/bin/python -m benchmarks.slack_ack --database sqlite --rate 200 --seconds 10
    CM_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m benchmarks.slack_ack
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import logging
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from benchmarks.answers import AnswerLog, Latencies
from benchmarks.common import free_port, throwaway_database

if TYPE_CHECKING:
    from tests.support.fake_slack import FakeSlack

SECRET = "benchmark-signing-secret"
TOKEN = "xoxb-T1-benchmark"
USERS = 50
TARGETS = ("full", "bolt", "bare")
COMMANDS = ("help", "queue")


# --- the servers (each runs in its own process) -------------------------------------------------------


def bare_app() -> web.Application:
    verifier = SignatureVerifier(SECRET)

    async def events(request: web.Request) -> web.Response:
        body = await request.text()
        if not verifier.is_valid(
            body, request.headers.get("X-Slack-Request-Timestamp", ""), request.headers.get("X-Slack-Signature", "")
        ):
            return web.Response(status=401)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/slack/events", events)
    return app


def bolt_app() -> web.Application:
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncAck, AsyncApp
    from slack_bolt.authorization import AuthorizeResult

    async def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=TOKEN, user_id=user_id)

    bolt = AsyncApp(signing_secret=SECRET, authorize=authorize, name="bench")

    async def moment(ack: AsyncAck) -> None:
        await ack()

    bolt.command("/moment")(moment)

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    return app


async def full_app(database_url: str, api_url: str) -> web.Application:
    from adapters.composition import build
    from adapters.http.server import create_app
    from adapters.settings import Settings
    from adapters.slack.surface import build_slack_surface

    settings = Settings(
        DATABASE_URL=database_url, SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=api_url
    )
    runtime = await build(settings)
    surface = await build_slack_surface(
        settings,
        core=runtime.core,
        engine=runtime.engine,
        foreground=runtime.foreground,
        claims=runtime.backend.claims(),
    )
    app = create_app(engine=runtime.engine, surfaces=[surface], max_body_bytes=settings.max_body_bytes)

    async def dispose(_app: web.Application) -> None:
        await runtime.close()

    app.on_cleanup.append(dispose)
    return app


async def serve(target: str, port: int, database_url: str, api_url: str) -> None:
    logging.basicConfig(level=logging.WARNING, filename=Path(tempfile.gettempdir()) / f"slack_ack_{target}.log")
    app = await full_app(database_url, api_url) if target == "full" else bolt_app() if target == "bolt" else bare_app()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("READY", flush=True)
    try:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    finally:
        await runner.cleanup()


# --- the load -------------------------------------------------------------------------------------


@dataclass
class Result:
    sent: int
    ok: int
    seconds: float
    latencies: list[float]

    def line(self, label: str) -> str:
        ms = sorted(x * 1000 for x in self.latencies) or [0.0]
        p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]  # noqa: E731 - a tiny local helper
        return (
            f"{label:<34} {self.ok / self.seconds:8.1f} req/s  p50 {p(0.50):6.1f} ms  p99 {p(0.99):6.1f} ms"
            f"  max {ms[-1]:7.1f} ms  errors {self.sent - self.ok}"
        )


class Load:
    def __init__(self, url: str, api_url: str, fake: FakeSlack | None = None) -> None:
        self.url = url
        self.api_url = api_url
        self.fake = fake  # told what acknowledgements carry: the answers Slack shows from them
        self.signer = SignatureVerifier(SECRET)
        self.ids = itertools.count(1)
        self.sent: dict[str, tuple[str, float]] = {}  # request number → command, when it was sent

    def request(self) -> tuple[str, bytes, dict[str, str]]:
        n = next(self.ids)
        self.sent[str(n)] = (COMMANDS[n % 2 == 0], time.monotonic())
        body = urlencode(
            {
                "team_id": "T1",
                "team_domain": "bench",
                "channel_id": "C1",
                "channel_name": "support",
                "user_id": f"U{n % USERS + 1}",
                "user_name": f"user{n % USERS + 1}",
                "command": "/moment",
                "text": COMMANDS[n % 2 == 0],
                "response_url": f"{self.api_url.removesuffix('api/')}response/r{n}",
                "trigger_id": f"bench-{uuid.uuid4().hex}",
            }
        )
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": self.signer.generate_signature(timestamp=stamp, body=body),
        }
        return f"r{n}", body.encode(), headers

    async def one(self, session: aiohttp.ClientSession, latencies: list[float]) -> bool:
        name, body, headers = self.request()
        started = time.perf_counter()
        try:
            async with session.post(self.url, data=body, headers=headers) as response:
                carried = await response.text()
                ok = response.status == 200
        except aiohttp.ClientError:
            return False
        latencies.append(time.perf_counter() - started)
        if ok and self.fake is not None:
            self.fake.acknowledged(name, carried)
        return ok

    async def open_loop(self, session: aiohttp.ClientSession, *, rate: float, seconds: float) -> Result:
        total = int(rate * seconds)
        latencies: list[float] = []
        start = time.perf_counter()
        tasks = []
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.one(session, latencies)))
        results = await asyncio.gather(*tasks)
        return Result(total, sum(results), time.perf_counter() - start, latencies)

    async def closed_loop(self, session: aiohttp.ClientSession, *, concurrency: int, seconds: float) -> Result:
        latencies: list[float] = []
        counts = [0, 0]
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                counts[0] += 1
                ok = await self.one(session, latencies)
                counts[1] += ok

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return Result(counts[0], counts[1], time.perf_counter() - start, latencies)


@contextlib.asynccontextmanager
async def server_process(target: str, database_url: str, api_url: str) -> AsyncIterator[str]:
    """The server in a process of its own; its warnings go to ``slack_ack_<target>.log`` in the temp folder."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.slack_ack",
        "--serve",
        target,
        "--port",
        str(port),
        "--database-url",
        database_url,
        "--api-url",
        api_url,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    if line.strip() != b"READY":
        raise RuntimeError(f"{target} server did not start: {line!r}")
    try:
        yield f"http://127.0.0.1:{port}/slack/events"
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout=15)
        except TimeoutError:
            process.kill()


async def collect_answers(
    log: AnswerLog, load: Load, arrivals: dict[str, float], *, expected: int, patience: float
) -> None:
    """Add answers to ``arrivals`` until ``expected`` of the requests sent have one, or ``patience`` runs out."""
    deadline = time.monotonic() + patience
    while True:
        arrivals.update((key, at) for key, at in log.collect().items() if key in load.sent)
        if len(arrivals) >= expected or time.monotonic() >= deadline:
            return
        await asyncio.sleep(0.05)


def print_answers(load: Load, arrivals: dict[str, float], *, began: float, ended: float, busy: int) -> None:
    """Time to the answer per command (``busy``: how many of the answers were the busy answer), and answers
    per second that arrived during the phase."""
    by_command: dict[str, Latencies] = {command: Latencies() for command in COMMANDS}
    for key, (command, sent) in load.sent.items():
        if key in arrivals:
            by_command[command].values.append(arrivals[key] - sent)
    for command, latencies in by_command.items():
        print(f"{'':34} answer to {command:<5} {latencies.summary()}  ({len(latencies.values)} answered)")
    within = sum(1 for at in arrivals.values() if at <= ended)
    last = max(arrivals.values(), default=ended)
    print(
        f"{'':34} {within / (ended - began):8.1f} answers/s during the phase; "
        f"{len(load.sent) - len(arrivals)} unanswered; {busy} busy (shed); "
        f"last answer {max(0.0, last - ended):.2f} s after the phase"
    )


def busy_answers(fake: object) -> int:
    """How many of the answers the fake Slack received are the busy answer."""
    from adapters.http.overload import BUSY
    from tests.support.fake_slack import FakeSlack

    assert isinstance(fake, FakeSlack)
    return sum(BUSY in json.dumps(body, ensure_ascii=False) for _, body in fake.responses)


@contextlib.contextmanager
def no_collector_pauses() -> Iterator[None]:
    """Keep the load generator's own garbage collection from showing up as server latency."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def bench_database(label: str, database_url: str, args: argparse.Namespace) -> None:
    from tests.support.fake_slack import FakeSlack

    fake = await FakeSlack().start()
    fake.add_workspace(TOKEN, "T1", "bench")
    for n in range(1, USERS + 1):
        fake.add_user(f"U{n}", f"User {n}", team_id="T1")
    print(f"\n== {label}: {args.rate:.0f} req/s for {args.seconds:.0f} s, then {args.concurrency} clients flat out")
    throughput: dict[str, float] = {}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        for target in args.targets:
            async with server_process(target, database_url, fake.api_url) as url:
                load = Load(url, fake.api_url, fake)
                log = AnswerLog(fake)
                for _ in range(USERS):  # warm up one by one: members exist, users.info cached, pools full
                    await load.one(session, [])
                    if target == "full":
                        await collect_answers(log, load, {}, expected=1, patience=30)
                    load.sent.clear()
                fake.responses.clear()
                log.collect()
                arrivals: dict[str, float] = {}
                began = time.monotonic()
                with no_collector_pauses():
                    paced = await load.open_loop(session, rate=args.rate, seconds=args.seconds)
                ended = time.monotonic()
                print(paced.line(f"{target}: open loop"))
                if target == "full":
                    await collect_answers(log, load, arrivals, expected=paced.ok, patience=120)
                    print_answers(load, arrivals, began=began, ended=ended, busy=busy_answers(fake))
                fake.responses.clear()
                load.sent.clear()
                arrivals = {}
                began = time.monotonic()
                with no_collector_pauses():
                    flat = await load.closed_loop(session, concurrency=args.concurrency, seconds=args.seconds)
                ended = time.monotonic()
                print(flat.line(f"{target}: closed loop"))
                if target == "full":
                    await collect_answers(log, load, arrivals, expected=flat.ok, patience=args.seconds)
                    print_answers(load, arrivals, began=began, ended=ended, busy=busy_answers(fake))
                throughput[target] = flat.ok / flat.seconds
                fake.responses.clear()
    if "full" in throughput and "bolt" in throughput:
        print(f"full / bare Bolt throughput: {100 * throughput['full'] / throughput['bolt']:.0f} %")
    await fake.close()


async def main(args: argparse.Namespace) -> None:
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            await bench_database("SQLite", f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", args)
    postgres = os.environ.get("CM_BENCH_POSTGRES_URL") or os.environ.get("CM_TEST_POSTGRES_URL")
    if args.database in ("postgres", "both"):
        if not postgres:
            print("\n== PostgreSQL skipped: set CM_BENCH_POSTGRES_URL")
            return
        async with throwaway_database(postgres) as url:
            await bench_database("PostgreSQL", url, args)


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second in the open loop")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--concurrency", type=int, default=32, help="clients in the closed loop")
    parser.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS))
    parser.add_argument("--serve", choices=TARGETS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse()
    if arguments.serve:
        asyncio.run(serve(arguments.serve, arguments.port, arguments.database_url, arguments.api_url))
    else:
        asyncio.run(main(arguments))
