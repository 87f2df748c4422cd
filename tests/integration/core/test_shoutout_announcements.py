"""A shout-out's channel announcement is keyed and kept true of the shout-out: taken down in place while it
waits for review again, shown again in place once approved; and the cards of meetings that featured it
no longer show it when it may no longer be shown."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from adapters.runtime import Runtime
from bot.domain.lifecycle import AgendaState
from bot.replies import Audience, Reply
from bot.storage.models import AgendaItem, Moment
from tests.integration.core import ask, one, text
from tests.support.events import said, submitted

REASON = "stayed on the call until the refund went through"


def announcements(replies: list[Reply]) -> list[Reply]:
    return [r for r in replies if r.message is not None and r.message.key.startswith("shoutout:")]


async def posted(runtime: Runtime, replies: list[Reply], ref: dict[str, str]) -> None:
    """What a surface does after delivering: remember where the keyed messages went."""
    refs = [ref if r.message is not None else None for r in replies]
    await runtime.core.remember_posts(platform="console", workspace_id="acme", replies=replies, refs=refs)


async def test_an_edit_that_goes_back_to_review_takes_the_announcement_down_until_approved(runtime: Runtime) -> None:
    await ask(runtime, said("help"))  # alice: the workspace's admin
    await ask(runtime, said("help", actor="carol"))
    given = await ask(runtime, said(f"shoutout @carol {REASON}", actor="bob"))
    (first,) = announcements(given)
    assert first.audience is Audience.CHANNEL and first.message is not None and first.message.ref is None
    await posted(runtime, given, {"ts": "1.1"})
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    assert shoutout.post_ref == {"ts": "1.1"}
    await ask(runtime, said("review on"))

    edited = await ask(
        runtime,
        submitted("shoutout", {"reason": REASON + " again", "private": False}, actor="bob", context=str(shoutout.id)),
    )

    (down,) = announcements(edited)
    assert down.message is not None and down.message.ref == {"ts": "1.1"}
    assert REASON not in text([down]) and "carol" not in text([down]) and "no longer shown" in text([down])
    assert "I took its announcement out of" in edited[0].text and "waits for review" in edited[0].text

    approved = await ask(runtime, said(f"approve {shoutout.id}"))

    (again,) = announcements(approved)
    assert again.message is not None and again.message.ref == {"ts": "1.1"}
    assert REASON + " again" in text([again]) and "bob recognises carol" in text([again])


async def _presented(runtime: Runtime, shoutout_line: str) -> Moment:
    for name in ("alice", "bob", "carol", "dave"):
        await ask(runtime, said("help", actor=name))
    async with runtime.sessions.begin() as session:  # the library out of the way: the shout-out is picked
        await session.execute(update(Moment).where(Moment.library_key.is_not(None)).values(state="withdrawn"))
    await ask(runtime, said(shoutout_line, actor="bob"))
    await ask(runtime, said("request"))
    await ask(runtime, said("done"))
    async with runtime.sessions.begin() as session:  # where the surface posted its card
        await session.execute(update(AgendaItem).values(post_ref={"ts": "2.2"}))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    item = await one(runtime, AgendaItem)
    assert item.moment_id == shoutout.id and item.state is AgendaState.PRESENTED
    return shoutout


def agenda_cards(replies: list[Reply]) -> list[Reply]:
    return [r for r in replies if r.message is not None and r.message.key.startswith("agenda:")]


@pytest.mark.parametrize("how", ["withdraw", "hide", "private"])
async def test_the_card_of_a_meeting_that_featured_it_no_longer_shows_it(runtime: Runtime, how: str) -> None:
    shoutout = await _presented(runtime, f"shoutout @carol {REASON}")

    if how == "withdraw":
        replies = await ask(runtime, said(f"withdraw {shoutout.id}", actor="bob"))
    elif how == "hide":
        replies = await ask(runtime, said(f"hide {shoutout.id}", actor="carol"))
    else:
        values = {"reason": REASON, "private": True}
        replies = await ask(runtime, submitted("shoutout", values, actor="bob", context=str(shoutout.id)))

    (card,) = agenda_cards(replies)
    assert card.message is not None and card.message.ref == {"ts": "2.2"} and card.audience is Audience.CHANNEL
    assert REASON not in text([card]) and "carol" not in text([card]) and "no longer shown" in text([card])
    assert "The cards of meetings that featured it no longer show it." in replies[0].text


async def test_one_recipient_of_two_hiding_it_leaves_the_cards_naming_the_other(runtime: Runtime) -> None:
    shoutout = await _presented(runtime, f"shoutout @carol @dave {REASON}")

    replies = await ask(runtime, said(f"hide {shoutout.id}", actor="carol"))

    (card,) = agenda_cards(replies)
    assert "bob recognises dave" in text([card]) and "carol" not in text([card]) and REASON in text([card])
    assert "no longer name you either" in replies[0].text
