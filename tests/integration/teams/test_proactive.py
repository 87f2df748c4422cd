"""Posting without an incoming message (`Surface.deliver`), and what Teams' throttling and failures become."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from adapters.runtime import Runtime
from adapters.teams.connector import Backoff
from adapters.teams.sdk import ConnectorOptions
from bot.ports import ChannelGone, DeliveryError
from bot.replies import Audience, Card, MessageKey, Reply, Section
from bot.scheduler.dispatcher import Dispatcher
from bot.storage.models import AgendaItem, Moment
from tests.integration.teams.builders import BOB, CHANNEL, TEAM, TENANT, aad, installed, message
from tests.integration.teams.conftest import TeamsApp, emulator, setup_channel, start
from tests.integration.teams.reading import content
from tests.support.clock import FakeClock
from tests.support.fake_connector import FakeConnector

CARD = Reply(card=Card(title="Customer Moment · Tue 24 Nov", sections=(Section("A story"),)), audience=Audience.CHANNEL)


async def no_sleep(_seconds: float) -> None:
    return None


async def test_the_scheduler_posts_the_agenda_card_into_the_channel_and_can_find_it_again(
    teams: TeamsApp, clock: FakeClock
) -> None:
    await setup_channel(teams)
    await teams.post(message("schedule weekly tue 10:00 Europe/Berlin lead 30m", teams.service_url))
    teams.connector.clear()
    dispatcher = Dispatcher(
        sessions=teams.runtime.sessions, surfaces={"teams": teams.surface}, clock=clock, worker="w1", sleep=no_sleep
    )
    clock.now = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    tally = await dispatcher.run_once()
    assert tally.posted == 1
    # The pool is empty: the channel is invited to share a story just before the card (a library exercise).
    invitation, post = teams.connector.posts(CHANNEL)
    assert "The pool has nothing new for the meeting on Tue 24 Nov 10:00" in content(invitation)
    assert "Customer Moment · Tue 24 Nov 10:00" in content(post)
    async with teams.runtime.sessions() as session:
        item = await session.scalar(select(AgendaItem))
    assert item is not None and item.post_ref is not None
    assert item.post_ref["activityId"] == post.posted_id and item.post_ref["conversationId"] == CHANNEL
    found = await teams.surface.find_posted(workspace_id=TENANT, channel_id=CHANNEL, key=f"agenda:{item.id}")
    assert found == item.post_ref
    assert await teams.surface.find_posted(workspace_id=TENANT, channel_id=TEAM, key=f"agenda:{item.id}") is None
    assert (await dispatcher.run_once()).posted == 0


async def test_deliver_posts_a_new_thread_and_updates_a_keyed_card_in_place(teams: TeamsApp) -> None:
    await setup_channel(teams)
    (ref,) = await teams.surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[CARD])
    assert ref["conversationId"] == CHANNEL and ref["activityId"]
    updated = Reply(card=CARD.card, audience=Audience.CHANNEL, message=MessageKey("agenda:99", ref))
    (same,) = await teams.surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[updated])
    assert same == ref
    (update,) = teams.connector.updates()
    assert update.activity_id == ref["activityId"] and update.conversation_id == CHANNEL


async def test_a_deleted_card_is_posted_again(teams: TeamsApp) -> None:
    await setup_channel(teams)
    stale = {"serviceUrl": teams.service_url, "conversationId": CHANNEL, "activityId": "gone-1", "tenantId": TENANT}
    teams.connector.fail_next(1, 404, only="PUT", code="ActivityNotFound")
    reply = Reply(card=CARD.card, audience=Audience.CHANNEL, to_team=CHANNEL, message=MessageKey("agenda:7", stale))
    (ref,) = await teams.surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[reply])
    assert ref["activityId"] != "gone-1" and teams.connector.posts(CHANNEL)


async def test_direct_messages_open_a_1_to_1_chat_through_the_team_roster(teams: TeamsApp) -> None:
    await setup_channel(teams)
    note = Reply(text="Your story is coming up", audience=Audience.DIRECT, to_member=aad(BOB))
    refs = await teams.surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[CARD, note])
    assert refs[1] is not None
    (created,) = teams.connector.created()
    assert created.body["members"] == [{"id": BOB["id"]}] and created.body["isGroup"] is False
    assert "coming up" in content(teams.connector.posts(f"a:personal-{BOB['id']}")[0])


async def test_direct_messages_without_a_channel_use_any_installed_conversation(teams: TeamsApp) -> None:
    await setup_channel(teams)
    note = Reply(text="I couldn't post the moment", audience=Audience.DIRECT, to_member=aad(BOB))
    (ref,) = await teams.surface.deliver(workspace_id=TENANT, channel_id=None, replies=[note])
    assert ref is not None and ref["conversationId"] == f"a:personal-{BOB['id']}"


async def test_a_failed_direct_message_is_not_an_error(teams: TeamsApp) -> None:
    await setup_channel(teams)
    teams.connector.fail_next(1, 403, only="POST", code="ConversationBlockedByUser")
    note = Reply(text="hello", audience=Audience.DIRECT, to_member=aad(BOB))
    assert await teams.surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[note]) == [None]


async def test_a_channel_without_the_app_is_gone(teams: TeamsApp) -> None:
    with pytest.raises(ChannelGone):
        await teams.surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[CARD])
    await setup_channel(teams)
    await teams.post(installed(teams.service_url, action="remove"))
    with pytest.raises(ChannelGone):
        await teams.surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[CARD])


async def test_bot_removed_from_the_conversation_is_channel_gone(teams: TeamsApp) -> None:
    await setup_channel(teams)
    teams.connector.gone.add(CHANNEL)
    with pytest.raises(ChannelGone):
        await teams.surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[CARD])


async def test_throttling_is_retried_honouring_retry_after(teams: TeamsApp) -> None:
    await setup_channel(teams)
    teams.connector.fail_next(2, 429, retry_after="0.05", only="POST")
    (ref,) = await teams.surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[CARD])
    assert ref is not None and len(teams.connector.posts(CHANNEL)) == 3


@pytest.mark.parametrize("status", [412, 429, 500, 502, 503, 504])
async def test_lasting_transient_failures_become_retryable_errors(teams: TeamsApp, status: int) -> None:
    await setup_channel(teams)
    teams.connector.fail_next(3, status, retry_after="0.01" if status == 429 else None, only="POST")
    with pytest.raises(DeliveryError) as raised:
        await teams.surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[CARD])
    assert raised.value.retryable is True and not isinstance(raised.value, ChannelGone)
    assert len(teams.connector.posts(CHANNEL)) == 3
    if status == 429:
        assert raised.value.retry_after == pytest.approx(0.01)


async def test_a_long_retry_after_is_handed_to_the_scheduler_instead_of_waited_for(teams: TeamsApp) -> None:
    await setup_channel(teams)
    teams.connector.fail_next(1, 429, retry_after="120", only="POST")
    with pytest.raises(DeliveryError) as raised:
        await teams.surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[CARD])
    assert raised.value.retryable and raised.value.retry_after == 120.0
    assert len(teams.connector.posts(CHANNEL)) == 1


async def test_a_refused_post_is_not_retried(teams: TeamsApp) -> None:
    await setup_channel(teams)
    teams.connector.fail_next(1, 400, only="POST", code="BadArgument")
    with pytest.raises(DeliveryError) as raised:
        await teams.surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[CARD])
    assert raised.value.retryable is False and len(teams.connector.posts(CHANNEL)) == 1


async def test_a_timeout_is_retried(runtime: Runtime, connector: FakeConnector, clock: FakeClock) -> None:
    options = ConnectorOptions(backoff=Backoff(attempts=2, base=0.01, cap=0.01), timeout=0.3)
    client, surface = await start(emulator(runtime), clock, options)
    try:
        teams = TeamsApp(client, surface, connector, runtime)
        await setup_channel(teams)
        # A slow success: only a client that gave up (and tried again) sees a second post.
        connector.fail_next(1, 201, only="POST", delay=1.0)
        (ref,) = await surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[CARD])
        assert ref is not None and len(connector.posts(CHANNEL)) == 2
        connector.fail_next(2, 201, only="POST", delay=1.0)
        with pytest.raises(DeliveryError) as raised:
            await surface.deliver(workspace_id=TENANT, channel_id=CHANNEL, replies=[CARD])
        assert raised.value.retryable
    finally:
        await client.close()


async def test_throttled_replies_to_a_message_are_retried(teams: TeamsApp) -> None:
    teams.connector.fail_next(1, 429, retry_after="0.01", only="POST")
    response = await teams.post(message("help", teams.service_url))
    assert response.status == 200
    delivered = [c for c in teams.connector.posts() if "Customer Moment — a customer story" in content(c)]
    assert len(delivered) == 2


async def test_a_failing_connector_loses_the_reply_but_not_the_story(teams: TeamsApp) -> None:
    teams.connector.fail_next(3, 500, only="POST")
    story = "story A customer called twice about a late parcel lesson: call back before they chase us"
    response = await teams.post(message(story, teams.service_url))
    assert response.status == 200
    assert len(teams.connector.posts()) == 3
    async with teams.runtime.sessions() as session:
        saved = list(await session.scalars(select(Moment).where(Moment.kind == "story")))
    assert len(saved) == 1
    mine = await teams.post(message("mine", teams.service_url, where="personal"))
    assert mine.status == 200 and "late parcel" in content(teams.connector.posts()[-1])
