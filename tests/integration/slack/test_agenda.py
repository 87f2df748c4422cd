"""The agenda card: posted in the channel, updated in place by its buttons, safe and within limits."""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY

from tests.integration.slack.driver import SlackDriver, all_text


async def request_card(slack: SlackDriver, *, user: str = "U1") -> dict[str, Any]:
    before = len(slack.fake.posted("C1"))
    await slack.command("request", user=user)
    assert len(slack.fake.posted("C1")) == before + 1
    return slack.fake.posted("C1")[-1]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    found = {}
    for block in message["blocks"]:
        if block["type"] == "actions":
            for element in block["elements"]:
                found[element["action_id"]] = element["value"]
    return found


async def test_request_posts_the_card_with_metadata_and_remembers_it(slack: SlackDriver) -> None:
    card = await request_card(slack)
    assert card["metadata"]["event_type"] == "customer_moment_posted"
    key = card["metadata"]["event_payload"]["key"]
    assert key.startswith("agenda:")
    assert set(buttons(card)) == {"agenda.swap", "agenda.skip", "agenda.done", "agenda.helpful"}
    await slack.command("swap")  # typed, not pressed: the remembered post is updated, not a new one
    [update] = slack.fake.calls_to("chat.update")
    assert (update.params["channel"], update.params["ts"]) == ("C1", card["ts"])
    assert len(slack.fake.posted("C1")) == 1


async def test_buttons_update_the_same_message(slack: SlackDriver) -> None:
    for story in ("Lost parcel | Rebooked | Call first", "Wrong invoice | Fixed it | Check twice"):
        await slack.command(f"story {story}", user="U2")  # not the voter's own: authors do not vote theirs
    card = await request_card(slack)
    item = buttons(card)["agenda.swap"]
    for action in ("agenda.swap", "agenda.helpful", "agenda.done"):
        await slack.press(action, item, message_ts=card["ts"])
    updates = slack.fake.calls_to("chat.update")
    assert [(u.params["channel"], u.params["ts"]) for u in updates] == [("C1", card["ts"])] * 3
    assert len(slack.fake.posted("C1")) == 1
    final = slack.fake.posted("C1")[0]
    assert "Presented" in all_text(final["blocks"])
    assert "Helpful (1)" in all_text(final["blocks"])
    assert set(buttons(final)) == {"agenda.helpful", "agenda.undo"}


async def test_skip_updates_the_card_and_removes_its_buttons(slack: SlackDriver) -> None:
    card = await request_card(slack)
    await slack.press("agenda.skip", buttons(card)["agenda.skip"], message_ts=card["ts"])
    [update] = slack.fake.calls_to("chat.update")
    assert update.params["ts"] == card["ts"]
    assert set(buttons(slack.fake.posted("C1")[0])) == {"agenda.undo"}


async def test_a_member_who_may_not_swap_is_refused_politely_and_the_card_stays(slack: SlackDriver) -> None:
    card = await request_card(slack)
    name = await slack.press("agenda.swap", buttons(card)["agenda.swap"], user="U2", message_ts=card["ts"])
    [answer] = slack.responses(name)
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert "Only the meeting's organizer or a manager" in all_text(answer)
    assert slack.fake.calls_to("chat.update") == []


async def test_helpful_from_anyone_is_counted_once(slack: SlackDriver) -> None:
    card = await request_card(slack)
    item = buttons(card)["agenda.helpful"]
    await slack.press("agenda.helpful", item, user="U2", message_ts=card["ts"])
    again = await slack.press("agenda.helpful", item, user="U2", message_ts=card["ts"])
    assert "already said" in slack.said(again)
    assert len(slack.fake.calls_to("chat.update")) == 1


async def test_a_deleted_card_is_posted_anew_and_remembered(slack: SlackDriver) -> None:
    card = await request_card(slack)
    slack.fake.messages["C1"].clear()
    await slack.command("swap")
    [repost] = slack.fake.posted("C1")
    assert repost["ts"] != card["ts"]
    await slack.command("skip")
    assert slack.fake.calls_to("chat.update")[-1].params["ts"] == repost["ts"]


