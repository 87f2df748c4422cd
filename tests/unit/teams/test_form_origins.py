"""The signed origin of a form sent back to a 1:1 chat: read back only unaltered, current, by its person, there."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.teams import origins
from adapters.teams.files import Consents
from adapters.teams.origins import Origin, Refusal, Shared
from adapters.teams.turn import Turn, read_turn
from tests.integration.teams.builders import ALICE, BOB, CHANNEL, OTHER_TENANT, TEAM, TENANT, submit

JsonDict = dict[str, Any]
SERVICE = "https://smba.trafficmanager.net/emea/"
CHAT_1_1 = "a:1personal-alice"
SUPPORT = Shared(
    kind="channel", channel_id=CHANNEL, channel_name="Support Team › Support", meeting=False, roster_id=TEAM
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def signed(consents: Consents, **changes: Any) -> JsonDict:
    fields: dict[str, Any] = {
        "tenant": TENANT,
        "person": ALICE["id"],
        "conversation": CHAT_1_1,
        "shared": SUPPORT,
        "form": "story",
        "context": "",
    }
    fields.update(changes)
    return origins.sign(consents, **fields)


def turn(origin: object, *, sender: JsonDict = ALICE, where: str = "personal", **value: Any) -> Turn:
    data = {"form": "story", "context": "", "field.lesson": "Call back", "origin": origin, **value}
    activity = submit(data, SERVICE, card_id="1000", sender=sender, where=where)
    if where == "personal":
        activity["conversation"]["id"] = CHAT_1_1
    return read_turn(activity)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def consents(clock: Clock) -> Consents:
    return Consents(b"k" * 32, clock=clock)


def test_an_unaltered_origin_reads_back_as_the_shared_conversation(consents: Consents) -> None:
    origin = signed(consents)
    read = origins.read(consents, turn(origin), origins.carried(turn(origin)))
    assert isinstance(read, Origin) and read.shared == SUPPORT
    place = read.shared.place(TENANT)
    assert (place.channel_id, place.direct, place.workspace_id) == (CHANNEL, False, TENANT)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("channelId", TEAM),
        ("kind", "groupChat"),
        ("meeting", True),
        ("rosterId", "19:another-team"),
        ("person", BOB["id"]),
        ("conversation", "a:1personal-bob"),
        ("tenant", OTHER_TENANT),
        ("form", "shoutout"),
        ("expires", 1),
        ("signature", "AAAA"),
    ],
)
def test_any_altered_field_is_refused_as_altered(consents: Consents, field: str, value: object) -> None:
    origin = {**signed(consents), field: value}
    assert origins.read(consents, turn(origin), origin) is Refusal.UNSIGNED


def test_an_origin_signed_with_another_key_or_for_a_file_offer_is_refused(consents: Consents) -> None:
    other = Consents(b"o" * 32)
    assert origins.read(consents, turn(signed(other)), signed(other)) is Refusal.UNSIGNED
    fields = {k: v for k, v in signed(consents).items() if k != "signature"}
    as_offer = {**fields, "signature": consents._sign(fields)}
    assert origins.read(consents, turn(as_offer), as_offer) is Refusal.UNSIGNED


@pytest.mark.parametrize("raw", [None, "x", [], {"signature": "x"}, {"channelId": CHANNEL, "kind": "channel"}])
def test_junk_is_refused(consents: Consents, raw: object) -> None:
    assert origins.read(consents, turn(raw), raw) is Refusal.UNSIGNED


def test_an_expired_origin_is_refused(consents: Consents, clock: Clock) -> None:
    origin = signed(consents)
    clock.now += 8 * 24 * 3600
    assert origins.read(consents, turn(origin), origin) is Refusal.EXPIRED
    assert Refusal.EXPIRED.told == origins.EXPIRED and Refusal.ELSEWHERE.told == origins.REFUSED


def test_a_signed_origin_is_refused_elsewhere_or_for_someone_else(consents: Consents) -> None:
    origin = signed(consents)
    assert origins.read(consents, turn(origin, sender=BOB), origin) is Refusal.SOMEONE_ELSE
    assert origins.read(consents, turn(origin, where="channel"), origin) is Refusal.ELSEWHERE
    assert origins.read(consents, turn(origin, form="shoutout"), origin) is Refusal.ELSEWHERE
    assert origins.read(consents, turn(origin, context="42"), origin) is Refusal.ELSEWHERE
    elsewhere = signed(consents, conversation="a:1personal-another")
    assert origins.read(consents, turn(elsewhere), elsewhere) is Refusal.ELSEWHERE
    other_tenant = signed(consents, tenant=OTHER_TENANT)
    assert origins.read(consents, turn(other_tenant), other_tenant) is Refusal.ELSEWHERE


def test_only_a_form_submission_carries_an_origin(consents: Consents) -> None:
    pressed = read_turn(submit({"action": "agenda.swap", "value": "1", "origin": {}}, SERVICE, card_id="1"))
    assert origins.carried(pressed) is None
    assert origins.carried(read_turn(submit({"form": "story", "context": ""}, SERVICE, card_id="1"))) is None
