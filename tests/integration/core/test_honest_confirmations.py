"""A confirmation names the change that happened, or says nothing changed; what others are told of a
person's own choice (hiding a shout-out, opting out) names neither the choice nor anybody."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from adapters.runtime import Runtime
from bot.replies import Audience
from bot.storage.models import AgendaItem, Member, Moment, Team
from tests.integration.core import ask, one, only, rows, text
from tests.support.clock import FakeClock
from tests.support.events import said

REASON = "stayed on the call until the refund went through"
CHOICES = ("hid", "opted", "optout", "opt out", "recognised")


@pytest.mark.parametrize("first", ["optout", "optin"])
async def test_opting_out_or_in_twice_says_the_second_time_that_nothing_changed(runtime: Runtime, first: str) -> None:
    other = "optin" if first == "optout" else "optout"
    if first == "optin":
        await ask(runtime, said("optout", actor="bob"))
    said_first = text(await ask(runtime, said(first, actor="bob")))
    said_again = text(await ask(runtime, said(first, actor="bob")))

    assert not said_first.startswith("Nothing changed")
    assert said_again.startswith("Nothing changed:") and f"`{other}`" in said_again
    assert (await one(runtime, Member, Member.external_id == "bob")).opted_out is (first == "optout")


@pytest.mark.parametrize("setting", ["on", "off"])
async def test_review_switched_to_what_it_already_is_says_nothing_changed(runtime: Runtime, setting: str) -> None:
    if setting == "on":
        assert text(await ask(runtime, said("review on"))).startswith("Review is on")
    else:
        await ask(runtime, said("help"))

    replies = await ask(runtime, said(f"review {setting.upper()}"))

    assert text(replies) == (
        f"Nothing changed: review is already {setting} in this channel."
        f" `review {'off' if setting == 'on' else 'on'}` changes it."
    )
    assert (await one(runtime, Team)).review_required is (setting == "on")


async def _on_a_posted_card(runtime: Runtime, clock: FakeClock) -> Moment:
    for name in ("alice", "bob", "carol", "dave"):
        await ask(runtime, said("help", actor=name))
    await ask(runtime, said(f"shoutout @carol {REASON}", actor="bob"))
    clock.advance(timedelta(minutes=1))
    await ask(runtime, said("story The parcel was lost twice | rang the depot | relieved | own it", actor="dave"))
    await ask(runtime, said("request"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    item = (await rows(runtime, AgendaItem, order_by=AgendaItem.id.desc()))[0]
    assert item.moment_id == shoutout.id
    async with runtime.sessions.begin() as session:
        await session.execute(update(AgendaItem).values(post_ref={"ts": "1.2"}))
    return shoutout


@pytest.mark.parametrize("choice", ["hide", "optout"])
async def test_the_channel_card_and_other_people_learn_nothing_of_a_hide_or_an_opt_out(
    runtime: Runtime, clock: FakeClock, choice: str
) -> None:
    shoutout = await _on_a_posted_card(runtime, clock)

    command = f"hide {shoutout.id}" if choice == "hide" else "optout"
    replies = await ask(runtime, said(command, actor="carol"))

    others = [r for r in replies if r.audience is not Audience.EPHEMERAL]
    assert only(replies, Audience.CHANNEL)
    told = text(others).lower()
    assert "picked again: the earlier item can no longer be featured." in told
    for word in (*CHOICES, "carol", "bob"):
        assert word not in told, word
    item = (await rows(runtime, AgendaItem, order_by=AgendaItem.id.desc()))[0]
    assert item.moment_id != shoutout.id
    assert not any(word in item.reason.lower() for word in (*CHOICES, "carol", "bob"))
