"""`/moment` subcommands end to end: signed request → ack → core → replies back through Slack."""

from __future__ import annotations

import re

from tests.integration.slack.driver import SlackDriver, all_text


def number_in(text: str) -> str:
    match = re.search(r"#(\d+)", text)
    assert match, text
    return match.group(1)


async def test_help_is_answered_ephemerally_in_the_acknowledgement_itself(slack: SlackDriver) -> None:
    name = await slack.command("help")
    [answer] = slack.responses(name)
    assert answer["response_type"] == "ephemeral"
    assert "story" in all_text(answer)
    assert slack.fake.carried == [name]  # nothing was posted to the response URL


async def test_a_command_that_opens_a_form_is_acknowledged_empty_once_the_form_is_open(slack: SlackDriver) -> None:
    name = await slack.command("story")
    assert slack.responses(name) == [] and slack.fake.carried == []
    assert slack.opened_view()["blocks"]


async def test_an_unknown_command_gets_a_friendly_answer(slack: SlackDriver) -> None:
    name = await slack.command("dance")
    assert "I don't know the command" in slack.said(name)


async def test_quick_story_is_saved_and_shows_in_mine(slack: SlackDriver) -> None:
    name = await slack.command("story A customer was double-billed | I refunded at once | Check the invoice first")
    assert "is in the pool" in slack.said(name)
    mine = await slack.command("mine")
    assert "double-billed" in slack.said(mine)


async def test_typed_entities_arrive_as_plain_text(slack: SlackDriver) -> None:
    await slack.command("story Fees &amp; charges were wrong &lt;again&gt; | Explain fees &amp; refunds")
    mine = await slack.command("mine")
    text = slack.said(mine)
    assert "Fees &amp; charges were wrong &lt;again&gt;" in text
    assert "&amp;amp;" not in text


async def test_shoutout_with_mentions_tells_the_recipients_and_the_channel(slack: SlackDriver) -> None:
    name = await slack.command("shoutout <@U2|bob> <@U3> called the customer back before they had to chase us")
    assert "shared" in slack.said(name)
    opened = {c.params["users"] for c in slack.fake.calls_to("conversations.open")}
    assert opened == {"U2", "U3"}
    assert "Alice gave you a shout-out" in all_text(slack.fake.posted("DU2"))
    [post] = slack.fake.posted("C1")
    assert "Bob and Carol" in all_text(post["blocks"])
    assert "called the customer back" in all_text(post["blocks"])


async def test_schedule_from_text(slack: SlackDriver) -> None:
    name = await slack.command("schedule weekly tue 10:00 Europe/Berlin lead 30m")
    assert "Scheduled" in slack.said(name)
    meetings = await slack.command("meetings")
    assert "Meeting #" in slack.said(meetings)


async def test_stats_answer_with_a_card(slack: SlackDriver) -> None:
    await slack.command("story Late parcel | Called the courier | Call first")
    name = await slack.command("stats 30")
    [answer] = slack.responses(name)
    assert answer["blocks"][0]["type"] == "header"
    assert "Stories submitted" in all_text(answer)


async def test_export_uploads_a_file_to_the_person_who_asked(slack: SlackDriver) -> None:
    await slack.command("story Late parcel | Called the courier | Call first")
    name = await slack.command("export csv")
    [opened] = slack.fake.calls_to("conversations.open")
    assert opened.params["users"] == "U1"
    [complete] = slack.fake.calls_to("files.completeUploadExternal")
    assert complete.params["channel_id"] == "DU1"
    [content] = slack.fake.uploads.values()
    assert content.decode().startswith("id,kind,state")
    assert "Late parcel" in content.decode()
    assert "direct message" in slack.said(name)


async def test_export_falls_back_to_a_direct_message_when_the_upload_fails(slack: SlackDriver) -> None:
    await slack.command("story Late parcel | Called the courier | Call first")
    slack.fake.fail("files.completeUploadExternal", "not_in_channel")
    await slack.command("export json")
    assert "couldn't share customer-moment-" in all_text(slack.fake.posted("DU1"))


