"""Commands written to the bot in its Messages tab: read like `/moment`, answered in that conversation."""

from __future__ import annotations

from tests.integration.slack.driver import SlackDriver, all_text


def answers_in(slack: SlackDriver, channel: str) -> list[str]:
    return [all_text(m["blocks"]) or str(m["text"]) for m in slack.fake.posted(channel)]


async def test_a_command_in_the_dm_is_answered_in_the_dm(slack: SlackDriver) -> None:
    assert await slack.direct_message("help") == 200
    [answer] = answers_in(slack, "DU1")
    assert "story" in answer and "queue" in answer
    assert slack.fake.calls_to("conversations.open") == []  # answered where it was asked, not in a new DM
    assert slack.fake.ephemerals == [] and slack.fake.responses == []


async def test_a_leading_moment_word_or_slash_command_is_the_same_command(slack: SlackDriver) -> None:
    await slack.direct_message("/moment help story")
    await slack.direct_message("moment help story")
    first, second = answers_in(slack, "DU1")
    assert first == second and "lesson:" in first


async def test_a_leading_mention_of_the_bot_is_not_part_of_the_command(slack: SlackDriver) -> None:
    await slack.direct_message("<@UBT1> help story")
    [answer] = answers_in(slack, "DU1")
    assert "lesson:" in answer and "I don't know" not in answer


async def test_a_quick_story_in_the_dm_is_refused_without_a_channel_and_nothing_is_stored(slack: SlackDriver) -> None:
    await slack.direct_message("story A customer was double-billed | I refunded at once | Check the invoice first")
    await slack.direct_message("mine")
    refusal, mine = answers_in(slack, "DU1")
    assert "Run this in your team's channel" in refusal
    assert "double-billed" not in mine


async def test_channel_bound_commands_are_refused_clearly_in_the_dm(slack: SlackDriver) -> None:
    for command in ("queue", "request", "schedule weekly tue 10:00 Europe/Berlin", "swap"):
        await slack.direct_message(command)
    answers = answers_in(slack, "DU1")
    assert len(answers) == 4
    assert all(
        ("Run this in your team's channel: each channel has its own stories, shout-outs, meetings and stats.") in a
        for a in answers
    ), answers


async def test_commands_that_need_no_channel_work_in_the_dm(slack: SlackDriver) -> None:
    await slack.command("story A customer was double-billed | I refunded at once | Check the invoice first")
    await slack.direct_message("mine")
    [mine] = answers_in(slack, "DU1")
    assert "double-billed" in mine


async def test_a_form_command_offers_a_button_that_opens_the_form(slack: SlackDriver) -> None:
    await slack.direct_message("story")
    [message] = slack.fake.posted("DU1")
    [button] = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == "open.story" and button["text"]["text"] == "Open the form"
    assert "Share a customer story" in all_text(message["blocks"])
    assert slack.fake.calls_to("views.open") == []
    await slack.press("open.story", "", channel="DU1")
    view = slack.opened_view()
    assert view["blocks"][0]["block_id"] == "slack_channel"  # a story from a DM asks which channel it is for


async def test_a_retried_delivery_is_answered_once(slack: SlackDriver) -> None:
    assert await slack.direct_message("help", event_id="EvDM1") == 200
    assert await slack.direct_message("help", event_id="EvDM1", retry=1) == 200
    assert await slack.direct_message("help", event_id="EvDM1", retry=2) == 200
    assert len(slack.fake.posted("DU1")) == 1


async def test_bots_edits_joins_and_channel_messages_are_ignored(slack: SlackDriver) -> None:
    assert await slack.direct_message("help", user="UBT1", bot_id="BT1") == 200  # the bot's own answer
    assert await slack.direct_message("help", subtype="bot_message", bot_id="B9") == 200
    assert await slack.direct_message("help", subtype="message_changed") == 200
    assert await slack.direct_message("help", subtype="channel_join") == 200
    assert await slack.direct_message("help", channel="C1", channel_type="channel") == 200
    assert slack.fake.posted("DU1") == [] and slack.fake.posted("C1") == []
    assert slack.fake.calls_to("chat.postMessage") == []


async def test_mentions_in_a_dm_name_people(slack: SlackDriver) -> None:
    await slack.direct_message("shoutout <@U2> called the customer back before they had to chase us")
    [answer] = answers_in(slack, "DU1")
    assert "Run this in your team's channel" in answer
