""" "Make it a Customer Moment" on a message: the story or shout-out form opens, filled in from the message."""

from __future__ import annotations

import json

from bot.domain.validation import MAX_REASON, MAX_TEXT
from tests.integration.slack.driver import SlackDriver


def fields(view: dict[str, object]) -> dict[str, dict[str, object]]:
    return {b["block_id"]: b["element"] for b in view["blocks"]}  # type: ignore[index, union-attr]


async def test_someone_elses_message_opens_the_shoutout_form_for_them(slack: SlackDriver) -> None:
    text = "Called the customer back before they had to chase us &amp; fixed it"
    assert await slack.shortcut(text, author="U2", trigger="trigger-short") == 200
    [opened] = slack.fake.calls_to("views.open")
    assert opened.params["trigger_id"] == "trigger-short"
    view = slack.opened_view()
    elements = fields(view)
    assert elements["recipients"]["initial_users"] == ["U2"]
    assert elements["reason"]["initial_value"] == "Called the customer back before they had to chase us & fixed it"
    origin = json.loads(view["private_metadata"])
    assert (origin["form"], origin["channel"]) == ("shoutout", "C1")


async def test_the_shoutout_is_sent_for_the_author_by_the_person_who_used_the_shortcut(slack: SlackDriver) -> None:
    await slack.shortcut("Called the customer back before they had to chase us", author="U2", user="U3")
    view = slack.opened_view()
    status, body = await slack.submit(
        view, {"recipients": ["U2"], "reason": fields(view)["reason"]["initial_value"]}, user="U3"
    )
    assert (status, body) == (200, {})
    [post] = slack.fake.posted("C1")
    assert "Carol" in json.dumps(post["blocks"]) and "Bob" in json.dumps(post["blocks"])


async def test_your_own_message_opens_the_story_form_with_its_text(slack: SlackDriver) -> None:
    await slack.shortcut("The parcel went to the wrong city; I rebooked it", author="U1")
    view = slack.opened_view()
    elements = fields(view)
    assert "recipients" not in elements
    assert elements["situation"]["initial_value"] == "The parcel went to the wrong city; I rebooked it"
    origin = json.loads(view["private_metadata"])
    assert (origin["form"], origin["channel"]) == ("story", "C1")
    status, body = await slack.submit(
        view, {"situation": elements["situation"]["initial_value"], "lesson": "Check the address twice."}
    )
    assert (status, body) == (200, {})
    mine = await slack.command("mine")
    assert "wrong city" in slack.said(mine)


async def test_a_bots_message_becomes_a_story(slack: SlackDriver) -> None:
    await slack.shortcut("Ticket #42 closed: customer happy", author="UB9", bot_id="B9")
    assert "situation" in fields(slack.opened_view())


async def test_a_long_message_is_cut_to_the_fields_limit(slack: SlackDriver) -> None:
    long = "The customer waited. " * 400
    await slack.shortcut(long, author="U1")
    situation = fields(slack.opened_view())["situation"]["initial_value"]
    assert isinstance(situation, str) and MAX_TEXT - 25 < len(situation) <= MAX_TEXT and situation.endswith("…")
    await slack.shortcut(long, author="U2")
    reason = fields(slack.opened_view())["reason"]["initial_value"]
    assert isinstance(reason, str) and MAX_REASON - 25 < len(reason) <= MAX_REASON and reason.endswith("…")


async def test_a_message_in_a_dm_asks_which_channel_the_story_is_for(slack: SlackDriver) -> None:
    await slack.shortcut("A customer thanked us for the quick refund", author="U1", channel="DU1", channel_name="")
    view = slack.opened_view()
    assert view["blocks"][0]["block_id"] == "slack_channel"
    assert json.loads(view["private_metadata"])["channel"] is None


async def test_mentions_in_the_message_are_written_as_names(slack: SlackDriver) -> None:
    await slack.shortcut("Thanks <@U3> and <@U2|bob> for the refund &lt;today&gt;", author="U1")
    situation = fields(slack.opened_view())["situation"]["initial_value"]
    assert situation == "Thanks @Carol and @Bob for the refund <today>"