async def test_withdraw_own_story(slack: SlackDriver) -> None:
    saved = await slack.command("story Late parcel | Called the courier | Call first")
    number = number_in(slack.said(saved))
    name = await slack.command(f"withdraw {number}")
    assert f"Withdrawn #{number}" in slack.said(name)


async def test_hide_a_shoutout_about_me(slack: SlackDriver) -> None:
    given = await slack.command("shoutout <@U2|bob> kept the customer posted every day")
    number = number_in(slack.said(given))
    name = await slack.command(f"hide {number}", user="U2")
    assert f"Hidden #{number}" in slack.said(name)


async def test_optout(slack: SlackDriver) -> None:
    name = await slack.command("optout", user="U2")
    assert "will not be featured" in slack.said(name)


async def test_managers_add_by_mention(slack: SlackDriver) -> None:
    await slack.command("help")  # the first person in a workspace is its admin
    name = await slack.command("managers add <@U2|bob>")
    assert "Now managers: Bob" in slack.said(name)
    refused = await slack.command("managers add <@U3>", user="U3")
    assert "Only admins" in slack.said(refused)


async def test_a_workspace_admin_in_slack_is_an_admin_here(slack: SlackDriver) -> None:
    await slack.command("help")
    slack.fake.users["U3"]["is_admin"] = True
    name = await slack.command("managers add <@U2|bob>", user="U3")
    assert "Now managers: Bob" in slack.said(name)


async def test_direct_message_commands_have_no_team(slack: SlackDriver) -> None:
    name = await slack.command("queue", channel="D1", channel_name="directmessage")
    assert "Run this in your team's channel" in slack.said(name)


async def test_a_team_exercise_from_text_and_from_the_modal(slack: SlackDriver) -> None:
    name = await slack.command("exercise Bad news role play | Deliver a delay kindly | Pair up; Swap roles | 10")
    assert "Added exercise" in slack.said(name)
    await slack.command("exercise")
    view = slack.opened_view()
    assert [b["block_id"] for b in view["blocks"]] == ["title", "prompt", "steps", "minutes"]
    status, body = await slack.submit(
        view, {"title": "Listening drill", "prompt": "Repeat the customer's words back.", "minutes": 5}
    )
    assert (status, body) == (200, {})
    assert "Added exercise" in all_text(slack.fake.ephemerals)


async def test_pool_in_a_slack_channel_is_refused_and_links_nothing(slack: SlackDriver) -> None:
    await slack.command("help", channel="C2", channel_name="sales")

    refused = slack.said(await slack.command("pool #sales"))
    status = slack.said(await slack.command("pool"))

    assert "Only a Teams meeting's chat can draw" in refused and "nothing changed" in refused
    assert "draw from its own pool" in status


async def test_colleagues_mentioned_in_a_story_read_by_their_names(slack: SlackDriver) -> None:
    read_back = slack.said(
        await slack.command("story <@U2> and <@U3|carol> stayed on the call with the customer | <@U2> says: call back")
    )
    text = read_back + slack.said(await slack.command("mine"))
    assert "@Bob and @Carol stayed on the call" in text and "@Bob says: call back" in read_back
    assert "@U2" not in text and "@U3" not in text
    await slack.command("story <@UNOBODY> met the courier at the door | keep the door open")
    assert "@UNOBODY met the courier" in slack.said(await slack.command("mine"))  # not known: left as typed


async def test_a_schedule_typed_without_a_zone_uses_the_schedulers_zone_while_the_channel_has_none(
    slack: SlackDriver,
) -> None:
    said = slack.said(await slack.command("schedule weekly tue 10:00"))  # Alice is in Europe/Berlin
    assert "Europe/Berlin" in said or "CET" in said
    assert "UTC" not in said
    said = slack.said(await slack.command("timezone"))
    assert "Europe/Berlin" in said  # the channel took it on, as with a zone typed
    await slack.command("timezone America/New_York")
    said = slack.said(await slack.command("schedule weekly thu 15:00", channel="C1"))
    assert "America/New_York" in said or "EST" in said  # a channel's zone once set wins
