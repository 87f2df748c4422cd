"""Teams meetings through the real server: the moment in the meeting chat at start, once, and a question at the end."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import func, select

from adapters.runtime import Runtime
from bot.domain.lifecycle import AgendaState
from bot.scheduler.dispatcher import Dispatcher
from bot.storage.models import AgendaItem, MeetingOccurrence, Team
from tests.integration.teams.builders import (
    ALICE,
    BOB,
    CAROL,
    CHANNEL,
    CHAT,
    MEETING,
    TEAM,
    TENANT,
    account,
    installed,
    meeting_details,
    meeting_event,
    message,
    roster_entry,
    submit,
)
from tests.integration.teams.builders import conversation as conversation_of
from tests.integration.teams.conftest import PUBLIC_URL, TeamsApp, emulator, setup_channel, start
from tests.integration.teams.reading import buttons, cards, content, last_card
from tests.support.clock import FakeClock
from tests.support.fake_connector import Call, FakeConnector

JsonDict = dict[str, Any]


async def in_meeting_chat(teams: TeamsApp, *, details: JsonDict | None = None) -> None:
    """The app added to the meeting's chat (its roster: Alice, Bob, Carol), the meeting's details known."""
    teams.connector.roster(CHAT, [roster_entry(p) for p in (ALICE, BOB, CAROL)])
    teams.connector.meeting(MEETING, details if details is not None else meeting_details())
    response = await teams.post(installed(teams.service_url, where="chat"))
    assert response.status == 200
    teams.connector.clear()


def card_link(notified: Call) -> str:
    """The card's Teams link the notification's page opens (a query parameter of the page's address)."""
    page = urlsplit(notified.body["value"]["surfaces"][0]["content"]["value"]["url"])
    return parse_qs(page.query)["link"][0]


async def written_in_meeting_chat(teams: TeamsApp, text: str = "help", *, sender: JsonDict = ALICE) -> None:
    """Someone wrote to the bot in the meeting's chat: Teams names the meeting, so the bot knows the chat is one."""
    said = message(text, teams.service_url, where="chat", sender=sender)
    said["channelData"]["meeting"] = {"id": MEETING}
    assert (await teams.post(said)).status == 200
    teams.connector.clear()


def agenda_cards(calls: list[Call]) -> list[Call]:
    return [c for c in calls if any("Swap" in buttons(card) for card in cards(c))]


async def test_a_meeting_start_posts_the_moment_in_the_meeting_chat_and_notifies_the_meeting(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)

    response = await teams.post(meeting_event(teams.service_url))

    assert response.status == 200
    (posted,) = agenda_cards(teams.connector.posts(CHAT))
    assert "Customer Moment" in content(posted)
    (notified,) = teams.connector.notifications(MEETING)
    value = notified.body["value"]
    assert notified.body["type"] == "targetedMeetingNotification"
    assert set(value["recipients"]) == {ALICE["id"], BOB["id"], CAROL["id"]}
    (surface,) = value["surfaces"]
    assert surface["surface"] == "meetingStage"
    page = urlsplit(surface["content"]["value"]["url"])
    assert f"{page.scheme}://{page.netloc}{page.path}" == PUBLIC_URL + "/teams/tab/notice", "a page of the app's own"
    link = card_link(notified)
    assert link.startswith("https://teams.microsoft.com/l/message/") and link.endswith("/" + posted.posted_id)
    async with teams.runtime.sessions() as session:
        item = await session.scalar(select(AgendaItem))
        assert item is not None and item.state is AgendaState.POSTED and item.moment_id is not None


async def test_a_start_delivered_twice_posts_one_card_and_one_notification(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)

    for _ in range(3):  # each delivery with its own activity id, so only the database can tell
        assert (await teams.post(meeting_event(teams.service_url))).status == 200

    assert len(agenda_cards(teams.connector.posts(CHAT))) == 1
    assert len(teams.connector.notifications(MEETING)) == 1


async def test_a_meeting_chat_linked_to_a_channel_draws_from_that_channels_pool(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)
    teams.connector.team(TEAM, "Support Team", {CHANNEL: "Support"})
    story = message(
        "story The customer was promised a patch that slipped. lesson: call before they find out",
        teams.service_url,
    )
    assert (await teams.post(story)).status == 200
    await written_in_meeting_chat(teams)
    link = await teams.post(message("pool #support", teams.service_url, where="chat"))
    assert link.status == 200
    assert "pool of Support Team › Support" in content(teams.connector.posts(CHAT)[-1])
    teams.connector.clear()

    await teams.post(meeting_event(teams.service_url))

    (posted,) = agenda_cards(teams.connector.posts(CHAT))
    assert "call before they find out" in content(posted)
    assert not teams.connector.posts(CHANNEL), "the card goes to the meeting chat, not the channel"
    async with teams.runtime.sessions() as session:
        item = await session.scalar(select(AgendaItem))
        support = await session.scalar(select(Team).where(Team.external_id == CHANNEL))
        assert item is not None and support is not None and item.team_id == support.id, "featured in its team"

    swap = buttons(last_card([posted]))["Swap"]
    await teams.post(submit(swap, teams.service_url, card_id=posted.posted_id, where="chat"))
    assert teams.connector.updates(posted.posted_id), "the card in the meeting chat can be steered"


async def test_linking_a_pool_needs_someone_of_that_channel(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)
    teams.connector.team(TEAM, "Support Team", {CHANNEL: "Support"})
    await teams.post(message("help", teams.service_url, sender=ALICE))
    await written_in_meeting_chat(teams)

    await teams.post(message("pool #support", teams.service_url, where="chat", sender=BOB))

    assert "only its people (or an admin)" in content(teams.connector.posts(CHAT)[-1])


async def test_at_the_end_the_presenter_is_asked_once_and_the_answer_counts(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)
    await teams.post(meeting_event(teams.service_url))
    (posted,) = agenda_cards(teams.connector.posts(CHAT))
    teams.connector.clear()

    for _ in range(2):
        assert (await teams.post(meeting_event(teams.service_url, ended=True))).status == 200

    questions = [c for c in teams.connector.posts() if "Was the Customer Moment presented?" in content(c)]
    assert len(questions) == 1, "one question, however often the end arrives"
    assert questions[0].conversation_id.startswith("a:personal-"), "in the organizer's 1:1 chat"
    choices = buttons(last_card(questions))
    assert set(choices) == {"Presented", "Not presented"}

    await teams.post(submit(choices["Presented"], teams.service_url, card_id=questions[0].posted_id, where="personal"))
    (answered,) = teams.connector.updates(questions[0].posted_id)
    assert "marked presented" in content(answered), "the question turns into the answer"

    async with teams.runtime.sessions() as session:
        item = await session.scalar(select(AgendaItem))
        assert item is not None and item.state is AgendaState.PRESENTED
    assert teams.connector.updates(posted.posted_id), "the card in the meeting chat shows it was presented"


async def test_a_moment_already_presented_is_not_asked_about(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)
    await teams.post(meeting_event(teams.service_url))
    await teams.post(message("done", teams.service_url, where="chat"))
    teams.connector.clear()

    await teams.post(meeting_event(teams.service_url, ended=True))

    assert not [c for c in teams.connector.posts() if "presented?" in content(c)]


async def test_bad_meeting_events_are_answered_without_posting(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)

    without_id = await teams.post(meeting_event(teams.service_url, meeting_id=None))
    unknown_end = await teams.post(meeting_event(teams.service_url, ended=True, meeting_id="bm90LWEtbWVldGluZw=="))
    late_start = await teams.post(meeting_event(teams.service_url, meeting_id="bm90LWEtbWVldGluZw=="))

    assert {without_id.status, unknown_end.status, late_start.status} == {200}
    assert not teams.connector.posts() and not teams.connector.notifications()


async def test_a_meeting_the_bot_was_removed_from_is_answered_without_a_server_error(teams: TeamsApp) -> None:
    await in_meeting_chat(teams)
    teams.connector.gone.add(CHAT)
    teams.connector.gone.add(MEETING)

    response = await teams.post(meeting_event(teams.service_url))

    assert response.status == 200
    assert not teams.connector.notifications()
    async with teams.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(MeetingOccurrence)) == 1