INJECTIONS = ("<!channel>", "<!here>", "<@U999>", "<https://evil.example|click>")


async def test_mention_injection_in_a_story_arrives_escaped(slack: SlackDriver) -> None:
    await slack.command("story")
    situation = "Customer said " + " ".join(INJECTIONS) + " & left."
    await slack.submit(slack.opened_view(), {"situation": situation, "lesson": "Stay calm " + INJECTIONS[0]})
    card = await request_card(slack)
    rendered = str(card["blocks"]) + str(card["text"])
    for raw in INJECTIONS:
        assert raw not in rendered
    assert "&lt;!channel&gt;" in rendered and "&lt;@U999&gt;" in rendered and "&amp; left" in rendered
    assert "&lt;https://evil.example|click&gt;" in rendered
    mrkdwn = [b["text"] for b in card["blocks"] if b["type"] == "section" and "text" in b]
    assert all(t.get("verbatim") is True for t in mrkdwn)


async def test_mention_injection_in_a_shoutout_arrives_escaped(slack: SlackDriver) -> None:
    await slack.command("shoutout")
    await slack.submit(slack.opened_view(), {"recipients": ["U2"], "reason": "Fixed it for " + " ".join(INJECTIONS)})
    rendered = str(slack.fake.posted("C1")) + str(slack.fake.posted("DU2"))
    for raw in INJECTIONS:
        assert raw not in rendered


async def test_a_two_thousand_character_story_still_posts(slack: SlackDriver) -> None:
    await slack.command("story")
    long_text = ("Tom & Jerry <b> " * 200)[:2000]
    await slack.submit(slack.opened_view(), {"situation": long_text, "action": long_text, "lesson": long_text})
    card = await request_card(slack)
    sections = [b for b in card["blocks"] if b["type"] == "section" and "text" in b]
    assert sections and all(len(b["text"]["text"]) <= 3000 for b in sections)
    assert any(b["text"]["text"].endswith("…") for b in sections)
    assert len(card["blocks"]) <= 50


def _calls(outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "customer_moment_platform_calls_total", {"platform": "slack", "method": "chat.postMessage", "outcome": outcome}
    )
    return value or 0.0


async def test_rate_limited_post_waits_for_retry_after_and_succeeds(slack: SlackDriver) -> None:
    limited, ok = _calls("ratelimited"), _calls("ok")
    slack.fake.fail("chat.postMessage", "ratelimited", status=429, retry_after=1)
    await slack.command("request")
    first, second = slack.fake.calls_to("chat.postMessage")
    assert second.at - first.at >= 1.0
    assert len(slack.fake.posted("C1")) == 1
    assert (_calls("ratelimited") - limited, _calls("ok") - ok) == (1, 1)  # shown on /metrics


async def test_a_swap_days_before_a_scheduled_meeting_answers_privately_and_posts_nothing(slack: SlackDriver) -> None:
    await slack.command("schedule weekly tue 10:00 Europe/Berlin")
    for story in ("Lost parcel | Rebooked | Call first", "Wrong invoice | Fixed it | Check twice"):
        await slack.command(f"story {story}")
    preview = slack.said(await slack.command("queue"))
    assert "Next meeting · Tue 24 Nov 10:00 CET · preview" in preview
    assert (
        "A preview: the moment is picked on Tue 24 Nov 09:30 CET, 30 min before the meeting, and may change until then."
        in preview
    )
    name = await slack.command("swap")
    [answer] = slack.responses(name)
    assert answer["response_type"] == "ephemeral"
    assert "Its card goes to the channel on Tue 24 Nov 09:30 CET." in all_text(answer)
    assert slack.fake.posted("C1") == [] and slack.fake.calls_to("chat.update") == []
    assert "preview" not in slack.said(await slack.command("queue"))  # settled now


async def test_the_agenda_card_shows_the_storys_nps(slack: SlackDriver) -> None:
    await slack.command("story The parcel was lost twice lesson: call first nps: promoter")
    card = await request_card(slack)
    assert "Customer NPS" in all_text(card["blocks"]) and "Promoter" in all_text(card["blocks"])
