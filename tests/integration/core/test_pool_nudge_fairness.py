"""The channel's invitation to share is true: it is never sent while something new waits in the pool, even
when the rotation did not pick it this time (the same people are not featured two meetings running)."""

from __future__ import annotations

import pytest

from adapters.runtime import Runtime
from bot.storage.models import AgendaItem, Moment, Team
from tests.integration.core import ask, one, rows
from tests.integration.core.test_pool_nudge import DAILY, STORY, Meetings, invited
from tests.support.clock import FakeClock
from tests.support.events import said

NEW_ITEMS = {
    "shout-out": "shoutout @carol stayed on the call until the refund went through",
    "story": STORY.format(what="The invoice was wrong"),
}


@pytest.mark.parametrize("new", list(NEW_ITEMS))
async def test_a_new_item_held_back_for_fairness_is_something_new(runtime: Runtime, clock: FakeClock, new: str) -> None:
    await ask(runtime, said(DAILY))
    await ask(runtime, said("help", actor="carol"))
    await ask(runtime, said(STORY.format(what="The parcel was lost twice"), actor="bob"))
    meetings = Meetings(runtime, clock)
    assert not invited(await meetings.on_day(0))  # bob's story, new
    await ask(runtime, said(NEW_ITEMS[new], actor="bob"))  # bob again: held back for the next meeting

    posts = await meetings.on_day(1)

    second = (await rows(runtime, AgendaItem, order_by=AgendaItem.starts_at))[1]
    waiting = await one(runtime, Moment, Moment.author_id.is_not(None), Moment.times_featured == 0)
    assert second.moment_id != waiting.id  # the rotation held it back, and it still waits
    assert posts == ["card"], posts
    assert (await one(runtime, Team)).nudged_at is None


async def test_with_nothing_new_waiting_the_invitation_still_comes(runtime: Runtime, clock: FakeClock) -> None:
    await ask(runtime, said(DAILY))
    await ask(runtime, said(STORY.format(what="The parcel was lost twice"), actor="bob"))
    meetings = Meetings(runtime, clock)
    assert not invited(await meetings.on_day(0))
    assert invited(await meetings.on_day(1))
