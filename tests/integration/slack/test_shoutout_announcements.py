"""A shout-out's announcement in the channel stays true of it: withdrawn, hidden by everyone it recognises or
made private, the announcement is updated in place to a line naming nothing of it; one recipient of several
hiding it, the announcement names only the others. The answers say so only when it happened."""

from __future__ import annotations

import re
from typing import Any

from tests.integration.slack.driver import SlackDriver, all_text

REASON = "called the customer back before they had to chase us"


def number_in(text: str) -> str:
    match = re.search(r"#(\d+)", text)
    assert match, text
    return match.group(1)


async def announced(slack: SlackDriver, mentions: str, *, user: str = "U1") -> tuple[str, dict[str, Any]]:
    given = await slack.command(f"shoutout {mentions} {REASON}", user=user)
    assert "Your shout-out" in slack.said(given) and "is shared" in slack.said(given)
    [post] = slack.fake.posted("C1")
    assert REASON in all_text(post["blocks"])
    return number_in(slack.said(given)), post


def taken_down(slack: SlackDriver, post: dict[str, Any]) -> None:
    """The one channel post, updated in place (same ts, no second post), names nothing of the shout-out."""
    [now] = slack.fake.posted("C1")
    assert now["ts"] == post["ts"]
    shown = all_text(now["blocks"]) + str(now["text"])
    assert "no longer shown" in shown
    for word in (REASON, "Alice", "Bob", "Carol", "recognises"):
        assert word not in shown, word
    assert [c.params["ts"] for c in slack.fake.calls_to("chat.update")] == [post["ts"]]


async def test_withdrawing_a_shoutout_takes_its_announcement_out_of_the_channel(slack: SlackDriver) -> None:
    number, post = await announced(slack, "<@U3>")

    answer = await slack.command(f"withdraw {number}")

    assert slack.said(answer).startswith(f"Withdrawn #{number}. It will not be featured.")
    assert "I took its announcement out of #support." in slack.said(answer)
    taken_down(slack, post)


async def test_the_only_recipient_hiding_it_takes_its_announcement_out_of_the_channel(slack: SlackDriver) -> None:
    number, post = await announced(slack, "<@U3>")

    answer = await slack.command(f"hide {number}", user="U3")

    assert slack.said(answer).startswith(f"Hidden #{number}. It will not be shown or featured.")
    assert "I took its announcement out of #support." in slack.said(answer)
    taken_down(slack, post)


async def test_one_recipient_of_two_hiding_it_leaves_the_announcement_naming_only_the_other(
    slack: SlackDriver,
) -> None:
    number, post = await announced(slack, "<@U2> <@U3>")
    assert "Bob and Carol" in all_text(post["blocks"])

    answer = await slack.command(f"hide {number}", user="U3")

    assert "Its announcement in #support no longer names you." in slack.said(answer)
    [now] = slack.fake.posted("C1")
    assert now["ts"] == post["ts"]
    assert "Alice recognises Bob" in all_text(now["blocks"]) and "Carol" not in all_text(now["blocks"])
    assert REASON in all_text(now["blocks"])


async def test_editing_a_shared_shoutout_to_private_takes_its_announcement_out_of_the_channel(
    slack: SlackDriver,
) -> None:
    number, post = await announced(slack, "<@U3>")
    await slack.command(f"edit {number}")
    view = slack.opened_view()

    status, body = await slack.submit(view, {"reason": REASON, "private": True})

    assert (status, body) == (200, {})
    said = all_text(slack.fake.ephemerals)
    assert f"Saved your changes to shout-out #{number}." in said
    assert "I took its announcement out of #support: it is private now." in said
    taken_down(slack, post)


async def test_a_private_shoutout_is_never_announced_so_nothing_is_said_to_be_taken_down(
    slack: SlackDriver,
) -> None:
    given = await slack.command(f"shoutout private <@U3> {REASON}")
    number = number_in(slack.said(given))
    assert slack.fake.posted("C1") == []

    answer = await slack.command(f"withdraw {number}")

    assert slack.said(answer).startswith(f"Withdrawn #{number}. It will not be featured.")
    assert "announcement" not in slack.said(answer)
    assert slack.fake.posted("C1") == [] and slack.fake.calls_to("chat.update") == []


async def test_approving_from_a_review_card_in_a_direct_message_announces_in_the_channel(
    slack: SlackDriver,
) -> None:
    await slack.command("review on")
    given = await slack.command(f"shoutout <@U3> {REASON}", user="U2")
    number = number_in(slack.said(given))
    await slack.direct_message("review")
    (card,) = [m for m in slack.fake.posted("DU1") if "review.approve" in str(m["blocks"])]

    await slack.press("review.approve", number, channel="DU1", message_ts=card["ts"])

    [post] = slack.fake.posted("C1")
    assert "Bob recognises Carol" in all_text(post["blocks"]) and REASON in all_text(post["blocks"])
    assert "🎉 Shout-out" not in all_text([m["blocks"] for m in slack.fake.posted("DU1")])

    withdrawn = await slack.command(f"withdraw {number}", user="U2")

    assert "I took its announcement out of #support." in slack.said(withdrawn)
    [now] = slack.fake.posted("C1")
    assert now["ts"] == post["ts"] and REASON not in all_text(now["blocks"])


async def test_withdrawing_a_shoutout_already_taken_down_does_not_say_so_again(slack: SlackDriver) -> None:
    number, post = await announced(slack, "<@U3>")
    await slack.command(f"hide {number}", user="U3")  # its only recipient: taken down now

    answer = await slack.command(f"withdraw {number}")

    assert slack.said(answer).startswith(f"Withdrawn #{number}. It will not be featured.")
    assert "announcement" not in slack.said(answer)
    taken_down(slack, post)  # one update, from the hide


async def test_a_private_shoutout_made_public_is_announced_in_its_channel_once(slack: SlackDriver) -> None:
    given = await slack.command(f"shoutout private <@U3> {REASON}")
    number = number_in(slack.said(given))
    assert slack.fake.posted("C1") == []

    await slack.command(f"edit {number}")
    _, body = await slack.submit(slack.opened_view(), {"reason": REASON, "private": []})
    assert body is None or body.get("response_action") != "errors"
    [post] = slack.fake.posted("C1")
    assert REASON in all_text(post["blocks"]) and "Carol" in all_text(post["blocks"])

    answer = await slack.command(f"withdraw {number}")  # and it can be taken back like any announcement
    assert "I took its announcement out of #support." in slack.said(answer)
    taken_down(slack, post)


async def test_a_manager_taking_a_shoutout_down_takes_its_announcement_out_of_the_channel(slack: SlackDriver) -> None:
    await slack.command("help")  # U1, the first in the workspace, is its admin
    number, post = await announced(slack, "<@U3>", user="U2")

    answer = await slack.command(f"reject {number} Please keep it about the work.")

    assert slack.said(answer).startswith(f"Took down #{number} and sent it back to its author")
    assert "I took its announcement out of #support." in slack.said(answer)
    taken_down(slack, post)
