"""How fast the scheduler posts a crowd of meetings that all come due in the same minute.

10,000 meetings across 500 Slack workspaces (OAuth installs, 20 channels each) are due at once. Worker
processes (`customer-moment worker`) post through the real Slack surface to a local fake Slack that
enforces about one message per second per channel and a per-workspace burst limit, answering 429 with
Retry-After beyond them. For 1, 2 and 4 workers the script prints the time until every card is posted,
the duplicate count, the 429s answered, the posting lag, and the workers' CPU time per card posted.

    .venv/bin/python -m benchmarks.scheduler                 # 10,000 meetings; 1, 2 and 4 workers
    .venv/bin/python -m benchmarks.scheduler --meetings 2000 --workers 2

Needs PostgreSQL (`--postgres-url`, default `CM_BENCH_POSTGRES_URL` or the local server); each run uses a
throw-away database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiohttp import web
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import func, insert, select

from adapters.composition import build
from adapters.settings import Settings
from adapters.slack.auth import installation_store
from benchmarks.common import throwaway_database
from benchmarks.load import cpu_seconds
from bot.content.exercises import LIBRARY
from bot.domain.lifecycle import AgendaState, SeriesState
from bot.secrets import SecretBox, new_key
from bot.storage.models import AgendaItem, MeetingSeries, Member, Moment, Team, Workspace
from tests.support.fake_slack import FakeSlack

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "0123456789abcdef0123456789abcdef"
ENCRYPTION_KEY = new_key()
SIGNING_SECRET = "fedcba9876543210fedcba9876543210"


class Bucket:
    """A token bucket: ``rate`` tokens a second, at most ``burst`` saved up."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.at = rate, burst, burst, time.monotonic()

    def take(self) -> float:
        """0 when a token was taken, else the seconds until one is free."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class PacedSlack(FakeSlack):
    """The fake Slack Web API with Slack's posting limits: per channel and per workspace."""

    channel_rate: float = 1.0
    channel_burst: float = 1.0
    workspace_rate: float = 20.0
    workspace_burst: float = 40.0

    def __post_init__(self) -> None:
        self.buckets: dict[str, Bucket] = {}
        self.limited = 0

    def _bucket(self, key: str, rate: float, burst: float) -> Bucket:
        if key not in self.buckets:
            self.buckets[key] = Bucket(rate, burst)
        return self.buckets[key]

    async def _params(self, request: web.Request) -> dict[str, Any]:
        # The body can be read once; the limiter and the fake's own handler both need the parameters.
        if "params" not in request:
            request["params"] = await super()._params(request)
        return dict(request["params"])

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "chat.postMessage":
            params = await self._params(request)
            token = self._token(request, params) or ""
            waits = (
                self._bucket(f"c:{params.get('channel')}", self.channel_rate, self.channel_burst).take(),
                self._bucket(f"w:{token}", self.workspace_rate, self.workspace_burst).take(),
            )
            if any(waits):
                self.limited += 1
                retry = max(1, round(max(waits)))
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(retry)}
                )
        return await super()._api(request)


async def seed(settings: Settings, slack: PacedSlack, *, workspaces: int, channels: int) -> None:
    runtime = await build(settings)
    now = datetime.now(UTC)
    store = installation_store(CLIENT_ID, runtime.engine, SecretBox([ENCRYPTION_KEY]))
    async with runtime.sessions.begin() as session:
        await session.execute(
            insert(Workspace),
            [
                {"platform": "slack", "external_id": f"T{w:05d}", "name": f"Org {w}", "created_at": now}
                for w in range(workspaces)
            ],
        )
        ids = {ext: i for i, ext in (await session.execute(select(Workspace.id, Workspace.external_id))).all()}
        await session.execute(
            insert(Member),
            [
                {
                    "workspace_id": i,
                    "external_id": "U0",
                    "name": "organizer",
                    "role": "admin",
                    "opted_out": False,
                    "created_at": now,
                }
                for i in ids.values()
            ],
        )
        await session.execute(
            insert(Moment),
            [
                {
                    "workspace_id": i,
                    "team_id": None,
                    "kind": "exercise",
                    "state": "approved",
                    "library_key": e.key,
                    "title": e.title,
                    "situation": e.prompt,
                    "steps": list(e.steps),
                    "minutes": e.minutes,
                    "tags": [e.theme],
                    "created_at": now,
                }
                for i in ids.values()
                for e in LIBRARY
            ],
        )
        await session.execute(
            insert(Team),
            [
                {
                    "workspace_id": i,
                    "external_id": f"C{ext}{c:03d}",
                    "name": f"team-{c}",
                    "zone": "UTC",
                    "review_required": False,
                    "active": True,
                    "created_at": now,
                }
                for ext, i in ids.items()
                for c in range(channels)
            ],
        )
        teams = (await session.execute(select(Team.id, Team.workspace_id))).all()
        start = now + timedelta(minutes=15)
        await session.execute(
            insert(MeetingSeries),
            [
                {
                    "workspace_id": w,
                    "team_id": t,
                    "organizer_id": None,
                    "zone": "UTC",
                    "rule": f"FREQ=WEEKLY;BYDAY={start.strftime('%a')[:2].upper()}",
                    "at": start.strftime("%H:%M"),
                    "anchor": date.today().isoformat(),
                    "lead_minutes": 15,
                    "skip_dates": [],
                    "state": SeriesState.ACTIVE,
                    "remind_minutes": 0,
                    "next_start_at": start,
                    "next_post_at": now,
                    "next_prepare_at": now,
                    "created_at": now,
                }
                for t, w in teams
            ],
        )
    for w in range(workspaces):
        token = f"xoxb-bench-{w}"
        slack.add_workspace(token, f"T{w:05d}")
        await store.async_save(
            Installation(
                app_id="A1",
                team_id=f"T{w:05d}",
                bot_token=token,
                bot_id=f"B{w}",
                bot_user_id=f"UB{w}",
                user_id="U0",
                installed_at=now,
            )
        )
    await runtime.close()


