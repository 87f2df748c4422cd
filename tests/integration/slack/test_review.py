"""Review: a manager switches it on, approves with a button, sends back with a reason in a modal."""

from __future__ import annotations

import re

from tests.integration.slack.driver import SlackDriver, all_text


async def pending_story(slack: SlackDriver, text: str) -> str:
    name = await slack.command(f"story {text}", user="U2")
    said = slack.said(name)
    assert "waiting for a manager's review" in said
    match = re.search(r"#(\d+)", said)
    assert match
    return match.group(1)


async def test_review_on_then_approve_with_the_button(slack: SlackDriver) -> None:
    switched = await slack.command("review on")
    assert "Review is on" in slack.said(switched)
    number = await pending_story(slack, "Angry caller | Listened first | Let them finish")
    queue = await slack.command("review")
    cards = [r for r in slack.responses(queue) if r["blocks"] and r["blocks"][0]["type"] == "header"]
    [card] = cards
    actions = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(a["action_id"], a["value"], a.get("style")) for a in actions] == [
        ("review.approve", number, "primary"),
        ("review.reject", number, "danger"),
    ]
    told = all_text(slack.fake.posted("DU1"))  # the channel's manager heard of it, without who or what
    assert f"A new customer story shared in #support is waiting for your review (#{number})" in told
    assert "Angry caller" not in told and "U2" not in told
    pressed = await slack.press("review.approve", number)
    assert f"Approved #{number}" in slack.said(pressed)
    assert "was approved" in all_text(slack.fake.posted("DU2"))


async def test_reject_opens_the_reason_modal_and_tells_the_author(slack: SlackDriver) -> None:
    await slack.command("review on")
    number = await pending_story(slack, "Angry caller | Listened first | Let them finish")
    await slack.press("review.reject", number)
    view = slack.opened_view()
    assert [b["block_id"] for b in view["blocks"]] == ["reason"]
    status, body = await slack.submit(view, {"reason": "Please leave out the customer's name."})
    assert (status, body) == (200, {})
    assert "sent back by Alice: Please leave out the customer's name." in all_text(slack.fake.posted("DU2"))


async def test_a_member_cannot_approve(slack: SlackDriver) -> None:
    await slack.command("review on")
    number = await pending_story(slack, "Angry caller | Listened first | Let them finish")
    pressed = await slack.press("review.approve", number, user="U3")
    assert "Only managers" in slack.said(pressed)
