"""Time to the answer: when the reply a person sees reached the (fake) platform, per request.

A request's *ack* is the HTTP response the platform gets; its *answer* is what the person sees:

* a Slack slash command or button: the POST to its ``response_url``, or the ``views.open`` that opens
  the form it asked for (matched by its ``trigger_id``);
* a Teams message: the Bot Connector call that replies to its activity;
* a Slack modal submission: its view response, which is the ack itself;
* a first helpful vote: the agenda card updated (or posted) with the new count, which names its item but
  not the vote; the generator pairs each card of an item with the earliest vote for that item sent before
  it that has no answer of its own (a repeated vote is answered on its ``response_url``).

The fakes note arrival times with ``time.monotonic()``, one clock for every process on the machine,
so the load generator can subtract the time it sent each request even when the fakes run in another
process. Requests are matched by a number the generator puts in the ``response_url`` name, the
``trigger_id`` or the Teams activity id.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.support.fake_connector import FakeConnector
    from tests.support.fake_slack import FakeSlack

RESPONSE_NAME = re.compile(r"^[a-z]*(\d+)$")  # cmd12, act12, r12 → 12
TRIGGER = re.compile(r"^[a-z]+-(\d+)-")  # load-12-ab34cd56 → 12
TEAMS_REPLY = re.compile(r";messageid=(\d+)$")  # a reply in the thread of activity 12
CARD = "card:"  # an agenda card sent: ``card:<item id>:<n>`` → when
AGENDA_KEY = re.compile(r"^agenda:(\d+)$")


class AnswerLog:
    """The first answer to each request, read incrementally from what the fakes recorded."""

    def __init__(self, slack: FakeSlack, connector: FakeConnector | None = None) -> None:
        self._slack = slack
        self._connector = connector
        self._calls = 0
        self._replies = 0
        self._seen: set[str] = set()
        self._cards = 0

    def collect(self) -> dict[str, float]:
        """Answers that arrived since the last call: request number → arrival (monotonic seconds)."""
        found: dict[str, float] = {}

        def note(key: str, at: float) -> None:
            if key not in self._seen:
                self._seen.add(key)
                found[key] = at

        for name, at in list(self._slack.answered_at.items()):
            if (match := RESPONSE_NAME.match(name)) is not None:
                note(match.group(1), at)
        self._slack.answered_at.clear()
        calls = self._slack.calls
        if len(calls) < self._calls:  # the fake was reset
            self._calls = 0
        for call in calls[self._calls :]:
            if call.method == "views.open" and (match := TRIGGER.match(str(call.params.get("trigger_id")))):
                note(match.group(1), call.at)
            elif call.method in ("chat.update", "chat.postMessage") and (item := _agenda_item(call.params)):
                self._cards += 1
                note(f"{CARD}{item}:{self._cards}", call.at)
        self._calls = len(calls)
        if self._connector is not None:
            replies = self._connector.calls
            if len(replies) < self._replies:
                self._replies = 0
            for reply in replies[self._replies :]:
                if reply.method != "POST":
                    continue
                if reply.activity_id.isdigit():
                    note(reply.activity_id, reply.at)
                elif match := TEAMS_REPLY.search(reply.conversation_id):
                    note(match.group(1), reply.at)
            self._replies = len(replies)
        return found


def _agenda_item(params: dict[str, Any]) -> str | None:
    """The agenda item whose card a chat.postMessage or chat.update carries (by its metadata key)."""
    meta = params.get("metadata")
    if isinstance(meta, str):
        try:
            meta = json.loads(meta)
        except ValueError:
            return None
    payload = meta.get("event_payload") if isinstance(meta, dict) else None
    match = AGENDA_KEY.match(str(payload.get("key", ""))) if isinstance(payload, dict) else None
    return match.group(1) if match else None


def percentile(ordered: list[float], q: float) -> float:
    """The ``q`` quantile of an ascending list (0 when empty)."""
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


@dataclass
class Latencies:
    """Seconds per request, summarised as p50 / p99 / max in milliseconds."""

    values: list[float] = field(default_factory=list)

    def summary(self) -> str:
        ms = sorted(x * 1000 for x in self.values)
        worst = ms[-1] if ms else 0.0
        return f"p50 {percentile(ms, 0.5):7.1f} ms  p99 {percentile(ms, 0.99):7.1f} ms  max {worst:7.1f} ms"

    def p99(self) -> float:
        return percentile(sorted(self.values), 0.99)
