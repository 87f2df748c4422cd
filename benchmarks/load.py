"""Sustained mixed load against ``customer-moment serve`` on PostgreSQL, with the scheduler running.

Starts the real server as a separate process (the ``customer-moment serve --processes N`` command; by
default two server processes, one per core of the target machine) on a throw-away
PostgreSQL database, with its Slack Web API pointed at a fake Slack and Teams activities whose
``serviceUrl`` is a fake Bot Connector (both in a third process, so that the load generator's own loop
stays free). Then, open loop, at ``--rate`` requests per second:

* ``slash``: signed ``/moment`` commands (help, queue, mine, a one-line story, stats);
* ``modal``: story modal submissions (``view_submission``; the core answers before the ack);
* ``button``: agenda card buttons (``block_actions``: helpful votes, open the story form);
* ``teams``: Teams channel messages to the bot (auth off; the turn runs before the 200).

Meeting series are seeded to come due all through the measured window, so the scheduler prepares and
posts agenda cards while the load runs. Reported: per kind and overall, requests sent, ok, errors
(non-2xx or transport errors), throughput, p50/p99/max time to the HTTP answer (the ack), and beside
it the time to the *answer* a person sees (``benchmarks/answers.py``: the ``response_url`` POST or
``views.open`` a Slack command or button is answered with, the Bot Connector reply to a Teams message,
a modal's view response) with answers per second; the server's RSS after warm-up and at the end;
what the scheduler did; how long SIGTERM took.

``--step`` runs a step test instead: rates rising from ``--step-from`` by ``--step-by`` requests/s,
``--step-seconds`` each, until the answer p99 passes ``--step-p99`` ms (250), then prints the last
rate that held, per server process. ``--database sqlite`` runs one server process on a SQLite file.

Target on a 2-core machine: 200 mixed requests/s sustained, p99 under 200 ms, zero errors, RSS growth
under 20 %. ``--answer-latency 150`` has the fakes take 150 ms to accept each answer sent to them (Slack's
``response_url``, every Bot Connector call), as the real ones across the internet do (loopback here
answers in about a millisecond); the time to the answer is still taken when it arrives. A ``/moment``
answered in its acknowledgement is answered when the acknowledgement arrives.
``--db-outage 30`` cuts the database (through a TCP proxy) for 30 s in the middle of the
run, to show the friendly answers, the recovery without a restart and the scheduler catching up.
For overload, run at twice the sustainable rate with ``--then R``: after the measured phase, 15 s at
``R`` requests/s show whether answers are fast again without a restart; the report counts the requests
answered (or answered "busy") within 3 s.

    .venv/bin/python -m benchmarks.load                         # 200 req/s for 180 s
    .venv/bin/python -m benchmarks.load --rate 100 --seconds 60 --db-outage 30
    .venv/bin/python -m benchmarks.load --step --processes 1 --mix slash=1 --database sqlite
    .venv/bin/python -m benchmarks.load --processes 1 --mix slash=1 --rate 500 --seconds 60 --then 100
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import os
import random
import re
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from adapters.http.overload import BUSY
from benchmarks.answers import CARD, Latencies
from benchmarks.common import free_port, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
SECRET = "load-signing-secret"
TOKEN = "xoxb-T1-load"
METRICS_TOKEN = "load-benchmark-metrics-token-0123"  # so that the run can read the server's /metrics
TEAM = "T1"
USERS = 50
CHANNELS = 20
KINDS = ("slash", "modal", "button", "teams")
DEFAULT_MIX = "slash=40,modal=20,button=20,teams=20"
STORY_TEXTS = (
    "A parcel went to the wrong city twice | rebooked it and called daily | relieved | call before they chase us",
    "The refund took three weeks | chased finance every morning | grateful | only promise dates we control",
    "An invoice listed a product never ordered | fixed it on the call | surprised | read the invoice back",
)
SLACK_DEADLINE_SECONDS = 3.0  # what a person waits at most for the answer or the busy answer
BUSY_BYTES = BUSY.encode()
THEN_SECONDS = 15.0  # the calmer phase of --then
SLASH_TEXTS = ("help", "queue", "mine", "story", "stats 30")
TEAMS_TEXTS = ("help", "queue", "mine", "story")
# Where request bodies differ: markers in a body built once per shape (letters only, so that JSON and
# form encoding leave them as they are), replaced for each request.
MARK_N, MARK_NONCE = "QXnumberXQ", "QXnonceXQ"
MARK_USER, MARK_USER_LOWER = "QXUSERXQ", "qxuserxq"
MARK_CHANNEL, MARK_TEAM_NO = "QXchannelXQ", "QXteamnoXQ"
MARKS = re.compile("|".join((MARK_N, MARK_NONCE, MARK_USER, MARK_USER_LOWER, MARK_CHANNEL, MARK_TEAM_NO)))


# --- the fakes process ------------------------------------------------------------------------------


async def run_fakes(users: int, answer_latency: float = 0.0) -> None:
    """Fake Slack and fake Bot Connector in this process; prints their URLs; a /stats page; ends on EOF.

    ``answer_latency``: seconds the fake Slack takes to accept each answer on a response URL, and the fake
    Bot Connector each call."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.answers import AnswerLog
    from bot.core import UNAVAILABLE
    from tests.integration.teams.builders import ALICE, BOB, CAROL, roster_entry
    from tests.support.fake_connector import running_connector
    from tests.support.fake_slack import FakeSlack

    slack = await FakeSlack().start()
    if answer_latency:
        slack.slow("response_url", answer_latency)
    slack.add_workspace(TOKEN, TEAM, "load")
    for n in range(1, users + 1):
        slack.add_user(f"U{n}", f"User {n}", team_id=TEAM, tz="Europe/Berlin")

    async def stats(_request: web.Request) -> web.Response:
        keys: dict[str, int] = {}
        for messages in list(slack.messages.values()):
            for message in messages:
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                key = str(payload.get("key", ""))
                if key.startswith("agenda:"):
                    keys[key] = keys.get(key, 0) + 1
        unavailable = sum(UNAVAILABLE in json.dumps(body, ensure_ascii=False) for _, body in slack.responses)
        unavailable += sum(UNAVAILABLE in json.dumps(e, ensure_ascii=False) for e in slack.ephemerals)
        teams_unavailable = sum(
            UNAVAILABLE in json.dumps(c.body, ensure_ascii=False) for c in connector.calls if c.body
        )
        slack_busy = sum(BUSY in json.dumps(body, ensure_ascii=False) for _, body in slack.responses)
        teams_busy = sum(BUSY in json.dumps(c.body, ensure_ascii=False) for c in connector.calls if c.body)
        return web.json_response(
            {
                "slack_calls": len(slack.calls),
                "slack_answers": len(slack.responses) + len(slack.ephemerals),
                "slack_unavailable": unavailable,
                "agenda_keys": keys,
                "teams_posts": len(connector.posts()),
                "teams_unavailable": teams_unavailable,
                "slack_busy": slack_busy,
                "teams_busy": teams_busy,
                "teams_ids": [c.posted_id for c in connector.posts() if c.posted_id],
            }
        )

    async def answers(_request: web.Request) -> web.Response:
        """The answers that arrived since the last look: request number → arrival (monotonic)."""
        return web.json_response(log.collect())

    async with running_connector() as connector:
        connector.roster(None, [roster_entry(p) for p in (ALICE, BOB, CAROL)])
        connector.latency = answer_latency
        log = AnswerLog(slack, connector)
        app = web.Application()
        app.router.add_get("/stats", stats)
        app.router.add_get("/answers", answers)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        urls = {
            "slack": slack.api_url,
            "connector": connector.url,
            "stats": f"http://{host}:{port}/stats",
            "answers": f"http://{host}:{port}/answers",
            "pid": str(os.getpid()),
        }
        print(json.dumps(urls), flush=True)
        try:
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        finally:
            await runner.cleanup()
            await slack.close()


