"""A Teams meeting chat drawing from a channel's pool, through the real server: the chat's commands act on its
meeting's moment and the linked pool, and linking is only offered where it changes something."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.scheduler.dispatcher import Dispatcher
from bot.storage.models import AgendaItem, MeetingChat, Team
from tests.integration.teams.builders import ALICE, BOB, CHANNEL, CHAT, MEETING, installed, meeting_event, message
from tests.integration.teams.conftest import TeamsApp
from tests.integration.teams.reading import content
from tests.integration.teams.test_meeting_pool_card import SUPPORT, in_support_channel, linked_pool
from tests.integration.teams.test_meetings import (
    agenda_cards,
    card_link,
    in_meeting_chat,
    no_sleep,
    written_in_meeting_chat,
)
from tests.support.clock import FakeClock
from tests.support.fake_connector import Call

STORY = "story The customer was promised a patch that slipped. lesson: call before they find out"
OWN_STORY = "story The invoice showed the wrong name. lesson: check the basics first"


async def support_story(teams: TeamsApp) -> None:
    said = message(STORY, teams.service_url)
    said["channelData"]["channel"]["name"] = "Support"
    said["channelData"]["team"]["name"] = "Support Team"
    assert (await teams.post(said)).status == 200


async def in_chat(teams: TeamsApp, text: str, *, sender: dict[str, str] = ALICE) -> list[str]:
    """Write to the bot in the meeting chat: what it posted there, and what it updated."""
    teams.connector.clear()
    assert (await teams.post(message(text, teams.service_url, where="chat", sender=sender))).status == 200
    return [content(c) for c in teams.connector.posts(CHAT) + teams.connector.updates()]


async def linked_meeting(teams: TeamsApp) -> Call:
    """Support has a fresh story; the meeting chat draws from its pool; the meeting started: its card."""
    await in_meeting_chat(teams)
    await support_story(teams)
    await written_in_meeting_chat(teams)
    assert any("pool of Support Team › Support" in said for said in await in_chat(teams, "pool #support"))
    teams.connector.clear()
    await teams.post(meeting_event(teams.service_url))
    (posted,) = agenda_cards(teams.connector.posts(CHAT))
    assert "call before they find out" in content(posted)
    return posted


async def test_bare_swap_and_skip_in_a_linked_chat_update_the_meetings_card(teams: TeamsApp) -> None:
    posted = await linked_meeting(teams)

    swapped = await in_chat(teams, "swap")
    updated = teams.connector.updates(posted.posted_id)
    skipped = await in_chat(teams, "skip")

    assert not any("no meeting ahead" in said for said in swapped + skipped)
    assert updated, "the swap changed the card in the meeting chat"
    assert teams.connector.updates(posted.posted_id), "so did the skip"
    assert not teams.connector.posts(CHANNEL), "nothing went to the Support channel"


async def test_queue_in_a_linked_chat_shows_the_meetings_moment_and_the_linked_pool(teams: TeamsApp) -> None:
    await linked_meeting(teams)

    (shown,) = await in_chat(teams, "queue")

    assert f"The pool of {SUPPORT}" in shown
    assert "promised a patch that slipped" in shown and "nothing new" not in shown


async def test_queue_before_the_meeting_previews_the_linked_pools_fresh_story(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)
    await support_story(teams)
    await written_in_meeting_chat(teams)
    await in_chat(teams, "pool #support")

    (shown,) = await in_chat(teams, "queue")

    assert "promised a patch that slipped" in shown and "nothing new" not in shown


async def test_request_then_done_in_a_linked_chat(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)
    await support_story(teams)
    await written_in_meeting_chat(teams)
    await in_chat(teams, "pool #support")

    requested = await in_chat(teams, "request")
    (card,) = agenda_cards(teams.connector.posts(CHAT))
    done = await in_chat(teams, "done")

    assert any("call before they find out" in said for said in requested)
    assert teams.connector.updates(card.posted_id) and not any("no upcoming moment" in said for said in done)
    assert not teams.connector.posts(CHANNEL)


async def test_an_unlinked_meeting_chat_steers_its_own_moment_as_before(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)
    await support_story(teams)
    await in_chat(teams, OWN_STORY)
    teams.connector.clear()
    await teams.post(meeting_event(teams.service_url))
    (posted,) = agenda_cards(teams.connector.posts(CHAT))
    assert "check the basics first" in content(posted), "from the chat's own pool"

    await in_chat(teams, "skip")

    assert teams.connector.updates(posted.posted_id)
    async with teams.runtime.sessions() as session:
        item = await session.scalar(select(AgendaItem))
        chat = await session.scalar(select(Team).where(Team.external_id == CHAT))
        assert item is not None and chat is not None and item.team_id == chat.id


async def test_pool_in_a_teams_channel_is_refused_and_changes_nothing(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)
    await support_story(teams)
    teams.connector.clear()

    await teams.post(message("pool #support", teams.service_url))
    (refused,) = [content(c) for c in teams.connector.posts()]

    assert "Only a Teams meeting's chat can draw" in refused and "nothing changed" in refused
    async with teams.runtime.sessions() as session:
        assert not list(await session.scalars(select(MeetingChat).where(MeetingChat.pool_team_id.is_not(None))))


async def test_someone_not_seen_in_the_channel_is_told_how_and_can_then_link(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)
    await in_support_channel(teams, ALICE)
    await written_in_meeting_chat(teams)

    refused = await in_chat(teams, "pool #support", sender=BOB)
    assert any(f"I haven't seen you in {SUPPORT} yet" in said and "`help`" in said for said in refused)
    assert await linked_pool(teams) is None

    await in_support_channel(teams, BOB)  # what the refusal said to do
    linked = await in_chat(teams, "pool #support", sender=BOB)

    assert any(f"pool of {SUPPORT}" in said for said in linked)
    assert await linked_pool(teams) is not None


async def test_linking_a_chat_with_its_own_series_says_what_the_series_draws_from(
    teams: TeamsApp, clock: FakeClock
) -> None:
    await in_meeting_chat(teams)
    await support_story(teams)
    await in_chat(teams, OWN_STORY)
    await written_in_meeting_chat(teams)
    await in_chat(teams, "schedule weekly tue 09:00 UTC lead 30m")

    linked = "\n".join(await in_chat(teams, "pool #support"))
    status = "\n".join(await in_chat(teams, "pool"))
    dispatcher = Dispatcher(
        sessions=teams.runtime.sessions, surfaces={"teams": teams.surface}, clock=clock, worker="w1", sleep=no_sleep
    )
    clock.now = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    teams.connector.clear()
    await dispatcher.run_once()

    for said in (linked, status):
        assert f"pool of {SUPPORT}" in said and "scheduled in this chat, still draw from the chat's own pool" in said
    (card,) = agenda_cards(teams.connector.posts(CHAT))
    assert "check the basics first" in content(card), "the series' meeting drew from the chat's own pool, as said"


async def test_a_meeting_chats_very_first_message_can_link_it_and_a_plain_group_chat_cannot(teams: TeamsApp) -> None:
    await support_story(teams)
    await teams.post(installed(teams.service_url, where="chat"))  # nothing known of the meeting yet
    teams.connector.clear()

    plain = await in_chat(teams, "pool #support")  # a group chat whose messages name no meeting
    linking = message("pool #support", teams.service_url, where="chat")
    linking["channelData"]["meeting"] = {"id": MEETING}  # Teams names the meeting in its chat's messages
    assert (await teams.post(linking)).status == 200

    assert any("Only a Teams meeting's chat" in said for said in plain)
    assert "pool of Support Team › Support" in content(teams.connector.posts(CHAT)[-1])
    assert await linked_pool(teams) is not None


async def test_a_moment_requested_in_a_linked_chat_is_the_meetings_when_it_starts(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)
    await support_story(teams)
    await written_in_meeting_chat(teams)
    await in_chat(teams, "pool #support")
    await in_chat(teams, "request")
    (requested,) = agenda_cards(teams.connector.posts(CHAT))
    teams.connector.clear()

    assert (await teams.post(meeting_event(teams.service_url))).status == 200

    assert not agenda_cards(teams.connector.posts(CHAT)), "no second card for the same meeting"
    (notified,) = teams.connector.notifications(MEETING)
    assert card_link(notified).endswith("/" + requested.posted_id), "the notification points to the requested card"
