"""A meeting chat linked to a team's pool from its card, through the real server: the same rule as `pool #channel`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.storage.models import MeetingChat, Team, Workspace
from tests.integration.teams.builders import (
    ALICE,
    BOB,
    CHANNEL,
    CHAT,
    OTHER_TENANT,
    TEAM,
    TENANT,
    meeting_event,
    message,
    submit,
)
from tests.integration.teams.conftest import TeamsApp
from tests.integration.teams.reading import buttons, card_text, cards, content, inputs, last_card
from tests.integration.teams.test_meetings import agenda_cards, in_meeting_chat
from tests.support.fake_connector import Call

JsonDict = dict[str, Any]
SUPPORT = "Support Team › Support"


async def in_support_channel(teams: TeamsApp, person: JsonDict, *, tenant: str = TENANT) -> None:
    """Someone wrote in the Support channel: the bot knows it (its name from Teams), and that they are in it."""
    teams.connector.team(TEAM, "Support Team", {CHANNEL: "Support"})
    said = message("help", teams.service_url, sender=person, tenant=tenant)
    assert (await teams.post(said)).status == 200


async def meeting_card(teams: TeamsApp) -> Call:
    """The meeting started: its card in the meeting chat."""
    assert (await teams.post(meeting_event(teams.service_url))).status == 200
    (posted,) = agenda_cards(teams.connector.posts(CHAT))
    teams.connector.clear()
    return posted


async def press(
    teams: TeamsApp, posted: Call, title: str, *, sender: JsonDict = ALICE, shown: Call | None = None
) -> None:
    """Press a button of the card ``posted`` (as ``shown`` by its last update, if it was updated)."""
    button = buttons(last_card([shown or posted]))[title]
    response = await teams.post(
        submit(button, teams.service_url, card_id=posted.posted_id, where="chat", sender=sender)
    )
    assert response.status == 200


async def pool_form(teams: TeamsApp, posted: Call, *, sender: JsonDict = ALICE) -> Call:
    """Press "Use a team's pool" on the card: the form with the person's channels, posted in the chat."""
    await press(teams, posted, "Use a team's pool", sender=sender)
    (form,) = [c for c in teams.connector.posts(CHAT) if any("field.team" in inputs(card) for card in cards(c))]
    teams.connector.clear()
    return form


def choices(form: Call) -> dict[str, str]:
    """Label → value of the form's channel choices."""
    return {c["title"]: c["value"] for c in inputs(last_card([form]))["field.team"]["choices"]}


async def send(teams: TeamsApp, form: Call, team_value: str, *, sender: JsonDict = ALICE) -> None:
    value = {"form": "pool", "context": "", "field.team": team_value}
    response = await teams.post(submit(value, teams.service_url, card_id=form.posted_id, where="chat", sender=sender))
    assert response.status == 200


async def linked_pool(teams: TeamsApp) -> int | None:
    async with teams.runtime.sessions() as session:
        chat = await session.scalar(select(Team).where(Team.external_id == CHAT))
        assert chat is not None
        row = await session.get(MeetingChat, chat.id)
        return row.pool_team_id if row is not None else None


async def support_id(teams: TeamsApp, *, tenant: str = TENANT) -> int:
    """The Support channel's team id in a tenant's workspace."""
    async with teams.runtime.sessions() as session:
        team_id = await session.scalar(
            select(Team.id)
            .join(Workspace, Workspace.id == Team.workspace_id)
            .where(Team.external_id == CHANNEL, Workspace.external_id == tenant)
        )
        assert team_id is not None
        return team_id


async def test_the_meeting_card_offers_a_teams_pool_while_the_chat_draws_from_its_own(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)

    posted = await meeting_card(teams)

    card = last_card([posted])
    assert "Moments from: this chat's own pool" in card_text(card)
    assert "Use a team's pool" in buttons(card)
    assert "Use this chat's own pool" not in buttons(card)


async def test_a_card_in_a_channel_has_no_pool_button(teams: TeamsApp) -> None:
    await in_support_channel(teams, ALICE)
    teams.connector.clear()

    await teams.post(message("request", teams.service_url))

    (card_post,) = [c for c in teams.connector.posts(CHANNEL) if any("Swap" in buttons(card) for card in cards(c))]
    assert "Use a team's pool" not in content(card_post) and "Moments from" not in content(card_post)


