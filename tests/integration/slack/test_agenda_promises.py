"""Through the Slack server: a withdrawn story leaves its posted card, undo takes `done` back, and an author
cannot vote their own moment helpful."""

from __future__ import annotations

import re

from tests.integration.slack.driver import SlackDriver, all_text
from tests.integration.slack.test_agenda import buttons, request_card


async def test_a_withdrawn_story_leaves_the_posted_card_which_is_updated_in_place(slack: SlackDriver) -> None:
    saved = await slack.command("story The parcel was lost twice | Rebooked it | Call first", user="U2")
    found = re.search(r"story #(\d+)", slack.said(saved))
    assert found is not None
    card = await request_card(slack)
    assert "The parcel was lost twice" in all_text(card["blocks"])

    await slack.command(f"withdraw {found.group(1)}", user="U2")

    [update] = slack.fake.calls_to("chat.update")
    assert (update.params["channel"], update.params["ts"]) == ("C1", card["ts"])
    assert len(slack.fake.posted("C1")) == 1
    now_shown = all_text(slack.fake.posted("C1")[0]["blocks"])
    assert "The parcel was lost twice" not in now_shown
    assert "withdrawn by its author" in now_shown


async def test_undo_after_done_puts_the_buttons_back_on_the_same_card(slack: SlackDriver) -> None:
    card = await request_card(slack)
    item = buttons(card)["agenda.done"]
    await slack.press("agenda.done", item, message_ts=card["ts"])
    assert "agenda.undo" in buttons(slack.fake.posted("C1")[0])

    await slack.press("agenda.undo", item, message_ts=card["ts"])

    updates = slack.fake.calls_to("chat.update")
    assert [u.params["ts"] for u in updates] == [card["ts"]] * 2
    assert set(buttons(slack.fake.posted("C1")[0])) == {"agenda.swap", "agenda.skip", "agenda.done", "agenda.helpful"}


async def test_undo_with_nothing_to_undo_says_so(slack: SlackDriver) -> None:
    name = await slack.command("undo")
    assert "nothing to undo" in slack.said(name).lower()
    assert slack.fake.calls_to("chat.update") == []


async def test_an_author_pressing_helpful_on_their_own_moment_is_told_kindly(slack: SlackDriver) -> None:
    await slack.command("story The parcel was lost twice | Rebooked it | Call first", user="U2")
    card = await request_card(slack)
    name = await slack.press("agenda.helpful", buttons(card)["agenda.helpful"], user="U2", message_ts=card["ts"])
    assert "yours" in slack.said(name)
    assert slack.fake.calls_to("chat.update") == []