# --- building requests --------------------------------------------------------------------------------


class Requests:
    """Signed Slack requests and Teams activities, as the platforms send them."""

    def __init__(self, *, base_url: str, slack_url: str, connector_url: str, items: Sequence[int]) -> None:
        from adapters.slack.modals import FormOrigin, modal
        from bot import forms

        self.base_url = base_url
        self.response_base = slack_url.removesuffix("api/") + "response/"
        self.connector_url = connector_url
        self.items = list(items) or [0]
        self.signer = SignatureVerifier(SECRET)
        self.ids = itertools.count(1)
        self.random = random.Random(20261123)
        self.story_view = modal(forms.STORY, FormOrigin(form_id="story", channel_id="C0000", channel_name="team-0"))
        self._templates: dict[tuple[Any, ...], str] = {}
        self.key = ""  # the number of the request built last, by which its answer is found
        self.vote = ""  # the agenda item the request built last votes helpful for, if it is such a vote

    def _signed(self, body: str, content_type: str) -> tuple[str, bytes, dict[str, str]]:
        """URL, body and headers of a request signed as Slack signs it."""
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": str(self.signer.generate_signature(timestamp=stamp, body=body)),
        }
        return self.base_url + "slack/events", body.encode(), headers

    def _values(self) -> dict[str, str]:
        """This request's ids and a random member and channel of the workspace, by body marker."""
        user = self.random.randrange(USERS) + 1
        channel = self.random.randrange(CHANNELS)
        self.key = str(next(self.ids))
        return {
            MARK_N: self.key,
            MARK_NONCE: uuid.uuid4().hex[:8],
            MARK_USER: f"U{user}",
            MARK_USER_LOWER: f"u{user}",
            MARK_CHANNEL: f"{channel:04d}",
            MARK_TEAM_NO: str(channel),
        }

    @staticmethod
    def _interaction(kind: str) -> dict[str, Any]:
        """What every interactivity payload of the member starts with."""
        return {
            "type": kind,
            "team": {"id": TEAM, "domain": "load"},
            "user": {"id": MARK_USER, "username": MARK_USER_LOWER, "team_id": TEAM},
            "api_app_id": "A1",
            "trigger_id": f"load-{MARK_N}-{MARK_NONCE}",
        }

    def _filled(self, key: tuple[Any, ...], make: Callable[[], str], values: dict[str, str]) -> str:
        """The body of shape ``key`` (made once, with markers) with this request's ``values`` put in.

        Building a payload (JSON, then form encoding) costs the load generator more than signing and
        sending it; on a machine shared with the server, that CPU would be taken from the server.
        """
        template = self._templates.get(key)
        if template is None:
            template = self._templates[key] = make()
        return MARKS.sub(lambda found: values[found.group()], template)

    def build(self, kind: str) -> tuple[str, bytes, dict[str, str], str]:
        """One request of ``kind`` (slash, modal, button, teams): URL, body, headers and its number."""
        url, body, headers = getattr(self, kind)()
        return url, body, headers, self.key

    def slash(self) -> tuple[str, bytes, dict[str, str]]:
        """A ``/moment`` command, form-encoded."""
        text = self.random.choice(SLASH_TEXTS)
        if text == "story":
            text = "story " + self.random.choice(STORY_TEXTS)
        values = self._values()

        def make() -> str:
            form = {
                "token": "legacy",
                "team_id": TEAM,
                "team_domain": "load",
                "channel_id": "C" + MARK_CHANNEL,
                "channel_name": "team-" + MARK_TEAM_NO,
                "user_id": MARK_USER,
                "user_name": MARK_USER_LOWER,
                "command": "/moment",
                "text": text,
                "api_app_id": "A1",
                "response_url": f"{self.response_base}cmd{MARK_N}",
                "trigger_id": f"load-{MARK_N}-{MARK_NONCE}",
            }
            return urlencode(form)

        return self._signed(self._filled(("slash", text), make, values), "application/x-www-form-urlencoded")

    def modal(self) -> tuple[str, bytes, dict[str, str]]:
        """A filled-in story modal submitted (``view_submission``)."""
        from tests.integration.slack.driver import state_for

        story = self.random.choice(STORY_TEXTS)
        values = self._values()

        def make() -> str:
            situation, action, _reaction, lesson = story.split(" | ")
            fields = {"situation": situation, "action": action, "lesson": lesson, "nps": "promoter"}
            payload = {
                **self._interaction("view_submission"),
                "view": {
                    **self.story_view,
                    "id": f"V{MARK_N}",
                    "team_id": TEAM,
                    "state": {"values": state_for(self.story_view, fields)},
                },
            }
            return urlencode({"payload": json.dumps(payload)})

        return self._signed(self._filled(("modal", story), make, values), "application/x-www-form-urlencoded")

    def button(self) -> tuple[str, bytes, dict[str, str]]:
        """An agenda card button pressed (``block_actions``): a helpful vote or "share a story"."""
        if self.random.random() < 0.7:
            action, value = "agenda.helpful", str(self.random.choice(self.items))
        else:
            action, value = "open.story", ""
        values = self._values()
        self.vote = value

        def make() -> str:
            channel = "C" + MARK_CHANNEL
            payload = {
                **self._interaction("block_actions"),
                "response_url": f"{self.response_base}act{MARK_N}",
                "channel": {"id": channel, "name": "team-" + MARK_TEAM_NO},
                "container": {"type": "message", "channel_id": channel, "is_ephemeral": True},
                "actions": [{"type": "button", "action_id": action, "value": value, "block_id": "b"}],
            }
            return urlencode({"payload": json.dumps(payload)})

        return self._signed(self._filled(("button", action, value), make, values), "application/x-www-form-urlencoded")

    def teams(self) -> tuple[str, bytes, dict[str, str]]:
        """A Teams channel message @mentioning the bot."""
        from tests.integration.teams.builders import ALICE, BOB, CAROL, CHANNEL, message

        text = self.random.choice(TEAMS_TEXTS)
        if text == "story":
            situation, action, reaction, lesson = self.random.choice(STORY_TEXTS).split(" | ")
            text = f"story {situation} did: {action} reaction: {reaction} lesson: {lesson}"
        sender = self.random.randrange(3)

        def make() -> str:
            activity = message(text, self.connector_url, sender=(ALICE, BOB, CAROL)[sender])
            activity["id"] = MARK_N
            activity["conversation"]["id"] = f"{CHANNEL};messageid={MARK_N}"
            return json.dumps(activity)

        self.key = str(1_700_000_000_000 + next(self.ids))
        body = self._filled(("teams", text, sender), make, {MARK_N: self.key})
        return self.base_url + "api/messages", body.encode(), {"Content-Type": "application/json"}


