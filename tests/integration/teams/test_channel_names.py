"""Channel names as real Teams gives them, through the real server: never in messages, but in team and
channel events and from the connector's team and channel list; and a channel @mention read as the channel."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.storage.models import MeetingChat, Team
from tests.integration.teams.builders import CHANNEL, CHAT, MEETING, TEAM, installed, message, team_update
from tests.integration.teams.conftest import TeamsApp
from tests.integration.teams.reading import content
from tests.integration.teams.test_meetings import in_meeting_chat

STORY = "story The customer was promised a patch that slipped. lesson: call before they find out"


def in_the_meeting(activity: dict[str, Any]) -> dict[str, Any]:
    """A message in the meeting's chat names the meeting, as Teams sends it."""
    activity["channelData"]["meeting"] = {"id": MEETING}
    return activity


async def names(teams: TeamsApp) -> dict[str, str]:
    async with teams.runtime.sessions() as session:
        return {t.external_id: t.name for t in await session.scalars(select(Team))}


async def linked_pool(teams: TeamsApp) -> str | None:
    async with teams.runtime.sessions() as session:
        row = await session.scalar(select(MeetingChat))
        pool = await session.get(Team, row.pool_team_id) if row is not None and row.pool_team_id else None
        return pool.external_id if pool is not None else None


async def test_a_channel_message_without_names_is_named_from_the_teams_channel_list(teams: TeamsApp) -> None:
    teams.connector.team(TEAM, "Support Team", {CHANNEL: "Support", "19:other@thread.tacv2": "Sales"})

    assert (await teams.post(message("help", teams.service_url))).status == 200
    assert (await teams.post(message("help", teams.service_url))).status == 200

    assert (await names(teams))[CHANNEL] == "Support Team › Support"
    paths = sorted(c.path for c in teams.connector.team_lookups(TEAM))
    assert paths == [f"/v3/teams/{TEAM}", f"/v3/teams/{TEAM}/conversations"], "asked once, then remembered"


async def test_the_general_channel_is_named_general(teams: TeamsApp) -> None:
    teams.connector.team(TEAM, "Support Team", {CHANNEL: "Support"})
    general = message("help", teams.service_url)
    general["conversation"]["id"] = general["channelData"]["channel"]["id"] = TEAM

    assert (await teams.post(general)).status == 200

    assert (await names(teams))[TEAM] == "Support Team › General"


async def test_a_renamed_channel_is_known_by_its_new_name(teams: TeamsApp) -> None:
    teams.connector.team(TEAM, "Support Team", {CHANNEL: "Support"})
    await teams.post(installed(teams.service_url))
    await teams.post(message("help", teams.service_url))
    await in_meeting_chat(teams)

    renamed = team_update(teams.service_url, "channelRenamed", channel={"id": CHANNEL, "name": "Escalations"})
    assert (await teams.post(renamed)).status == 200

    assert (await names(teams))[CHANNEL] == "Support Team › Escalations"
    await teams.post(in_the_meeting(message("pool #escalations", teams.service_url, where="chat")))
    assert "pool of Support Team › Escalations" in content(teams.connector.posts(CHAT)[-1])
    assert await linked_pool(teams) == CHANNEL


async def test_a_renamed_team_renames_its_channels(teams: TeamsApp) -> None:
    teams.connector.team(TEAM, "Support Team", {CHANNEL: "Support"})
    await teams.post(installed(teams.service_url))
    await teams.post(message("help", teams.service_url))

    assert (await teams.post(team_update(teams.service_url, "teamRenamed", team_name="Customer Care"))).status == 200

    assert await names(teams) == {TEAM: "Customer Care › General", CHANNEL: "Customer Care › Support"}


async def test_a_message_is_answered_when_the_connector_cannot_tell_names(teams: TeamsApp) -> None:
    teams.connector.team(TEAM, "Support Team", {CHANNEL: "Support"})
    await teams.post(installed(teams.service_url))
    teams.connector.clear()
    teams.connector.fail_next(10, 429, retry_after=0, only="GET")

    assert (await teams.post(message("help", teams.service_url))).status == 200
    asked = len(teams.connector.team_lookups(TEAM))
    assert (await teams.post(message("help", teams.service_url))).status == 200

    assert len(teams.connector.posts()) == 2, "both answered"
    assert (await names(teams))[CHANNEL] == "", "no name yet, none made up"
    assert asked and len(teams.connector.team_lookups(TEAM)) == asked, "not asked again right away"


async def test_an_unknown_team_leaves_the_name_as_it_was(teams: TeamsApp) -> None:
    await teams.post(installed(teams.service_url))  # the install names the General channel; the fake knows no team

    general = message("help", teams.service_url)
    general["conversation"]["id"] = general["channelData"]["channel"]["id"] = TEAM
    assert (await teams.post(general)).status == 200

    assert (await names(teams))[TEAM] == "Support Team › General"


async def test_a_channel_mention_links_a_meeting_chat_to_that_channels_pool(teams: TeamsApp) -> None:
    teams.connector.team(TEAM, "Support Team", {CHANNEL: "Support"})
    await teams.post(message(STORY, teams.service_url))
    await in_meeting_chat(teams)
    support = {"id": CHANNEL, "name": "Support"}

    await teams.post(in_the_meeting(message("pool @Support", teams.service_url, where="chat", mentioned=(support,))))

    assert "pool of Support Team › Support" in content(teams.connector.posts(CHAT)[-1])
    assert await linked_pool(teams) == CHANNEL
    assert not [c for c in teams.connector.calls if "/members/" in c.path], "no member lookup for a channel"
