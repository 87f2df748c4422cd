"""What counts as an answer waiting on Slack: not the database write noting where a posted card went."""

from __future__ import annotations

from typing import Any, cast

from slack_sdk.web.async_client import AsyncWebClient

from adapters.http.foreground import Foreground
from adapters.http.inflight import Inflight
from adapters.slack.incoming import Sender, Tenant
from adapters.slack.listeners import SlackListeners
from adapters.slack.people import Profile
from bot.core import CustomerMoment
from bot.events import Incoming, Person, Place


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class SlowDatabaseCore:
    """Notes where a card went while the clock moves on (a database held by another writer)."""

    def __init__(self, clock: Clock, inflight: Inflight) -> None:
        self.clock = clock
        self.inflight = inflight
        self.congested_while_noting: list[bool] = []

    async def remember_post(self, **_: Any) -> None:
        self.clock.now += 30.0
        self.congested_while_noting.append(self.inflight.congested())


async def test_noting_where_a_card_went_is_not_waiting_on_slack_and_the_call_waits_anew_after_it() -> None:
    clock = Clock()
    inflight = Inflight(limit=4, foreground=Foreground(), slow_calls=1, wait=1.0, clock=clock)
    core = SlowDatabaseCore(clock, inflight)
    listeners = SlackListeners(
        core=cast(CustomerMoment, core),
        directory=cast(Any, None),
        deliveries=cast(Any, None),
        inflight=inflight,
        channels=cast(Any, None),
        installation_store=None,
    )
    sender = Sender(tenant=Tenant(enterprise_id=None, team_id="T1"), workspace_name="Acme", user_id="U1", user_name="")
    place = Place(platform="slack", workspace_id="T1", channel_id="C1", channel_name="support")
    incoming = Incoming(place=place, actor=Person("U1", "Ann"), text="queue")
    exchange = listeners._exchange(cast(AsyncWebClient, None), sender, Profile("U1", "Ann"), incoming)
    assert exchange.remember is not None
    with inflight.on_slack():  # posting a card, then noting where it went
        await exchange.remember("agenda:1", {"channel": "C1", "ts": "1.0"})
        assert core.congested_while_noting == [False]
        assert not inflight.congested(), "waiting on Slack again from the end of the write"
        clock.now += 1.5
        assert inflight.congested()