# --- measuring ---------------------------------------------------------------------------------------


@dataclass
class Stats:
    sent: int = 0
    ok: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    answers: list[float] = field(default_factory=list)  # seconds from sending to the answer reaching the fakes
    answered_in_time: int = 0  # answers that arrived before the measured phase ended
    unanswered: int = 0

    def add(self, status: str, seconds: float | None) -> None:
        """Count one answer (``status`` is the HTTP status or the transport error's name)."""
        self.sent += 1
        if status.startswith("2"):
            self.ok += 1
        else:
            self.statuses[status] = self.statuses.get(status, 0) + 1
        if seconds is not None:
            self.latencies.append(seconds)

    @property
    def errors(self) -> int:
        return self.sent - self.ok

    def line(self, label: str, seconds: float) -> str:
        """One report line: counts, throughput over ``seconds``, p50/p99/max latency."""
        ms = sorted(x * 1000 for x in self.latencies) or [0.0]

        def p(q: float) -> float:
            return ms[min(len(ms) - 1, int(q * len(ms)))]

        problems = f"  {self.statuses}" if self.statuses else ""
        return (
            f"{label:<8} sent {self.sent:6d}  ok {self.ok:6d}  errors {self.errors:4d}  "
            f"{self.ok / seconds:7.1f} req/s  p50 {p(0.50):6.1f} ms  p99 {p(0.99):7.1f} ms  max {ms[-1]:7.1f} ms"
            + problems
            + f"\n{'':8} answered {len(self.answers):6d}  unanswered {self.unanswered:4d}  "
            f"{self.answered_in_time / seconds:7.1f} answers/s  {Latencies(self.answers).summary()}"
        )


