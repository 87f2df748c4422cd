"""People removed from a team, a group chat or one private or shared channel (``conversationUpdate`` with
``membersRemoved``), over real HTTP.

They are no longer the people of its channels (for a team: of every channel of it the bot knows; for a private
or shared channel, ``channelMemberRemoved``: of that channel alone), so a manager stops reviewing what is shared
there; their own stories stay, and writing there again brings them back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.storage.models import Member, Moment, Team, TeamMember
from tests.integration.teams.builders import (
    ALICE,
    BOB,
    BOT,
    CHANNEL,
    CHAT,
    TEAM,
    TENANT,
    JsonDict,
    aad,
    base,
    message,
)
from tests.integration.teams.conftest import TeamsApp, setup_channel
from tests.integration.teams.reading import content

STORY = "story A regular customer's pram arrived broken | swapped it at the door | lesson: bring spares"


def removed(teams: TeamsApp, *people: JsonDict, where: str = "channel") -> JsonDict:
    """conversationUpdate naming ``people`` in membersRemoved, as Teams sends it for a team or group chat."""
    gone = [{key: p[key] for key in ("id", "aadObjectId") if key in p} for p in people]
    activity = base("conversationUpdate", teams.service_url, where=where, sender=ALICE, tenant=TENANT)
    activity["membersRemoved"] = gone
    if where == "channel":
        activity["conversation"]["id"] = TEAM
        activity["channelData"] = {
            "team": {"id": TEAM, "name": "Support Team"},
            "eventType": "teamMemberRemoved",
            "tenant": {"id": TENANT},
        }
    return activity


async def post(teams: TeamsApp, activity: dict[str, Any]) -> None:
    response = await teams.post(activity)
    assert response.status == 200, await response.text()


async def personal(teams: TeamsApp, text: str, sender: JsonDict = ALICE) -> str:
    teams.connector.clear()
    await post(teams, message(text, teams.service_url, where="personal", sender=sender))
    return "\n".join(content(c) for c in teams.connector.posts())


async def channels_of(teams: TeamsApp, person: JsonDict) -> set[str]:
    async with teams.runtime.sessions() as session:
        found = await session.scalars(
            select(Team.external_id)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .join(Member, Member.id == TeamMember.member_id)
            .where(Member.external_id == aad(person))
        )
        return set(found)


async def test_removed_from_the_team_a_manager_stops_reviewing_its_channels_until_writing_again(
    teams: TeamsApp,
) -> None:
    await setup_channel(teams)  # Alice (admin) installed the app in the team and wrote in #Support
    await post(teams, message("review on", teams.service_url))
    await post(teams, message(STORY, teams.service_url, sender=BOB))
    assert "pram arrived broken" in await personal(teams, "review")
    assert await channels_of(teams, ALICE) == {TEAM, CHANNEL}  # General (the install) and #Support

    await post(teams, removed(teams, ALICE))
    assert await channels_of(teams, ALICE) == set()
    assert "pram arrived broken" not in await personal(teams, "review")
    async with teams.runtime.sessions() as session:
        story = await session.scalar(select(Moment).where(Moment.kind == "story"))
    assert story is not None and story.state == "pending"  # Bob's story stays
    assert await channels_of(teams, BOB) == {CHANNEL}  # nobody else's membership changed

    await post(teams, message("queue", teams.service_url))  # Alice writes in #Support again
    assert "pram arrived broken" in await personal(teams, "review")


async def test_removed_from_a_group_chat(teams: TeamsApp) -> None:
    await setup_channel(teams)
    for where in ("chat", "channel"):
        await post(teams, message("help", teams.service_url, sender=BOB, where=where))
    assert await channels_of(teams, BOB) == {CHAT, CHANNEL}
    await post(teams, removed(teams, BOB, where="chat"))
    assert await channels_of(teams, BOB) == {CHANNEL}


async def test_a_repeated_or_unknown_removal_or_the_bots_own_changes_nothing_else(teams: TeamsApp) -> None:
    await setup_channel(teams)
    await post(teams, message("help", teams.service_url, sender=BOB))
    stranger = {"id": "29:1stranger", "aadObjectId": "0b7c2f6e-4a1d-4f7e-9a55-3c2d1e0f9a8b"}
    await post(teams, removed(teams, stranger))
    await post(teams, removed(teams, {"id": "29:1no-entra-id"}))
    await post(teams, removed(teams, BOB, where="personal"))
    assert await channels_of(teams, BOB) == {CHANNEL}
    await post(teams, removed(teams, BOB))
    await post(teams, removed(teams, BOB))  # delivered again
    assert await channels_of(teams, BOB) == set()
    assert await channels_of(teams, ALICE) == {TEAM, CHANNEL}
    await post(teams, removed(teams, BOT))  # the app itself removed: the team's channels are forgotten
    async with teams.runtime.sessions() as session:
        assert not any(t.active for t in await session.scalars(select(Team)))


# A private channel of the Support Team: its own membership, a subset of the team's.
PRIVATE = "19:5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b@thread.tacv2"


def in_private_channel(activity: JsonDict) -> JsonDict:
    """The same activity in the private channel (Teams names it in ``channelData.channel``)."""
    activity["conversation"]["id"] = PRIVATE
    activity["channelData"].update(
        teamsChannelId=PRIVATE, channel={"id": PRIVATE, "type": "private", "name": "Escalations"}
    )
    return activity


def channel_update(teams: TeamsApp, key: str, event: str, *people: JsonDict) -> JsonDict:
    """conversationUpdate for one private or shared channel alone, as Teams sends it to an app added to that
    channel (``channelMemberAdded`` / ``channelMemberRemoved``; the host team in ``channelData.team``)."""
    activity = in_private_channel(
        base("conversationUpdate", teams.service_url, where="channel", sender=ALICE, tenant=TENANT)
    )
    activity[key] = [{k: p[k] for k in ("id", "aadObjectId") if k in p} for p in people]
    activity["channelData"] = {
        "channel": {"id": PRIVATE, "type": "private", "name": "Escalations"},
        "team": {"id": TEAM},
        "eventType": event,
        "tenant": {"id": TENANT},
    }
    return activity


async def with_private_channel(teams: TeamsApp) -> None:
    """The app in the team, then added to its private channel; Bob writes in #Support and in the private channel."""
    await setup_channel(teams)
    await post(teams, channel_update(teams, "membersAdded", "channelMemberAdded", BOT))
    await post(teams, message("help", teams.service_url, sender=BOB))
    await post(teams, in_private_channel(message("help", teams.service_url, sender=BOB)))
    assert await channels_of(teams, BOB) == {CHANNEL, PRIVATE}


async def test_removed_from_a_private_channel_alone_ends_that_channel_only(teams: TeamsApp) -> None:
    await with_private_channel(teams)
    alice = await channels_of(teams, ALICE)
    await post(teams, channel_update(teams, "membersRemoved", "channelMemberRemoved", BOB))
    assert await channels_of(teams, BOB) == {CHANNEL}  # still one of the team's, and of #Support's, people
    assert await channels_of(teams, ALICE) == alice
    await post(teams, in_private_channel(message("queue", teams.service_url, sender=BOB)))  # added back, writing
    assert await channels_of(teams, BOB) == {CHANNEL, PRIVATE}


async def test_the_app_removed_from_a_private_channel_leaves_the_rest_of_the_team(teams: TeamsApp) -> None:
    await with_private_channel(teams)
    await post(teams, channel_update(teams, "membersRemoved", "channelMemberRemoved", BOT))
    async with teams.runtime.sessions() as session:
        active = {t.external_id: t.active for t in await session.scalars(select(Team))}
    assert active == {TEAM: True, CHANNEL: True, PRIVATE: False}
