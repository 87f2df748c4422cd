"""The delivery log over the core's one-time claims (an in-memory fake here): what an event claims, for how
long, and that commands and interactions are remembered in the process alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.slack.dedupe import KEEP, DeliveryLog, claim_key
from bot.ports import OneTimeClaims

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeClaims:
    def __init__(self) -> None:
        self.kept: dict[str, datetime] = {}

    async def claim(self, key: str, *, until: datetime) -> bool:
        if key in self.kept:
            return False
        self.kept[key] = until
        return True

    async def claimed(self, key: str) -> bool:
        return key in self.kept


def event(event_id: Any, **envelope: Any) -> dict[str, Any]:
    return {"team_id": "T1", "type": "event_callback", "event_id": event_id, "event": {"type": "message"}, **envelope}


def log(claims: OneTimeClaims) -> DeliveryLog:
    return DeliveryLog(claims, clock=lambda: NOW)


def test_an_event_claims_its_id_under_its_workspace() -> None:
    assert claim_key(event("Ev0LAN670R")) == "slack:T1:delivery:Ev0LAN670R"
    assert claim_key(event("Ev1", enterprise_id="E1")) == "slack:E1:T1:delivery:Ev1"
    assert claim_key(event("Ev1", team_id=None)) == "slack:-:delivery:Ev1"


def test_commands_interactions_and_payloads_without_an_id_claim_nothing_durable() -> None:
    assert claim_key({"team_id": "T1", "command": "/moment", "trigger_id": "t-1"}) is None
    assert claim_key({"type": "block_actions", "team": {"id": "T1"}, "trigger_id": "t-2"}) is None
    assert claim_key({}) is None
    assert claim_key(event(None)) is None


def test_a_strange_id_is_claimed_by_its_digest_short_plain_and_its_own() -> None:
    strange = ["x" * 5000, "Ev1\x00", "Ev<!channel>", "Ev:1", "Ev\ud800", "Ev é"]
    keys = [claim_key(event(value, team_id=value)) for value in strange]
    for key in keys:
        assert key is not None and len(key) <= 200 and key.isascii() and key.isprintable()
    assert len(set(keys)) == len(strange)
    assert keys == [claim_key(event(value, team_id=value)) for value in strange]  # the same on every retry


async def test_an_event_is_claimed_once_for_two_days() -> None:
    claims = FakeClaims()
    deliveries = log(claims)
    assert not await deliveries.seen(event("Ev1"))
    assert await deliveries.claim(event("Ev1")) is True
    assert await deliveries.seen(event("Ev1"))
    assert await deliveries.claim(event("Ev1")) is False
    assert await log(claims).claim(event("Ev1")) is False  # another process
    assert claims.kept == {"slack:T1:delivery:Ev1": NOW + KEEP}


async def test_a_command_is_remembered_in_this_process_only() -> None:
    claims = FakeClaims()
    deliveries = log(claims)
    command = {"team_id": "T1", "command": "/moment", "trigger_id": "t-1"}
    assert await deliveries.claim(command) is True
    assert await deliveries.seen(command)
    assert await deliveries.claim(command) is False
    assert await log(claims).claim(command) is True
    assert claims.kept == {}


async def test_a_payload_without_a_delivery_id_is_always_processed() -> None:
    deliveries = log(FakeClaims())
    assert await deliveries.claim({}) is True
    assert await deliveries.claim({}) is True
    assert not await deliveries.seen({})