class Load:
    def __init__(
        self, requests: Requests, mix: dict[str, float], session: aiohttp.ClientSession, *, answers_url: str
    ) -> None:
        self.requests = requests
        self.kinds = list(mix)
        self.weights = [mix[k] for k in self.kinds]
        self.session = session
        self.chooser = random.Random(7)
        self.answers_url = answers_url
        self.waiting: dict[str, tuple[str, float]] = {}  # request number → kind, when sent (monotonic)
        self.votes: dict[str, list[str]] = {}  # agenda item → the helpful votes for it, in the order sent
        self.busy_forms = 0  # modal submissions answered "busy" in their view response
        self.carried = 0  # commands answered in their acknowledgement
        self.busy_carried = 0  # of them, answered "busy"

    async def one(self, kind: str, stats: dict[str, Stats]) -> None:
        """Send one request of ``kind`` and record its ack; remember it, to match its answer later."""
        self.requests.vote = ""
        url, body, headers, key = self.requests.build(kind)
        vote = self.requests.vote
        started = time.perf_counter()
        sent = time.monotonic()
        try:
            async with self.session.post(url, data=body, headers=headers) as response:
                payload = await response.read()
                status = str(response.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            stats[kind].add(type(exc).__name__, None)
            return
        acked = time.perf_counter() - started
        stats[kind].add(status, acked)
        if not status.startswith("2"):
            return
        if kind == "modal":  # the view response is the answer, "busy" included
            self.busy_forms += BUSY_BYTES in payload
            stats[kind].answers.append(acked)
            stats[kind].answered_in_time += 1
        elif kind == "slash" and payload:  # the acknowledgement carried the answer, "busy" included
            self.carried += 1
            self.busy_carried += BUSY_BYTES in payload
            stats[kind].answers.append(acked)
            stats[kind].answered_in_time += 1
        else:
            self.waiting[key] = (kind, sent)
            if vote:
                self.votes.setdefault(vote, []).append(key)

    async def answers(
        self, stats: dict[str, Stats], *, ended: float, quiet: float = 5.0, patience: float = 120.0
    ) -> None:
        """Match the answers the fakes saw to the requests sent, until all came, none came for ``quiet``
        seconds, or ``patience`` ran out; count the rest as unanswered. ``ended``: the phase's end (monotonic)."""
        own: dict[str, float] = {}  # answers naming their request (response_url, trigger, activity)
        cards: list[tuple[float, str]] = []  # every agenda card that came: (when, item)
        arrivals: dict[str, float] = {}
        deadline = time.monotonic() + patience
        last_news = time.monotonic()
        while len(arrivals) < len(self.waiting) and time.monotonic() < min(deadline, last_news + quiet):
            async with self.session.get(self.answers_url) as response:
                seen = await response.json()
            news = {key: at for key, at in seen.items() if key in self.waiting}
            came = [(at, key.split(":")[1]) for key, at in seen.items() if key.startswith(CARD)]
            if not news and not came:
                await asyncio.sleep(0.25)
                continue
            own.update(news)
            cards = sorted(cards + came)
            # Paired again over everything so far: a vote whose own answer (a repeat, or busy) came after a
            # card of its item must not have taken that card from the first vote it answers.
            arrivals = {**self._card_answers(cards, answered=own.keys()), **own}
            last_news = time.monotonic()
        voted = {key: item for item, keys in self.votes.items() for key in keys}
        for key, (kind, sent) in self.waiting.items():
            at = arrivals.get(key)
            if at is None:
                stats[kind].unanswered += 1
                if stats[kind].unanswered <= 3:  # a few, to look them up in the fakes' and the server's logs
                    what = f" (a helpful vote for agenda item {voted[key]})" if key in voted else ""
                    print(f"unanswered: {kind} request {key}{what}, sent at {sent:.3f} (monotonic)")
                continue
            stats[kind].answers.append(at - sent)
            stats[kind].answered_in_time += at <= ended
        self.waiting.clear()
        self.votes.clear()

    def _card_answers(self, cards: list[tuple[float, str]], *, answered: Collection[str]) -> dict[str, float]:
        """First helpful votes answered by their item's card: each card, in the order the cards came, answers
        the earliest vote for its item, sent before it, that has no answer yet (a repeated vote is answered
        on its own ``response_url``)."""
        found: dict[str, float] = {}
        for at, item in cards:
            for key in self.votes.get(item, []):
                if key not in answered and key not in found and self.waiting[key][1] <= at:
                    found[key] = at
                    break
        return found

    async def forget(self) -> None:
        """Drop what was sent so far and the answers to it (after a warm-up)."""
        self.waiting.clear()
        self.votes.clear()
        async with self.session.get(self.answers_url) as response:
            await response.read()

    async def open_loop(
        self, *, rate: float, seconds: float, at: Callable[[float], None] | None = None
    ) -> tuple[dict[str, Stats], float]:
        """Send at ``rate`` for ``seconds`` whatever the answers do; returns stats and the elapsed time."""
        stats = {kind: Stats() for kind in self.kinds}
        total = int(rate * seconds)
        tasks: set[asyncio.Task[None]] = set()
        start = time.perf_counter()
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if at is not None:
                at(time.perf_counter() - start)
            kind = self.chooser.choices(self.kinds, self.weights)[0]
            task = asyncio.create_task(self.one(kind, stats))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks)
        return stats, time.perf_counter() - start


def cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """User + system CPU time a process has used so far (``reaped``: plus that of its children that ended)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (``serve --processes N`` runs a supervisor and N server processes)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its descendants."""
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += cpu_seconds(member)
    return total


def postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL process on this machine (all databases: other users' work counts too),
    including the backends that ended since (their time is added to the postmaster's children's time)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                parent = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[1]
                postmaster = (Path(f"/proc/{parent}/comm").read_text().strip()) not in ("postgres", "postmaster")
                total += cpu_seconds(int(entry.name), reaped=postmaster)
    return total


def open_files(pid: int) -> int:
    """File descriptors open in a process and its descendants."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            total += len(os.listdir(f"/proc/{member}/fd"))
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    values = [float(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its descendants (proportional set size: shared pages split)."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
    return total


# --- the database --------------------------------------------------------------------------------------


async def seed_people(database_url: str) -> list[int]:
    """Migrate; make the Slack channels and members known; one open agenda item per channel (for buttons)."""
    from adapters.composition import build
    from adapters.settings import Settings
    from bot.events import Incoming, Person, Place
    from bot.storage.models import AgendaItem

    runtime = await build(Settings(DATABASE_URL=database_url))
    try:
        for c in range(CHANNELS):
            place = Place(platform="slack", workspace_id=TEAM, channel_id=f"C{c:04d}", channel_name=f"team-{c}")
            people = [Person(f"U{n}", f"User {n}") for n in range(1, USERS + 1)]
            await runtime.core.introduce(place, people, zone="Europe/Berlin")
            for story in STORY_TEXTS:
                await runtime.core.handle(Incoming(place=place, actor=people[c % USERS], text=f"story {story}"))
            await runtime.core.handle(Incoming(place=place, actor=people[c % USERS], text="request in 600"))
        async with runtime.sessions() as session:
            return list(await session.scalars(select(AgendaItem.id).where(AgendaItem.series_id.is_(None))))
    finally:
        await runtime.close()


async def seed_series(database_url: str, *, count: int, first: datetime, last: datetime) -> None:
    """``count`` weekly series whose cards fall due between ``first`` and ``last`` (meetings 30 min later)."""
    from adapters.composition import build
    from adapters.settings import Settings
    from bot.domain.lifecycle import SeriesState
    from bot.storage.models import MeetingSeries, Team

    runtime = await build(Settings(DATABASE_URL=database_url), apply_migrations=False)
    try:
        async with runtime.sessions.begin() as session:
            teams = list(await session.scalars(select(Team).order_by(Team.id)))
            rows: list[dict[str, Any]] = []
            span = (last - first).total_seconds()
            for k in range(count):
                team = teams[k % len(teams)]
                post = first + timedelta(seconds=span * k / max(1, count - 1))
                start = (post + timedelta(minutes=30)).replace(microsecond=0)
                rows.append(
                    {
                        "workspace_id": team.workspace_id,
                        "team_id": team.id,
                        "organizer_id": None,
                        "rule": f"FREQ=WEEKLY;BYDAY={start.strftime('%a')[:2].upper()}",
                        "at": start.strftime("%H:%M"),
                        "zone": "UTC",
                        "anchor": date.today().isoformat(),
                        "lead_minutes": 30,
                        "skip_dates": [],
                        "state": SeriesState.ACTIVE,
                        "remind_minutes": 0,
                        "next_start_at": start,
                        "next_post_at": post,
                        "next_prepare_at": post,
                        "created_at": datetime.now(UTC),
                    }
                )
            if rows:  # ``--series 0``: the scheduler has nothing to post
                await session.execute(insert(MeetingSeries), rows)
    finally:
        await runtime.close()


async def scheduler_report(database_url: str, *, since: datetime) -> dict[str, Any]:
    """What became of the series occurrences due since ``since``: states, keys and posting lag."""
    from adapters.composition import build
    from adapters.settings import Settings
    from bot.domain.lifecycle import AgendaState
    from bot.storage.models import AgendaItem

    runtime = await build(Settings(DATABASE_URL=database_url), apply_migrations=False)
    try:
        async with runtime.sessions() as session:
            rows = (
                await session.execute(
                    select(AgendaItem.state, func.count())
                    .where(AgendaItem.series_id.is_not(None), AgendaItem.post_at >= since)
                    .group_by(AgendaItem.state)
                )
            ).all()
            due = list(
                await session.scalars(
                    select(AgendaItem).where(AgendaItem.series_id.is_not(None), AgendaItem.post_at >= since)
                )
            )
            lags = [
                (updated - post).total_seconds()
                for updated, post in (
                    await session.execute(
                        select(AgendaItem.updated_at, AgendaItem.post_at).where(
                            AgendaItem.series_id.is_not(None), AgendaItem.state == AgendaState.POSTED
                        )
                    )
                ).all()
            ]
    finally:
        await runtime.close()
    lags.sort()
    return {
        "states": {state: int(n) for state, n in rows},
        "keys": [f"agenda:{item.id}" for item in due],
        "refs": {f"agenda:{item.id}": item.post_ref or {} for item in due},
        "items": {f"agenda:{item.id}": f"state {item.state}, attempts {item.attempts}" for item in due},
        "lag_p50": lags[len(lags) // 2] if lags else None,
        "lag_max": lags[-1] if lags else None,
    }


# --- processes -----------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def fakes_process(users: int, answer_latency_ms: float = 0.0) -> AsyncIterator[dict[str, str]]:
    """The fakes (``--fakes``) in their own process; yields their URLs and pid."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.load",
        "--fakes",
        "--users",
        str(users),
        "--answer-latency",
        str(answer_latency_ms),
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    try:
        yield json.loads(line)
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout=15)
        except TimeoutError:
            process.kill()


