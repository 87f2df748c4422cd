"""Two Teams tenants on one server never see each other's people, stories or channels."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.ports import ChannelGone
from bot.replies import Audience, Card, Reply
from bot.storage.models import Member, Workspace
from tests.integration.teams.builders import ALICE, BOB, CHANNEL, OTHER_TENANT, TENANT, aad, installed, message
from tests.integration.teams.conftest import TeamsApp
from tests.integration.teams.reading import content

STORY = "story A customer in {tenant} called twice about a late parcel lesson: call back before they chase us"


async def say(teams: TeamsApp, text: str, **options: object) -> str:
    teams.connector.clear()
    response = await teams.post(message(text, teams.service_url, **options))  # type: ignore[arg-type]
    assert response.status == 200
    return "\n".join(content(c) for c in teams.connector.posts())


async def test_the_same_channel_id_in_two_tenants_is_two_teams(teams: TeamsApp) -> None:
    await say(teams, STORY.format(tenant="contoso"), tenant=TENANT)
    await say(teams, STORY.format(tenant="fabrikam"), tenant=OTHER_TENANT)
    contoso = await say(teams, "queue", tenant=TENANT)
    fabrikam = await say(teams, "queue", tenant=OTHER_TENANT)
    assert "contoso" in contoso and "fabrikam" not in contoso
    assert "fabrikam" in fabrikam and "contoso" not in fabrikam
    async with teams.runtime.sessions() as session:
        assert {w.external_id for w in await session.scalars(select(Workspace))} == {TENANT, OTHER_TENANT}


async def test_each_tenant_has_its_own_admin(teams: TeamsApp) -> None:
    await say(teams, "help", tenant=TENANT, sender=ALICE)
    await say(teams, "help", tenant=OTHER_TENANT, sender=BOB)
    assert "Only admins" not in await say(
        teams, "managers add @Alice", tenant=OTHER_TENANT, sender=BOB, mentioned=(ALICE,)
    )
    async with teams.runtime.sessions() as session:
        alices = list(await session.scalars(select(Member).where(Member.external_id == aad(ALICE))))
    assert sorted(m.role for m in alices) == ["admin", "manager"]


async def test_a_card_for_one_tenant_is_never_posted_through_the_other(teams: TeamsApp) -> None:
    await teams.post(installed(teams.service_url, tenant=TENANT))
    await say(teams, "help", tenant=TENANT)
    card = Reply(card=Card(title="Customer Moment"), audience=Audience.CHANNEL)
    with pytest.raises(ChannelGone):
        await teams.surface.deliver(workspace_id=OTHER_TENANT, channel_id=CHANNEL, replies=[card])
    assert await teams.surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[card]) != [None]


async def test_stats_and_mine_stay_inside_the_tenant(teams: TeamsApp) -> None:
    await say(teams, STORY.format(tenant="contoso"), tenant=TENANT, sender=BOB)
    assert "contoso" not in await say(teams, "mine", tenant=OTHER_TENANT, sender=BOB, where="personal")
    assert "contoso" in await say(teams, "mine", tenant=TENANT, sender=BOB, where="personal")
