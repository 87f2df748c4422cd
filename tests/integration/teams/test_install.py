"""Installing and removing the app: conversation references stored, teams marked active or inactive."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.storage.models import Member, Team, Workspace
from tests.integration.teams.builders import (
    ALICE,
    BOB,
    BOT,
    CHANNEL,
    CHAT,
    TEAM,
    TENANT,
    aad,
    base,
    bot_added,
    installed,
    message,
)
from tests.integration.teams.conftest import TeamsApp
from tests.integration.teams.reading import cards, content


async def post(teams: TeamsApp, activity: dict[str, Any]) -> None:
    response = await teams.post(activity)
    assert response.status == 200, await response.text()


async def teams_rows(teams: TeamsApp) -> dict[str, Team]:
    async with teams.runtime.sessions() as session:
        return {t.external_id: t for t in await session.scalars(select(Team))}


async def test_install_in_a_team_stores_the_reference_greets_and_makes_the_installer_admin(teams: TeamsApp) -> None:
    await post(teams, installed(teams.service_url))
    team = (await teams_rows(teams))[TEAM]
    assert team.active is True and team.name == "Support Team › General"
    reference = team.conversation
    assert reference is not None
    assert reference["conversation"]["id"] == TEAM and reference["conversation"]["tenantId"] == TENANT
    assert reference["serviceUrl"] == teams.service_url and reference["bot"]["id"] == BOT["id"]
    assert reference["teamsTeamId"] == TEAM and reference["channelId"] == "msteams"
    (greeting,) = teams.connector.posts(TEAM)
    assert "ten-minute Customer Moment" in content(greeting)
    async with teams.runtime.sessions() as session:
        workspace = await session.scalar(select(Workspace))
        admin = await session.scalar(select(Member))
    assert workspace is not None and workspace.platform == "teams" and workspace.external_id == TENANT
    assert admin is not None and admin.external_id == aad(ALICE) and admin.role == "admin"


async def test_conversation_update_with_the_bot_added_stores_the_reference_without_a_second_greeting(
    teams: TeamsApp,
) -> None:
    await post(teams, bot_added(teams.service_url))
    assert (await teams_rows(teams))[TEAM].conversation is not None
    assert teams.connector.posts() == []


async def test_install_in_a_group_chat_and_in_personal_scope(teams: TeamsApp) -> None:
    await post(teams, installed(teams.service_url, where="chat"))
    chat = (await teams_rows(teams))[CHAT]
    assert chat.conversation is not None and chat.conversation["conversation"]["id"] == CHAT
    await post(teams, installed(teams.service_url, where="personal", sender=BOB))
    assert set(await teams_rows(teams)) == {CHAT}
    greetings = teams.connector.posts()
    assert len(greetings) == 2 and all(cards(g) for g in greetings)


async def test_an_upgrade_refreshes_the_reference_without_greeting(teams: TeamsApp) -> None:
    await post(teams, installed(teams.service_url, action="add-upgrade"))
    assert (await teams_rows(teams))[TEAM].conversation is not None
    assert teams.connector.posts() == []


async def test_uninstall_clears_every_channel_of_that_team(teams: TeamsApp) -> None:
    await post(teams, installed(teams.service_url))
    await post(teams, message("help", teams.service_url))  # the Support channel gets its reference too
    before = await teams_rows(teams)
    stored = before[CHANNEL].conversation
    assert stored is not None and stored["conversation"]["id"] == CHANNEL
    await post(teams, installed(teams.service_url, action="remove"))
    after = await teams_rows(teams)
    assert all(t.conversation is None and t.active is False for t in after.values())


async def test_bot_removed_from_a_group_chat_clears_it(teams: TeamsApp) -> None:
    await post(teams, installed(teams.service_url, where="chat"))
    await post(teams, bot_added(teams.service_url, where="chat", removed=True))
    chat = (await teams_rows(teams))[CHAT]
    assert chat.conversation is None and chat.active is False


async def test_a_message_after_reinstall_makes_the_team_active_again(teams: TeamsApp) -> None:
    await post(teams, installed(teams.service_url))
    await post(teams, installed(teams.service_url, action="remove"))
    await post(teams, installed(teams.service_url))
    team = (await teams_rows(teams))[TEAM]
    assert team.active is True and team.conversation is not None


async def test_team_archived_and_unarchived(teams: TeamsApp) -> None:
    await post(teams, installed(teams.service_url))
    event = base("conversationUpdate", teams.service_url, where="channel", sender=ALICE, tenant=TENANT)
    event["channelData"] = {"eventType": "teamArchived", "team": {"id": TEAM}, "tenant": {"id": TENANT}}
    await post(teams, event)
    assert (await teams_rows(teams))[TEAM].active is False
    event = {**event, "id": "restore-1", "channelData": {**event["channelData"], "eventType": "teamUnarchived"}}
    await post(teams, event)
    assert (await teams_rows(teams))[TEAM].active is True


async def test_channel_deleted_forgets_that_channel(teams: TeamsApp) -> None:
    await post(teams, installed(teams.service_url))
    await post(teams, message("help", teams.service_url))
    event = base("conversationUpdate", teams.service_url, where="channel", sender=ALICE, tenant=TENANT)
    event["channelData"] = {
        "eventType": "channelDeleted",
        "channel": {"id": CHANNEL, "name": "Support"},
        "team": {"id": TEAM},
        "tenant": {"id": TENANT},
    }
    await post(teams, event)
    rows = await teams_rows(teams)
    assert rows[CHANNEL].active is False and rows[TEAM].active is True


async def test_the_bot_framework_emulator_works_with_authentication_off(teams: TeamsApp) -> None:
    user = {"id": "5f0d4c2e-4a7e-4d3f-9f0a-6b5d2c1e0f9a", "name": "User", "role": "user"}
    bot = {"id": "7a1e3c90-4d5f-11ee-be56-0242ac120002", "name": "Bot", "role": "bot"}
    common = {
        "channelId": "emulator",
        "serviceUrl": teams.service_url,
        "conversation": {"id": "8b2f4d10-4d5f-11ee-be56-0242ac120002|livechat"},
        "recipient": bot,
        "from": user,
    }
    await post(teams, {**common, "type": "conversationUpdate", "id": "e1", "membersAdded": [bot, user]})
    assert len(teams.connector.posts()) == 1  # the welcome card
    story = "story The printer ate the signed contract lesson: keep a spare copy at the desk"
    await post(teams, {**common, "type": "message", "id": "e2", "text": story})
    assert "Thanks! Your customer story #" in content(teams.connector.posts()[-1])
    async with teams.runtime.sessions() as session:
        workspace = await session.scalar(select(Workspace))
    assert workspace is not None and workspace.external_id == "emulator"