@contextlib.asynccontextmanager
async def proxy_process(port: int, upstream: str) -> AsyncIterator[Callable[[str], Any]]:
    """The database proxy (tests/support/db_proxy.py) in its own process; yields ``command(line)``."""
    url = make_url(upstream)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.db_proxy",
        "--port",
        str(port),
        "--upstream-host",
        url.host or "127.0.0.1",
        "--upstream-port",
        str(url.port or 5432),
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    await asyncio.wait_for(process.stdout.readline(), timeout=30)

    async def command(line: str) -> None:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(f"{line}\n".encode())
        await process.stdin.drain()
        await asyncio.wait_for(process.stdout.readline(), timeout=30)

    try:
        yield command
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout=15)
        except TimeoutError:
            process.kill()


def serve_command() -> list[str]:
    """The ``customer-moment serve`` console command of this virtualenv."""
    script = Path(sys.executable).with_name("customer-moment")
    return [str(script), "serve"] if script.exists() else [sys.executable, "-m", "adapters.cli.main", "serve"]


async def wait_healthy(session: aiohttp.ClientSession, base_url: str, process: asyncio.subprocess.Process) -> None:
    """Poll ``/readyz`` until the server answers 200 (bounded)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before it was ready")
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(base_url + "readyz") as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.2)
    raise RuntimeError("the server did not become ready within 90 s")


# --- the run -------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def database(args: argparse.Namespace) -> AsyncIterator[str]:
    """A throw-away PostgreSQL database, or a SQLite file in a temporary folder (``--database sqlite``)."""
    if args.database == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'load.db'}"
        return
    async with throwaway_database(args.postgres_url, prefix="cm_load") as url:
        yield url


def parse_mix(text: str) -> dict[str, float]:
    """``slash=40,modal=20`` → weights by request kind."""
    mix: dict[str, float] = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in KINDS:
            raise SystemExit(f"--mix: unknown kind {name!r} (use {', '.join(KINDS)})")
        mix[name.strip()] = float(weight or 1)
    return {k: w for k, w in mix.items() if w > 0}


def report(stats: dict[str, Stats], seconds: float) -> Stats:
    """Print a line per kind and the overall line; returns the overall stats."""
    overall = Stats()
    for kind, kind_stats in stats.items():
        print(kind_stats.line(kind, seconds))
        overall.sent += kind_stats.sent
        overall.ok += kind_stats.ok
        overall.latencies += kind_stats.latencies
        overall.answers += kind_stats.answers
        overall.answered_in_time += kind_stats.answered_in_time
        overall.unanswered += kind_stats.unanswered
        for status, n in kind_stats.statuses.items():
            overall.statuses[status] = overall.statuses.get(status, 0) + n
    print(overall.line("overall", seconds))
    return overall


async def run(args: argparse.Namespace) -> int:
    """Database, fakes, (proxy,) server; then :func:`measure`; then the server log's errors."""
    mix = parse_mix(args.mix)
    plan = (
        f"step test from {args.step_from:.0f} req/s by {args.step_by:.0f}, {args.step_seconds:.0f} s each"
        if args.step
        else f"{args.rate:.0f} req/s for {args.seconds:.0f} s"
    )
    print(
        f"== load: {plan} after {args.warmup:.0f} s warm-up; mix {mix}; "
        f"server: {args.processes} process(es) on {args.database}"
        + (f"; the fakes take {args.answer_latency:.0f} ms to accept an answer" if args.answer_latency else "")
    )
    async with database(args) as database_url:
        items = await seed_people(database_url)
        async with contextlib.AsyncExitStack() as stack:
            urls = await stack.enter_async_context(fakes_process(USERS, args.answer_latency))
            app_database_url = database_url
            proxy: Callable[[str], Any] | None = None
            if args.db_outage:
                proxy_port = free_port()
                proxy = await stack.enter_async_context(proxy_process(proxy_port, database_url))
                app_database_url = (
                    make_url(database_url).set(host="127.0.0.1", port=proxy_port).render_as_string(hide_password=False)
                )
            port = free_port()
            base_url = f"http://127.0.0.1:{port}/"
            log_path = Path(tempfile.gettempdir()) / f"customer_moment_load_{port}.log"
            env = {
                **os.environ,
                "DATABASE_URL": app_database_url,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_API_URL": urls["slack"],
                "MICROSOFT_APP_ID": "",
                "TEAMS_DEV_NO_AUTH": "true",  # Teams served without a token, replying to the local fake
                "HOST": "127.0.0.1",
                "PORT": str(port),
                "LOG_LEVEL": "WARNING",
                "SERVE_PROCESSES": str(args.processes),
                "METRICS_TOKEN": METRICS_TOKEN,
            }
            with log_path.open("w") as log:
                server = await asyncio.create_subprocess_exec(
                    *serve_command(), env=env, cwd=tempfile.gettempdir(), stdout=log, stderr=log
                )
                code = await measure(args, mix, server, base_url, urls, items, database_url, proxy)
            lines = log_path.read_text(errors="replace").splitlines()
            errors = [line for line in lines if " ERROR " in line or line.startswith("Traceback")]
            print(f"server log {log_path}: {len(lines)} lines, {len(errors)} ERROR/Traceback lines")
            for line in errors[:5]:
                print(f"    {line[:200]}")
        return code


