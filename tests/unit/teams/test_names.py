"""Channel names from Teams' events and its channel list: kept for a while, bounded, failures paused on."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.teams.names import ChannelNames, TeamSource
from bot.ports import DeliveryError

TENANT = "tenant-1"
TEAM = "19:team@thread.tacv2"
SUPPORT = "19:support@thread.tacv2"


class Teams:
    """A connector answering a team's details and channels, counting calls; ``failing`` makes it refuse."""

    def __init__(self, name: str = "Support Team", channels: dict[str, str] | None = None) -> None:
        self.name = name
        self.channels = {SUPPORT: "Support"} if channels is None else channels
        self.calls = 0
        self.failing = False

    async def team_details(self, team_id: str) -> Any:
        self.calls += 1
        if self.failing:
            raise DeliveryError("Teams did not take the team details (status 429)", retryable=True)
        return {"id": team_id, "name": self.name}

    async def team_channels(self, team_id: str) -> Any:
        return {"conversations": [{"id": team_id}, *({"id": i, "name": n} for i, n in self.channels.items())]}

    async def source(self) -> TeamSource:
        return self


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def event(kind: str, *, channel: dict[str, str] | None = None, team_name: str | None = None) -> dict[str, Any]:
    team: dict[str, str] = {"id": TEAM, **({"name": team_name} if team_name else {})}
    data: dict[str, Any] = {"eventType": kind, "team": team, "tenant": {"id": TENANT}}
    if channel:
        data["channel"] = channel
    return {"type": "conversationUpdate", "channelData": data}


async def test_a_channel_is_named_from_the_list_and_general_has_its_own_name() -> None:
    teams, names = Teams(), ChannelNames()
    assert await names.name(TENANT, TEAM, SUPPORT, teams.source) == "Support Team › Support"
    assert await names.name(TENANT, TEAM, TEAM, teams.source) == "Support Team › General"
    assert teams.calls == 1
    assert names.known(TENANT, SUPPORT) == "Support Team › Support"
    assert names.known("other-tenant", SUPPORT) is None


async def test_names_are_asked_for_again_after_a_while() -> None:
    teams, clock = Teams(), Clock()
    names = ChannelNames(keep_for=60, clock=clock)
    await names.name(TENANT, TEAM, SUPPORT, teams.source)
    teams.channels[SUPPORT] = "Escalations"
    clock.now = 30
    assert await names.name(TENANT, TEAM, SUPPORT, teams.source) == "Support Team › Support"
    clock.now = 61
    assert await names.name(TENANT, TEAM, SUPPORT, teams.source) == "Support Team › Escalations"
    assert teams.calls == 2


async def test_a_channel_teams_does_not_list_is_not_asked_about_at_every_message() -> None:
    teams, names = Teams(), ChannelNames()
    for _ in range(3):
        assert await names.name(TENANT, TEAM, "19:private@thread.tacv2", teams.source) == ""
    assert teams.calls == 1


async def test_a_failed_lookup_is_not_repeated_for_a_while() -> None:
    teams, clock = Teams(), Clock()
    names = ChannelNames(retry_after_failure=300, clock=clock)
    teams.failing = True
    assert await names.name(TENANT, TEAM, SUPPORT, teams.source) == ""
    assert await names.name(TENANT, TEAM, SUPPORT, teams.source) == ""
    assert teams.calls == 1
    teams.failing, clock.now = False, 301
    assert await names.name(TENANT, TEAM, SUPPORT, teams.source) == "Support Team › Support"


async def test_a_connector_that_cannot_be_made_is_a_failed_lookup() -> None:
    async def broken() -> TeamSource:
        raise ValueError("this turn has no way to reach the Bot Connector")

    assert await ChannelNames().name(TENANT, TEAM, SUPPORT, broken) == ""


async def test_the_teams_remembered_are_bounded() -> None:
    teams, names = Teams(), ChannelNames(capacity=2)
    for index in range(3):
        await names.name(TENANT, f"19:team{index}@thread.tacv2", SUPPORT, teams.source)
    assert await names.name(TENANT, "19:team0@thread.tacv2", SUPPORT, teams.source) == "Support Team › Support"
    assert teams.calls == 4, "the oldest team was forgotten and asked for again"


@pytest.mark.parametrize(
    ("kind", "channel", "team_name", "expected"),
    [
        ("channelRenamed", {"id": SUPPORT, "name": "Escalations"}, None, {SUPPORT: "Support Team › Escalations"}),
        (
            "channelCreated",
            {"id": "19:new@thread.tacv2", "name": "New"},
            None,
            {"19:new@thread.tacv2": "Support Team › New"},
        ),
        ("teamRenamed", None, "Care", {TEAM: "Care › General", SUPPORT: "Care › Support"}),
    ],
)
async def test_events_say_which_channels_are_now_called_what(
    kind: str, channel: dict[str, str] | None, team_name: str | None, expected: dict[str, str]
) -> None:
    teams, names = Teams(), ChannelNames()
    assert await names.learn(event(kind, channel=channel, team_name=team_name), teams.source) == expected


async def test_a_team_renamed_while_the_connector_fails_still_renames_its_general_channel() -> None:
    teams = Teams()
    teams.failing = True
    changed = await ChannelNames().learn(event("teamRenamed", team_name="Care"), teams.source)
    assert changed == {TEAM: "Care › General"}


async def test_a_channel_renamed_after_the_team_was_looked_up_needs_no_new_call() -> None:
    teams, names = Teams(), ChannelNames()
    await names.name(TENANT, TEAM, SUPPORT, teams.source)
    renamed = event("channelRenamed", channel={"id": SUPPORT, "name": "Escalations"})
    assert await names.learn(renamed, teams.source) == {SUPPORT: "Support Team › Escalations"}
    assert await names.name(TENANT, TEAM, SUPPORT, teams.source) == "Support Team › Escalations"
    assert teams.calls == 1