async def test_without_meeting_details_the_day_tells_the_occurrence(teams: TeamsApp) -> None:
    teams.connector.roster(CHAT, [roster_entry(p) for p in (ALICE, BOB)])
    await teams.post(installed(teams.service_url, where="chat"))

    await teams.post(meeting_event(teams.service_url, at="2026-11-23T09:00:00Z"))
    await teams.post(meeting_event(teams.service_url, at="2026-11-23T09:05:00Z"))
    await teams.post(meeting_event(teams.service_url, at="2026-11-30T09:00:00Z"))

    async with teams.runtime.sessions() as session:
        occurrences = list(await session.scalars(select(MeetingOccurrence.occurrence)))
    assert sorted(occurrences) == ["2026-11-23", "2026-11-30"]


async def no_sleep(_seconds: float) -> None:
    return None


async def test_a_card_the_chats_series_posted_before_the_meeting_is_only_pointed_to_at_start(
    teams: TeamsApp, clock: FakeClock
) -> None:
    await in_meeting_chat(teams, details=meeting_details(start="2026-11-24T09:00:00Z"))
    await teams.post(message("schedule weekly tue 09:00 UTC lead 30m", teams.service_url, where="chat"))
    dispatcher = Dispatcher(
        sessions=teams.runtime.sessions, surfaces={"teams": teams.surface}, clock=clock, worker="w1", sleep=no_sleep
    )
    clock.now = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    assert (await dispatcher.run_once()).posted == 1
    (prepared,) = agenda_cards(teams.connector.posts(CHAT))
    teams.connector.clear()

    clock.now = datetime(2026, 11, 24, 9, 1, tzinfo=UTC)
    await teams.post(meeting_event(teams.service_url, at="2026-11-24T09:01:00Z"))

    assert not agenda_cards(teams.connector.posts(CHAT)), "no second card"
    (notified,) = teams.connector.notifications(MEETING)
    assert card_link(notified).endswith("/" + prepared.posted_id)


