"""An agenda item is acted on only by people of its channel: a number typed in a DM reaches nothing else.

Mallory was never in the private channel; from her DM with the bot she tries every action on its
agenda item by number. Each is refused with the not-found answer (the item stays unknown to her), no
card is re-posted and nothing is written. People the core knows in that channel still can, from a DM.
"""

from __future__ import annotations

import pytest

from adapters.runtime import Runtime
from bot.events import Incoming
from bot.replies import Reply, agenda_id
from tests.integration.hostile.support import table_rows
from tests.support.events import pressed, said

PRIVATE = "leadership"


async def ask(runtime: Runtime, incoming: Incoming) -> list[Reply]:
    return await runtime.core.handle(incoming)


async def an_item_in_a_private_channel(runtime: Runtime) -> int:
    await ask(runtime, said("help", actor="alice", channel="support"))  # alice: the workspace's first, an admin
    await ask(runtime, said("help", actor="mallory", channel="support"))
    await ask(runtime, said("managers add @mallory", actor="alice", channel="support"))
    replies = await ask(runtime, said("request", actor="alice", channel=PRIVATE))
    card = next(r for r in replies if r.card is not None and r.message is not None)
    assert card.message is not None
    number = agenda_id(card.message.key)
    assert number is not None
    return number


@pytest.mark.parametrize("command", ["helpful", "swap", "skip", "done"])
async def test_a_member_never_in_the_channel_cannot_act_on_its_item_from_a_dm(runtime: Runtime, command: str) -> None:
    number = await an_item_in_a_private_channel(runtime)
    before = await table_rows(runtime.engine)
    for incoming in (
        said(f"{command} {number}", actor="mallory", channel=None),
        pressed(f"agenda.{command}", str(number), actor="mallory", channel=None),
    ):
        replies = await ask(runtime, incoming)
        assert [r.card for r in replies] == [None]
        assert [r.message for r in replies] == [None]
        assert "no agenda item" in (replies[0].text or "")
        assert "you can act on" in (replies[0].text or "")
    assert await table_rows(runtime.engine) == before


async def test_a_member_of_the_channel_still_votes_from_a_dm(runtime: Runtime) -> None:
    number = await an_item_in_a_private_channel(runtime)
    await ask(runtime, said("help", actor="bob", channel=PRIVATE))
    replies = await ask(runtime, said(f"helpful {number}", actor="bob", channel=None))
    assert any(r.card is not None for r in replies), [r.text for r in replies]
