"""The delivery port the scheduler uses: posts, updates in place, finds earlier posts, maps Slack errors."""

from __future__ import annotations

import pytest

from bot.ports import ChannelGone, DeliveryError
from bot.replies import Audience, Card, MessageKey, Reply, Section
from tests.integration.slack.driver import SlackDriver, all_text


def card(key: str = "agenda:7", ref: dict[str, str] | None = None, text: str = "Lost parcel") -> Reply:
    return Reply(
        card=Card(title="Customer Moment · Tue 10:00", sections=(Section(text, "What happened"),)),
        audience=Audience.CHANNEL,
        to_team="C1",
        message=MessageKey(key, ref),
    )


async def test_a_keyed_card_is_posted_with_metadata_and_found_again(slack: SlackDriver) -> None:
    [ref] = await slack.surface.deliver(workspace_id="T1", channel_id="C1", replies=[card()])
    assert ref["channel"] == "C1" and ref["ts"]
    [post] = slack.fake.posted("C1")
    assert post["metadata"] == {"event_type": "customer_moment_posted", "event_payload": {"key": "agenda:7"}}
    assert await slack.surface.find_posted(workspace_id="T1", channel_id="C1", key="agenda:7") == ref
    assert await slack.surface.find_posted(workspace_id="T1", channel_id="C1", key="agenda:8") is None
    history = slack.fake.calls_to("conversations.history")[0]
    assert history.params["include_all_metadata"] in (True, "true", "1", 1)


async def test_a_card_with_a_ref_is_updated_in_place(slack: SlackDriver) -> None:
    [ref] = await slack.surface.deliver(workspace_id="T1", channel_id="C1", replies=[card()])
    [again] = await slack.surface.deliver(
        workspace_id="T1", channel_id="C1", replies=[card(ref=ref, text="Wrong invoice")]
    )
    assert again == ref
    assert len(slack.fake.posted("C1")) == 1
    assert "Wrong invoice" in all_text(slack.fake.posted("C1")[0]["blocks"])


async def test_direct_messages_go_to_the_member(slack: SlackDriver) -> None:
    note = Reply(text="Your story is up next", audience=Audience.DIRECT, to_member="U2")
    [ref] = await slack.surface.deliver(workspace_id="T1", channel_id="C1", replies=[note])
    assert ref["channel"] == "DU2"


async def test_a_failed_direct_message_does_not_fail_the_delivery(slack: SlackDriver) -> None:
    slack.fake.fail("conversations.open", "user_not_found")
    note = Reply(text="Your story is up next", audience=Audience.DIRECT, to_member="U404")
    assert await slack.surface.deliver(workspace_id="T1", channel_id="C1", replies=[note]) == [None]


@pytest.mark.parametrize("error", ["is_archived", "channel_not_found", "not_in_channel", "invalid_auth"])
async def test_a_gone_channel_is_reported_as_such(slack: SlackDriver, error: str) -> None:
    slack.fake.fail("chat.postMessage", error)
    with pytest.raises(ChannelGone):
        await slack.surface.deliver(workspace_id="T1", channel_id="C1", replies=[card()])


async def test_an_archived_channel_history_is_gone_too(slack: SlackDriver) -> None:
    slack.fake.archived.add("C1")
    with pytest.raises(ChannelGone):
        await slack.surface.find_posted(workspace_id="T1", channel_id="C1", key="agenda:7")


async def test_rate_limits_beyond_the_retries_are_retryable_with_the_hint(slack: SlackDriver) -> None:
    slack.fake.fail("chat.postMessage", "ratelimited", status=429, retry_after=1, times=3)
    with pytest.raises(DeliveryError) as raised:
        await slack.surface.deliver(workspace_id="T1", channel_id="C1", replies=[card()])
    assert raised.value.retryable and raised.value.retry_after == 1.0
    assert len(slack.fake.calls_to("chat.postMessage")) == 3


async def test_a_server_error_is_retried_and_then_succeeds(slack: SlackDriver) -> None:
    slack.fake.fail("chat.postMessage", "internal_error", status=500)
    [ref] = await slack.surface.deliver(workspace_id="T1", channel_id="C1", replies=[card()])
    assert ref["ts"] and len(slack.fake.calls_to("chat.postMessage")) == 2


async def test_persistent_server_errors_are_retryable(slack: SlackDriver) -> None:
    slack.fake.fail("chat.postMessage", "internal_error", status=503, times=3)
    with pytest.raises(DeliveryError) as raised:
        await slack.surface.deliver(workspace_id="T1", channel_id="C1", replies=[card()])
    assert raised.value.retryable and not isinstance(raised.value, ChannelGone)


async def test_a_refused_post_is_not_retryable(slack: SlackDriver) -> None:
    slack.fake.fail("chat.postMessage", "invalid_blocks")
    with pytest.raises(DeliveryError) as raised:
        await slack.surface.deliver(workspace_id="T1", channel_id="C1", replies=[card()])
    assert not raised.value.retryable


async def test_a_slow_slack_is_waited_for(slack: SlackDriver) -> None:
    slack.fake.slow("chat.postMessage", 0.5)
    [ref] = await slack.surface.deliver(workspace_id="T1", channel_id="C1", replies=[card()])
    assert ref["ts"]
