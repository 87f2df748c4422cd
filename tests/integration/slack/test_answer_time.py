"""Through the real server: how long each Slack answer took to reach the person, at ``/metrics``.

``customer_moment_answer_seconds{surface="slack",kind}`` times every answer from its request's arrival
to the answer handed to Slack: a command's in its acknowledgement, a press's, a direct message's and a
shortcut's by the call that carries the first reply they see after their empty acknowledgement (not
posts for others after it), a form's in the acknowledgement that closes it (or shows its errors), a
visit to the Home tab by publishing it. One answer is timed once, under its own kind.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from tests.integration.slack.driver import SlackDriver
from tests.support.serving import METRICS_AUTH, answer_times

KINDS = ("command", "action", "event", "shortcut", "form")
STORY = {
    "situation": "The customer's order went to the wrong city.",
    "action": "Rebooked it and called every day.",
    "lesson": "Call before they have to chase us.",
}


async def timed(slack: SlackDriver) -> dict[str, tuple[float, float]]:
    """Per kind: how many Slack answers were timed, and their seconds in all."""
    async with slack.session.get(slack.base_url + "metrics", headers=METRICS_AUTH) as response:
        exposition = await response.text()
    return {kind: answer_times(exposition, surface="slack", kind=kind) for kind in KINDS}


async def newly_timed(slack: SlackDriver, request: Callable[[], Awaitable[object]]) -> dict[str, float]:
    """The answers ``request`` added, per kind (kinds it added none to left out)."""
    before = await timed(slack)
    await request()
    after = await timed(slack)
    return {kind: after[kind][0] - before[kind][0] for kind in KINDS if after[kind][0] != before[kind][0]}


async def test_each_answer_is_timed_once_under_its_kind(slack: SlackDriver) -> None:
    assert await newly_timed(slack, lambda: slack.command("help")) == {"command": 1}
    assert await newly_timed(slack, lambda: slack.command("request")) == {"command": 1}
    card = slack.fake.posted("C1")[-1]
    item = next(e["value"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert await newly_timed(slack, lambda: slack.press("agenda.swap", item)) == {"action": 1}
    assert await newly_timed(slack, lambda: slack.direct_message("help")) == {"event": 1}
    visit = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}
    assert await newly_timed(slack, lambda: slack.event(visit)) == {"event": 1}
    shortcut = slack.shortcut("Called the customer back before they had to chase us", author="U2", user="U3")
    assert await newly_timed(slack, lambda: shortcut) == {"shortcut": 1}
    await slack.command("story")
    form = slack.opened_view()
    assert await newly_timed(slack, lambda: slack.submit(form, {"situation": "Too short"})) == {"form": 1}
    assert await newly_timed(slack, lambda: slack.submit(form, STORY)) == {"form": 1}


async def test_an_answer_sent_after_the_acknowledgement_is_timed_until_it_went_out(slack: SlackDriver) -> None:
    """A direct message is acknowledged at once and answered in its conversation: its answer's time is
    the wait for that post, not the acknowledgement's."""
    slack.fake.slow("chat.postMessage", 0.3)
    before = (await timed(slack))["event"]
    await slack.direct_message("help")
    count, seconds = (await timed(slack))["event"]
    assert count == before[0] + 1
    assert seconds - before[1] >= 0.3
    [answer] = [c for c in slack.fake.calls_to("chat.postMessage") if c.params.get("channel") == "DU1"]
    assert "help" in json.dumps(answer.params).lower()


async def test_a_command_is_timed_to_its_answer_not_to_the_posts_it_makes_for_others(slack: SlackDriver) -> None:
    """A shout-out is answered in its acknowledgement ("Thanks! …"); its recipient's direct message and
    the channel's post follow, and the person who sent it does not wait for them."""
    slack.fake.slow("chat.postMessage", 1.0)
    before = (await timed(slack))["command"]
    name = await slack.command("shoutout <@U2|bob> for calling the customer back before they had to chase us")
    assert "Thanks" in slack.said(name) and name in slack.fake.carried, "answered in the acknowledgement"
    assert slack.fake.calls_to("chat.postMessage"), "the posts for others were made too"
    count, seconds = (await timed(slack))["command"]
    assert count == before[0] + 1
    assert seconds - before[1] < 1.0