async def test_a_meeting_known_ahead_gets_its_card_the_lead_time_before_and_only_a_notification_at_start(
    teams: TeamsApp, clock: FakeClock
) -> None:
    await in_meeting_chat(teams, details=meeting_details(start="2026-11-24T09:00:00Z"))
    said_in_meeting = message("help", teams.service_url, where="chat")
    said_in_meeting["channelData"]["meeting"] = {"id": MEETING}
    await teams.post(said_in_meeting)
    await teams.post(said_in_meeting | {"id": "again"})  # the details are read once, not per message
    assert len([c for c in teams.connector.calls if c.method == "GET" and c.path.startswith("/v1/meetings/")]) == 1
    dispatcher = Dispatcher(
        sessions=teams.runtime.sessions, surfaces={"teams": teams.surface}, clock=clock, worker="w1", sleep=no_sleep
    )
    clock.now = datetime(2026, 11, 24, 8, 29, tzinfo=UTC)
    assert (await dispatcher.run_once()).posted == 0
    clock.now = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    assert (await dispatcher.run_once()).posted == 1, "posted the lead time (30 minutes) before"
    (prepared,) = agenda_cards(teams.connector.posts(CHAT))
    teams.connector.clear()

    clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    await teams.post(meeting_event(teams.service_url, at="2026-11-24T09:00:00Z"))

    assert not agenda_cards(teams.connector.posts(CHAT))
    (notified,) = teams.connector.notifications(MEETING)
    assert card_link(notified).endswith("/" + prepared.posted_id)


def channel_meeting_event(service_url: str, *, thread: str = "1732352400000") -> JsonDict:
    """A channel meeting's start: the event comes in the thread of the meeting's post in the channel."""
    event = meeting_event(service_url)
    conversation, data = conversation_of("channel", sender=ALICE, tenant=TENANT, thread=thread)
    event["conversation"] = conversation
    event["channelData"] = {**data, "meeting": {"id": MEETING}}
    return event


async def test_a_channel_meetings_card_goes_into_the_meetings_thread(teams: TeamsApp) -> None:
    teams.connector.meeting(MEETING, meeting_details())
    await setup_channel(teams)
    thread = f"{CHANNEL};messageid=1732352400000"

    response = await teams.post(channel_meeting_event(teams.service_url))

    assert response.status == 200
    (posted,) = agenda_cards(teams.connector.posts(thread))
    assert not agenda_cards(teams.connector.posts(CHANNEL)), "not a new post in the channel"
    (notified,) = teams.connector.notifications(MEETING)
    assert unquote(card_link(notified)) == (
        f"https://teams.microsoft.com/l/message/{CHANNEL}/{posted.posted_id}?parentMessageId=1732352400000"
    )
    teams.connector.clear()
    await teams.post(message("skip", teams.service_url))  # the card is updated where it is
    assert [c.conversation_id for c in teams.connector.updates(posted.posted_id)] == [thread]


async def test_a_large_meeting_is_notified_ten_people_at_a_time(teams: TeamsApp) -> None:
    people = [account(f"person{n}") for n in range(23)]
    teams.connector.roster(CHAT, [roster_entry(p) for p in people])
    teams.connector.meeting(MEETING, meeting_details())
    await teams.post(installed(teams.service_url, where="chat"))

    await teams.post(meeting_event(teams.service_url))

    notified = teams.connector.notifications(MEETING)
    batches = [n.body["value"]["recipients"] for n in notified]
    assert [len(b) for b in batches] == [10, 10, 3]
    assert sorted(r for b in batches for r in b) == sorted(p["id"] for p in people)
    assert len({n.body["value"]["surfaces"][0]["content"]["value"]["url"] for n in notified}) == 1


async def test_without_a_public_url_the_card_is_posted_and_no_notification_sent(
    runtime: Runtime, connector: FakeConnector, clock: FakeClock
) -> None:
    no_pages = emulator(runtime)
    no_pages = dataclasses.replace(no_pages, settings=no_pages.settings.model_copy(update={"public_url": ""}))
    client, surface = await start(no_pages, clock)
    teams = TeamsApp(client, surface, connector, runtime)
    try:
        await in_meeting_chat(teams)
        response = await teams.post(meeting_event(teams.service_url))
    finally:
        await client.close()

    assert response.status == 200
    assert len(agenda_cards(teams.connector.posts(CHAT))) == 1
    assert not teams.connector.notifications()


async def test_each_occurrence_of_a_recurring_meeting_gets_its_card_when_the_details_name_the_first(
    teams: TeamsApp,
) -> None:
    await in_meeting_chat(teams, details=meeting_details(start="2026-11-02T09:00:00Z"))

    for day in ("2026-11-09", "2026-11-16", "2026-11-16"):  # the last one delivered twice
        assert (await teams.post(meeting_event(teams.service_url, at=f"{day}T09:01:00Z"))).status == 200

    assert len(agenda_cards(teams.connector.posts(CHAT))) == 2
    async with teams.runtime.sessions() as session:
        occurrences = sorted(await session.scalars(select(MeetingOccurrence.occurrence)))
    assert occurrences == ["2026-11-09", "2026-11-16"]
