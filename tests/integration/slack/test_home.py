"""The App Home: published on app_home_opened from the core's own answers, refreshed after its buttons."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.slack.driver import SlackDriver, all_text


def published(slack: SlackDriver) -> dict[str, Any]:
    call = slack.fake.calls_to("views.publish")[-1]
    view = call.params["view"]
    return json.loads(view) if isinstance(view, str) else view


async def test_home_shows_my_moments_and_my_channels_queue(slack: SlackDriver) -> None:
    slack.fake.user_channels["U1"] = [{"id": "C1", "name": "support"}, {"id": "C9", "name": "random"}]
    slack.fake.bot_channels["T1"] = [{"id": "C1", "name": "support"}]
    await slack.command("story Lost parcel | Rebooked it | Call first")
    await slack.command("schedule weekly tue 10:00 Europe/Berlin lead 30m")
    status = await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    assert status == 200
    [call] = slack.fake.calls_to("views.publish")
    assert call.params["user_id"] == "U1"
    view = published(slack)
    assert view["type"] == "home"
    text = all_text(view)
    assert "Your moments" in text and "Lost parcel" in text
    assert "Customer Moment queue · support" in text
    assert "random" not in text
    assert "Waiting for your review" not in text


async def test_home_of_a_manager_lists_the_review_queue_with_buttons(slack: SlackDriver) -> None:
    await slack.command("review on")
    await slack.command("story Lost parcel | Rebooked it | Call first", user="U2")
    await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    view = published(slack)
    assert "Waiting for your review" in all_text(view)
    actions = {e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert {"review.approve", "review.reject", "open.story", "open.shoutout"} <= actions


async def test_approving_from_the_home_refreshes_it_with_a_notice(slack: SlackDriver) -> None:
    await slack.command("review on")
    await slack.command("story Lost parcel | Rebooked it | Call first", user="U2")
    await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    view = published(slack)
    number = next(
        e["value"]
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "review.approve"
    )
    await slack.press("review.approve", number, in_home=True)
    refreshed = published(slack)
    assert f"Approved #{number}" in all_text(refreshed)
    assert "Waiting for your review" not in all_text(refreshed)


async def test_story_from_the_home_asks_for_the_channel(slack: SlackDriver) -> None:
    await slack.press("open.story", "home", in_home=True)
    view = slack.opened_view()
    assert view["blocks"][0]["block_id"] == "slack_channel"
    status, body = await slack.submit(
        view, {"slack_channel": "C1", "situation": "Lost parcel found in a day.", "lesson": "Call the courier first."}
    )
    assert (status, body) == (200, {})
    mine = await slack.command("mine")
    assert "Lost parcel found" in slack.said(mine)


async def test_the_messages_tab_publishes_nothing(slack: SlackDriver) -> None:
    await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "messages"})
    assert slack.fake.calls_to("views.publish") == []