async def posted(settings: Settings) -> tuple[int, list[float]]:
    runtime = await build(settings, apply_migrations=False)
    try:
        async with runtime.sessions() as session:
            count = await session.scalar(select(func.count()).where(AgendaItem.state == AgendaState.POSTED)) or 0
            lags = [
                (updated - post).total_seconds()
                for post, updated in (
                    await session.execute(
                        select(AgendaItem.post_at, AgendaItem.updated_at).where(AgendaItem.state == AgendaState.POSTED)
                    )
                ).all()
            ]
        return int(count), lags
    finally:
        await runtime.close()


async def one_run(pg_url: str, *, workers: int, workspaces: int, channels: int, limit: float) -> dict[str, Any]:
    async with throwaway_database(pg_url, prefix="cm_bench_sched") as url:
        return await _run_on(url, workers=workers, workspaces=workspaces, channels=channels, limit=limit)


async def _run_on(url: str, *, workers: int, workspaces: int, channels: int, limit: float) -> dict[str, Any]:
    slack = await PacedSlack().start()
    processes: list[asyncio.subprocess.Process] = []
    try:
        settings = Settings(DATABASE_URL=url)
        await seed(settings, slack, workspaces=workspaces, channels=channels)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "ENCRYPTION_KEY": ENCRYPTION_KEY,
            "SLACK_STATE_SECRET": "bench",
            "SLACK_API_URL": slack.api_url,
            "SCHEDULER_INTERVAL_SECONDS": "0.2",
            "LOG_LEVEL": os.environ.get("CM_BENCH_LOG_LEVEL", "ERROR"),
        }
        started = time.monotonic()
        for _ in range(workers):
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "adapters.cli.main",
                    "worker",
                    env=env,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=None,
                )
            )
        total = workspaces * channels
        done, lags = 0, []
        # CPU per card counts from the first card posted on (start-up and seeding left out) to the last.
        first: tuple[int, float] | None = None
        while time.monotonic() - started < limit:
            done, lags = await posted(settings)
            if first is None and done:
                first = (done, sum(cpu_seconds(p.pid) for p in processes))
            if done >= total:
                break
            await asyncio.sleep(0.5)
        elapsed = time.monotonic() - started
        cpu = sum(cpu_seconds(p.pid) for p in processes)
        per_card = (cpu - first[1]) / (done - first[0]) if first is not None and done > first[0] else float("nan")
        keys: Counter[str] = Counter()
        for messages in slack.messages.values():
            for message in messages:
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if str(payload.get("key", "")).startswith("agenda:"):
                    keys[str(payload["key"])] += 1
        return {
            "workers": workers,
            "meetings": total,
            "posted": done,
            "seconds": elapsed,
            "duplicates": sum(n - 1 for n in keys.values() if n > 1),
            "cards_in_slack": len(keys),
            "ratelimited": slack.limited,
            "lag_p50": statistics.median(lags) if lags else float("nan"),
            "lag_max": max(lags) if lags else float("nan"),
            "cpu_per_card": per_card,
        }
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            await process.wait()
        await slack.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meetings", type=int, default=10_000)
    parser.add_argument("--workspaces", type=int, default=500)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("CM_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    args = parser.parse_args()
    channels = max(1, args.meetings // args.workspaces)
    print(
        f"{args.workspaces * channels} meetings in {args.workspaces} workspaces ({channels} channels each), "
        "all due now; fake Slack: 1 msg/s per channel, 20 msg/s (burst 40) per workspace"
    )
    print(
        f"{'workers':>7} {'posted':>7} {'seconds':>8} {'cards/s':>8} {'dupes':>6} {'429s':>6} "
        f"{'lag p50':>8} {'lag max':>8} {'CPU/card':>9}"
    )
    for workers in args.workers:
        r = await one_run(
            args.postgres_url, workers=workers, workspaces=args.workspaces, channels=channels, limit=args.timeout
        )
        print(
            f"{r['workers']:>7} {r['posted']:>7} {r['seconds']:>8.1f} {r['posted'] / r['seconds']:>8.0f} "
            f"{r['duplicates']:>6} {r['ratelimited']:>6} {r['lag_p50']:>8.1f} {r['lag_max']:>8.1f} "
            f"{1000 * r['cpu_per_card']:>6.1f} ms",
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main())