async def measure(
    args: argparse.Namespace,
    mix: dict[str, float],
    server: asyncio.subprocess.Process,
    base_url: str,
    urls: dict[str, str],
    items: list[int],
    database_url: str,
    proxy: Callable[[str], Any] | None,
) -> int:
    """Warm up, seed the series, run the measured open loop, report; always SIGTERM the server at the end."""
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        try:
            await wait_healthy(session, base_url, server)
            requests = Requests(
                base_url=base_url, slack_url=urls["slack"], connector_url=urls["connector"], items=items
            )
            load = Load(requests, mix, session, answers_url=urls["answers"])
            gc.collect()
            gc.freeze()
            warm_rate = args.step_from if args.step else args.rate
            warm, _ = await load.open_loop(rate=warm_rate, seconds=args.warmup)
            warm_errors = sum(s.errors for s in warm.values())
            print(f"warm-up: {sum(s.sent for s in warm.values())} requests, {warm_errors} errors")
            await load.answers(warm, ended=time.monotonic(), quiet=2.0, patience=30.0)
            await load.forget()
            if args.step:
                from benchmarks.step import step_test  # imports this module: load it only when asked

                await step_test(args, load, server, stats_url=urls["stats"])
                return 0
            began = datetime.now(UTC)
            await seed_series(
                database_url,
                count=args.series,
                first=began + timedelta(seconds=5),
                last=began + timedelta(seconds=max(6.0, args.seconds - 15)),
            )
            rss_start, fds_start = rss_bytes(server.pid), open_files(server.pid)
            samples = [rss_start]
            outage: dict[str, float] = {}
            pending: set[asyncio.Task[Any]] = set()

            def at(elapsed: float) -> None:
                if len(samples) < 1 + int(elapsed // 10):
                    samples.append(rss_bytes(server.pid))
                if proxy is None:
                    return
                cut_at = args.seconds / 3
                if "cut" not in outage and elapsed >= cut_at:
                    outage["cut"] = elapsed
                    pending.add(asyncio.create_task(proxy("cut")))
                if "restore" not in outage and elapsed >= cut_at + args.db_outage:
                    outage["restore"] = elapsed
                    pending.add(asyncio.create_task(proxy("restore")))

            print(
                f"server pid {server.pid} ({len(process_tree(server.pid))} processes): "
                f"RSS (PSS) after warm-up {rss_start / 2**20:.1f} MiB"
            )
            fakes_pid = int(urls["pid"])
            before = (
                tree_cpu_seconds(server.pid),
                cpu_seconds(fakes_pid),
                cpu_seconds(os.getpid()),
                postgres_cpu_seconds(),
            )
            busy_before = machine_busy()
            stats, seconds = await load.open_loop(rate=args.rate, seconds=args.seconds, at=at)
            ended = time.monotonic()
            after = (
                tree_cpu_seconds(server.pid),
                cpu_seconds(fakes_pid),
                cpu_seconds(os.getpid()),
                postgres_cpu_seconds(),
            )
            busy_after = machine_busy()
            cpu_used, fakes_used, own_used, postgres_used = (b - a for a, b in zip(before, after, strict=True))
            if pending:
                await asyncio.gather(*pending)
            rss_end, fds_end = rss_bytes(server.pid), open_files(server.pid)
            await load.answers(stats, ended=ended)
            print(f"\n== measured: {seconds:.1f} s (per kind: the ack, then the answer)")
            overall = report(stats, seconds)
            late = sum(1 for answer in overall.answers if answer > SLACK_DEADLINE_SECONDS)
            print(
                f"answered (the answer or the busy answer) within {SLACK_DEADLINE_SECONDS:.0f} s: "
                f"{len(overall.answers) - late} of {overall.sent}; later {late}; unanswered {overall.unanswered}"
            )
            growth = 100 * (rss_end - rss_start) / rss_start if rss_start else 0.0
            trend = " ".join(f"{s / 2**20:.0f}" for s in samples)
            print(
                f"RSS: start {rss_start / 2**20:.1f} MiB, end {rss_end / 2**20:.1f} MiB ({growth:+.1f} %); "
                f"every 10 s: {trend} MiB; open files {fds_start} → {fds_end}"
            )
            busy = (busy_after[0] - busy_before[0]) / max(1.0, busy_after[1] - busy_before[1])
            print(
                f"CPU: server {100 * cpu_used / seconds:.0f} % of one core "
                f"({1000 * cpu_used / max(1, overall.sent):.2f} ms per request); "
                f"whole machine ({os.cpu_count()} CPUs) {100 * busy:.0f} % busy; load average {os.getloadavg()[0]:.1f}"
            )
            print(
                f"     on the same machine: load generator {100 * own_used / seconds:.0f} %, fakes "
                f"{100 * fakes_used / seconds:.0f} %, PostgreSQL (all databases) {100 * postgres_used / seconds:.0f} % "
                "of one core"
            )
            if outage:
                print(f"database cut at {outage['cut']:.0f} s, restored at {outage.get('restore', 0):.0f} s")
            if args.then:
                calm, calm_seconds = await load.open_loop(rate=args.then, seconds=THEN_SECONDS)
                await load.answers(calm, ended=time.monotonic())
                print(f"\n== then {args.then:.0f} req/s for {THEN_SECONDS:.0f} s, right after (no restart)")
                report(calm, calm_seconds)
            # Let the scheduler finish what fell due near the end, then read what it did.
            await asyncio.sleep(min(20.0, args.seconds / 4))
            found = await scheduler_report(database_url, since=began)
            async with session.get(urls["stats"]) as response:
                fake = await response.json()
            teams_ids = set(fake["teams_ids"])

            def cards_of(key: str) -> int:
                """How many cards for this occurrence reached the fakes (Teams: the recorded one, by its id)."""
                ref = found["refs"][key]
                if ref.get("activityId"):
                    return 1 if ref["activityId"] in teams_ids else 0
                return int(fake["agenda_keys"].get(key, 0))

            cards = {key: cards_of(key) for key in found["keys"]}
            for key, n in cards.items():
                if n == 0 and found["items"][key].startswith("state posted"):
                    print(f"    {key} is recorded as posted but no card reached the fakes: {found['items'][key]}")
            print(
                f"scheduler: {len(found['keys'])} occurrences due in the window, by state {found['states']}; "
                f"posting lag p50 {found['lag_p50'] or 0:.1f} s, max {found['lag_max'] or 0:.1f} s; "
                f"cards that arrived {sum(1 for n in cards.values() if n)}, "
                f"posted twice {sum(1 for n in cards.values() if n > 1)} (Slack cards by key; Teams by recorded id)"
            )
            print(
                f"answers: Slack {fake['slack_answers'] + load.carried} ({load.carried} in acknowledgements; "
                f"try-again {fake['slack_unavailable']}, "
                f"busy {fake['slack_busy']}, busy in forms {load.busy_forms}, "
                f"busy in acknowledgements {load.busy_carried}), "
                f"Teams {fake['teams_posts']} "
                f"(try-again {fake['teams_unavailable']}, "
                f"busy {fake['teams_busy']})"
            )
            async with session.get(
                base_url + "metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
            ) as response:
                exposition = await response.text()
            series: dict[str, int] = {}
            for line in exposition.splitlines():
                if line and not line.startswith("#") and "{" in line:
                    name = line.split("{", 1)[0]
                    series[name] = series.get(name, 0) + 1
            crowded = {name: n for name, n in series.items() if n > 200}
            print(
                f"/metrics: {len(exposition) / 1024:.0f} KiB, {sum(series.values())} labelled series; "
                f"families over 200 series: {crowded}"
            )
            target = (
                overall.ok / seconds >= 0.98 * args.rate
                and _p99(overall) < 0.2
                and overall.errors == 0
                and growth <= 20.0
            )
            verdict = "MET" if target else "MISSED"
            print(f"acks: target (≥{args.rate:.0f} req/s, p99 < 200 ms, 0 errors, RSS +≤20 %): {verdict}")
            shed = fake["slack_busy"] + fake["teams_busy"] + load.busy_forms + load.busy_carried
            answer_p99 = Latencies(overall.answers).p99()
            answered = (
                overall.unanswered == 0 and shed == 0 and overall.errors == 0 and answer_p99 < args.step_p99 / 1000
            )
            print(
                f"answers: target (every request answered, none busy, p99 < {args.step_p99:.0f} ms, 0 errors): "
                f"{'MET' if answered else 'MISSED'} (p99 {1000 * answer_p99:.0f} ms; "
                f"busy answers in the whole run {shed})"
            )
        finally:
            stopped = time.monotonic()
            if server.returncode is None:
                server.send_signal(signal.SIGTERM)
            try:
                code = await asyncio.wait_for(server.wait(), timeout=20)
                print(f"SIGTERM: server exited {code} after {time.monotonic() - stopped:.1f} s")
            except TimeoutError:
                server.kill()
                print("SIGTERM: server did not exit within 20 s; killed")
    return 0


def _p99(stats: Stats) -> float:
    """The 99th percentile latency in seconds."""
    ordered = sorted(stats.latencies) or [0.0]
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    default_url = (
        os.environ.get("CM_BENCH_POSTGRES_URL")
        or os.environ.get("CM_TEST_POSTGRES_URL")
        or "postgresql://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second (open loop)")
    parser.add_argument("--seconds", type=float, default=180.0, help="length of the measured phase")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds of load before measuring")
    parser.add_argument("--postgres-url", default=default_url, help="server to create a throw-away database on")
    parser.add_argument("--mix", default=DEFAULT_MIX, help=f"weights of the request kinds (default {DEFAULT_MIX})")
    parser.add_argument("--series", type=int, default=120, help="meeting series falling due during the run")
    parser.add_argument("--db-outage", type=float, default=0.0, help="cut the database for this many seconds")
    parser.add_argument(
        "--processes", type=int, default=2, help="server processes (`serve --processes`; default 2, one per core)"
    )
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres", help="sqlite: one process")
    parser.add_argument(
        "--then", type=float, default=0.0, help="afterwards, this rate for 15 s: are answers fast again?"
    )
    parser.add_argument("--step", action="store_true", help="step test: rates rising until the answer p99 is over")
    parser.add_argument("--step-from", type=float, default=50.0, help="first rate of the step test")
    parser.add_argument("--step-by", type=float, default=50.0, help="how much each step adds")
    parser.add_argument("--step-to", type=float, default=2000.0, help="highest rate tried")
    parser.add_argument("--step-seconds", type=float, default=10.0, help="length of each step")
    parser.add_argument("--step-p99", type=float, default=250.0, help="answer p99 (ms) a rate must stay under")
    parser.add_argument(
        "--answer-latency",
        type=float,
        default=0.0,
        help="ms the fakes take to accept an answer (response_url, Bot Connector); real ones are across the internet",
    )
    parser.add_argument("--fakes", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--users", type=int, default=USERS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.database == "sqlite":
        args.processes = 1  # one process per SQLite file
    if re.match(r"^postgres(ql)?(\+\w+)?://", args.postgres_url) is None and not args.fakes:
        parser.error("--postgres-url must be a postgresql:// URL")
    return args


if __name__ == "__main__":
    arguments = parse()
    if arguments.fakes:
        asyncio.run(run_fakes(arguments.users, arguments.answer_latency / 1000))
    else:
        raise SystemExit(asyncio.run(run(arguments)))
