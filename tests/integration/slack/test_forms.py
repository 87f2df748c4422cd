"""Modals: opened on the command's trigger, submitted back, inline errors on the right fields."""

from __future__ import annotations

import json

from tests.integration.slack.driver import SlackDriver, all_text


def block_ids(view: dict[str, object]) -> list[str]:
    return [b["block_id"] for b in view["blocks"]]  # type: ignore[index, union-attr]


async def test_story_modal_opens_on_the_commands_trigger(slack: SlackDriver) -> None:
    await slack.command("story", trigger="trigger-story")
    [opened] = slack.fake.calls_to("views.open")
    assert opened.params["trigger_id"] == "trigger-story"
    view = slack.opened_view()
    assert view["type"] == "modal"
    assert block_ids(view) == ["situation", "action", "reaction", "lesson", "tags", "nps", "anonymous"]
    assert json.loads(view["private_metadata"]) == {
        "form": "story",
        "context": "",
        "channel": "C1",
        "channel_name": "support",
    }


async def test_a_valid_story_form_closes_and_confirms(slack: SlackDriver) -> None:
    await slack.command("story")
    status, body = await slack.submit(
        slack.opened_view(),
        {
            "situation": "The customer's order went to the wrong city.",
            "action": "Rebooked it and called every day.",
            "lesson": "Call before they have to chase us.",
            "tags": ["follow-up"],
            "nps": "promoter",
            "anonymous": True,
        },
    )
    assert (status, body) == (200, {})
    [confirmation] = slack.fake.ephemerals
    assert confirmation["channel"] == "C1" and confirmation["user"] == "U1"
    assert "is in the pool" in all_text(
        json.loads(confirmation["blocks"]) if isinstance(confirmation["blocks"], str) else confirmation["blocks"]
    )


async def test_an_invalid_story_form_shows_inline_errors(slack: SlackDriver) -> None:
    await slack.command("story")
    status, body = await slack.submit(slack.opened_view(), {"situation": "Too short"})
    assert status == 200
    assert body["response_action"] == "errors"
    assert "lesson" in body["errors"]
    assert slack.fake.ephemerals == []


async def test_shoutout_modal_with_the_user_picker(slack: SlackDriver) -> None:
    await slack.command("shoutout")
    view = slack.opened_view()
    assert view["blocks"][0]["element"]["type"] == "multi_users_select"
    status, body = await slack.submit(view, {"recipients": ["U2", "U3"], "reason": "Stayed late to fix the outage."})
    assert (status, body) == (200, {})
    assert {c.params["users"] for c in slack.fake.calls_to("conversations.open")} == {"U2", "U3"}
    assert "Bob and Carol" in all_text(slack.fake.posted("C1"))


async def test_shoutout_to_oneself_is_an_inline_error(slack: SlackDriver) -> None:
    await slack.command("shoutout")
    _, body = await slack.submit(
        slack.opened_view(), {"recipients": ["U1"], "reason": "Answered every ticket before lunch."}
    )
    assert body["response_action"] == "errors"
    assert "recipients" in body["errors"]


async def test_schedule_modal_preselects_the_users_zone_and_schedules(slack: SlackDriver) -> None:
    await slack.command("schedule")
    view = slack.opened_view()
    zone = next(b for b in view["blocks"] if b["block_id"] == "zone")
    assert zone["element"]["initial_option"]["value"] == "Europe/Berlin"
    time_block = next(b for b in view["blocks"] if b["block_id"] == "time")
    assert time_block["element"]["type"] == "timepicker"
    status, body = await slack.submit(
        view, {"repeat": "weekly", "day": "tue", "time": "09:30", "zone": "Europe/Berlin", "lead": "30m"}
    )
    assert (status, body) == (200, {})
    assert "Scheduled" in all_text(slack.fake.ephemerals)


async def test_schedule_modal_with_an_unknown_zone_is_an_inline_error(slack: SlackDriver) -> None:
    await slack.command("schedule")
    _, body = await slack.submit(
        slack.opened_view(), {"repeat": "weekly", "day": "tue", "time": "09:30", "zone": "Mars/Olympus", "lead": "30m"}
    )
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == ["zone"]


async def test_a_form_with_unreadable_metadata_is_refused_inline(slack: SlackDriver) -> None:
    await slack.command("story")
    view = {**slack.opened_view(), "private_metadata": "not json"}
    _, body = await slack.submit(view, {"situation": "x" * 30, "lesson": "y" * 30})
    assert body["response_action"] == "errors"
    assert "expired" in next(iter(body["errors"].values()))


async def test_an_expired_trigger_is_explained(slack: SlackDriver) -> None:
    name = await slack.command("story", trigger="expired")
    assert "try again" in slack.said(name)