async def test_linking_from_the_card_lists_the_persons_channels_and_updates_the_card(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)
    await in_support_channel(teams, ALICE)
    posted = await meeting_card(teams)

    form = await pool_form(teams, posted)

    listed = choices(form)
    assert SUPPORT in listed, "a channel Alice is in"
    assert all("meeting" not in label.lower() for label in listed), "not the meeting chat itself"
    assert listed[SUPPORT] == str(await support_id(teams))

    await send(teams, form, listed[SUPPORT])

    assert await linked_pool(teams) == await support_id(teams)
    (answered,) = teams.connector.updates(form.posted_id)
    assert f"now draw their Customer Moment from the pool of {SUPPORT}" in content(answered), "as the command says"
    (refreshed,) = teams.connector.updates(posted.posted_id)
    card = last_card([refreshed])
    assert f"Moments from: the pool of {SUPPORT}" in card_text(card)
    assert "Use this chat's own pool" in buttons(card) and "Use a team's pool" not in buttons(card)
    assert "Swap" in buttons(card), "the moment's own buttons stay"


async def test_the_command_updates_the_meeting_card_the_same_way(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)
    await in_support_channel(teams, ALICE)
    posted = await meeting_card(teams)

    await teams.post(message("pool #support", teams.service_url, where="chat"))

    (refreshed,) = teams.connector.updates(posted.posted_id)
    assert f"Moments from: the pool of {SUPPORT}" in card_text(last_card([refreshed]))


async def test_someone_not_in_the_channel_is_refused_and_nothing_changes(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)
    await in_support_channel(teams, ALICE)
    posted = await meeting_card(teams)
    form = await pool_form(teams, posted)  # Alice's form, in the chat for everyone

    await send(teams, form, choices(form)[SUPPORT], sender=BOB)

    assert await linked_pool(teams) is None
    (answered,) = teams.connector.updates(form.posted_id)
    refusal = content(answered)
    assert f"I haven't seen you in {SUPPORT} yet" in refusal and "only its people (or an admin)" in refusal
    assert "(`help` will do)" in refusal, "it says how to be seen there"
    assert not teams.connector.updates(posted.posted_id), "the meeting card is as it was"


async def test_someone_in_no_other_channel_is_told_so_instead_of_an_empty_list(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)
    await in_support_channel(teams, ALICE)
    posted = await meeting_card(teams)

    await press(teams, posted, "Use a team's pool", sender=BOB)

    (said,) = teams.connector.posts(CHAT)
    assert "I haven't seen you in any other channel yet" in content(said)
    assert "`pool #channel`" not in content(said), "naming a channel would be refused all the same"
    assert not any(inputs(card) for card in cards(said))
    assert await linked_pool(teams) is None


async def test_an_unknown_or_foreign_team_in_the_form_is_refused_and_nothing_changes(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)
    await in_support_channel(teams, ALICE)
    await in_support_channel(teams, ALICE, tenant=OTHER_TENANT)  # a channel of another tenant, same ids
    foreign = await support_id(teams, tenant=OTHER_TENANT)
    posted = await meeting_card(teams)
    form = await pool_form(teams, posted)
    assert str(foreign) not in choices(form).values()

    for value in (str(foreign), "999999", "0", "-1", "abc", "", "1" * 40):
        await send(teams, form, value)
        assert await linked_pool(teams) is None, value
        answer = content(teams.connector.updates(form.posted_id)[-1])
        assert "I don't know that channel here" in answer, value
    assert not teams.connector.updates(posted.posted_id)


async def test_the_card_of_a_linked_chat_goes_back_to_its_own_pool(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)
    await in_support_channel(teams, ALICE)
    posted = await meeting_card(teams)
    form = await pool_form(teams, posted)
    await send(teams, form, choices(form)[SUPPORT])
    (refreshed,) = teams.connector.updates(posted.posted_id)
    teams.connector.clear()

    await press(teams, posted, "Use this chat's own pool", shown=refreshed)

    assert await linked_pool(teams) is None
    assert "This chat's meetings now draw from its own pool." in content(teams.connector.posts(CHAT)[-1])
    (again,) = teams.connector.updates(posted.posted_id)
    card = last_card([again])
    assert "Moments from: this chat's own pool" in card_text(card) and "Use a team's pool" in buttons(card)
