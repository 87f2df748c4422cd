"""The load benchmark's step test (``python -m benchmarks.load --step``): the sustainable rate per process.

Rates rise from ``--step-from`` by ``--step-by`` requests/s, ``--step-seconds`` each, until the time to
the answer (not the ack) passes ``--step-p99`` ms at the 99th percentile, a request fails, more than
a request goes unanswered, or anything is answered "busy". The last rate that held, divided by the server
processes, is what one process sustains on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

from benchmarks.answers import Latencies
from benchmarks.load import Load, report, tree_cpu_seconds


async def step_test(
    args: argparse.Namespace, load: Load, server: asyncio.subprocess.Process, *, stats_url: str
) -> None:
    """Rates rising by ``--step-by`` until the answer p99 passes ``--step-p99`` (or errors or unanswered
    requests appear); prints the last rate that held, overall and per server process."""
    limit = args.step_p99 / 1000
    held: float | None = None
    rate = args.step_from
    rows: list[str] = []

    async def busy() -> int:
        """Busy answers the fakes have seen so far (answers shed under overload)."""
        async with load.session.get(stats_url) as response:
            fake = await response.json()
        return int(fake["slack_busy"]) + int(fake["teams_busy"]) + load.busy_forms + load.busy_carried

    while rate <= args.step_to:
        busy_before = await busy()
        cpu_before = tree_cpu_seconds(server.pid)
        stats, seconds = await load.open_loop(rate=rate, seconds=args.step_seconds)
        ended = time.monotonic()
        cpu = tree_cpu_seconds(server.pid) - cpu_before
        await load.answers(stats, ended=ended, patience=30.0)
        print(f"\n== step: {rate:.0f} req/s for {seconds:.1f} s")
        overall = report(stats, seconds)
        answer_p99 = Latencies(overall.answers).p99()
        shed = await busy() - busy_before
        holds = overall.errors == 0 and overall.unanswered == 0 and answer_p99 < limit and not shed
        rows.append(
            f"{rate:6.0f} req/s  answer p99 {1000 * answer_p99:8.1f} ms  errors {overall.errors:4d}  "
            f"unanswered {overall.unanswered:5d}  busy {shed:5d}  "
            f"server CPU {1000 * cpu / max(1, overall.sent):.2f} ms/request  " + ("holds" if holds else "over")
        )
        if not holds:
            break
        held = rate
        rate += args.step_by
    database = "SQLite" if args.database == "sqlite" else "PostgreSQL"
    print(f"\n== step test on {database}, {args.processes} server process(es), mix {args.mix}")
    for row in rows:
        print(row)
    if held is None:
        print(f"sustainable rate: below {args.step_from:.0f} req/s (answer p99 < {args.step_p99:.0f} ms)")
    else:
        print(
            f"sustainable rate: {held:.0f} req/s, {held / args.processes:.0f} per server process "
            f"(answer p99 < {args.step_p99:.0f} ms, 0 errors); load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} CPUs"
        )
