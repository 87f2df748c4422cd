"""What is stored is shown where people look for it: a story's NPS on its agenda card, helpful votes in the
export, and in `mine` which items are anonymous or private and when each was featured."""

from __future__ import annotations

import csv
import io
import json

import pytest

from adapters.runtime import Runtime
from bot.replies import Card
from bot.storage.models import AgendaItem, Moment
from tests.integration.core import ask, card_text, rows
from tests.support.events import said

STORY = "story {what} | rang the depot | relieved | own the problem"


def facts(card: Card) -> dict[str, str]:
    return {fact.label: fact.value for fact in card.facts}


async def agenda_card(runtime: Runtime, command: str = "request in 30m") -> Card:
    cards = [reply.card for reply in await ask(runtime, said(command)) if reply.card is not None]
    assert cards and cards[0].title.startswith("Customer Moment · "), cards
    return cards[0]


@pytest.mark.parametrize("nps", ["promoter", "passive", "detractor"])
async def test_a_storys_nps_is_on_its_agenda_card(runtime: Runtime, nps: str) -> None:
    await ask(runtime, said(f"story The parcel was lost twice lesson: own the problem nps: {nps.upper()}", actor="bob"))
    card = await agenda_card(runtime)
    assert facts(card)["Customer NPS"] == nps.capitalize()
    # and stays there when the card changes
    card = await agenda_card(runtime, "done")
    assert facts(card)["Customer NPS"] == nps.capitalize()


async def test_a_story_without_nps_has_no_nps_on_its_card(runtime: Runtime) -> None:
    await ask(runtime, said(STORY.format(what="The parcel was lost twice"), actor="bob"))
    assert "Customer NPS" not in facts(await agenda_card(runtime))


async def helpful_season(runtime: Runtime) -> tuple[Moment, Moment, Moment]:
    """Three stories; the first presented with two helpful votes, the second with one, the third never shown."""
    for name in ("alice", "bob", "carol", "dave"):
        await ask(runtime, said("help", actor=name))
    for author, what in (("bob", "The parcel was lost twice"), ("carol", "A refund took a month")):
        await ask(runtime, said(STORY.format(what=what), actor=author))
    await ask(runtime, said("request"))
    await ask(runtime, said("done"))
    for voter in ("carol", "dave"):
        await ask(runtime, said("helpful", actor=voter))
    await ask(runtime, said("request"))
    await ask(runtime, said("helpful", actor="bob"))
    await ask(runtime, said(STORY.format(what="Nobody has heard this one"), actor="dave"))
    first_item, second_item = await rows(runtime, AgendaItem, order_by=AgendaItem.id)
    by_id = {m.id: m for m in await rows(runtime, Moment, Moment.kind == "story")}
    assert first_item.moment_id is not None and second_item.moment_id is not None
    (unshown,) = [m for i, m in by_id.items() if i not in (first_item.moment_id, second_item.moment_id)]
    return by_id[first_item.moment_id], by_id[second_item.moment_id], unshown


async def test_the_csv_export_counts_each_moments_helpful_votes(runtime: Runtime) -> None:
    first, second, unshown = await helpful_season(runtime)
    (reply,) = await ask(runtime, said("export csv"))
    assert reply.attachment is not None
    votes = {int(r["id"]): r["helpful_votes"] for r in csv.DictReader(io.StringIO(reply.attachment.content))}
    assert votes == {first.id: "2", second.id: "1", unshown.id: "0"}


async def test_the_json_export_counts_helpful_votes_per_moment_and_per_meeting(runtime: Runtime) -> None:
    first, second, unshown = await helpful_season(runtime)
    (reply,) = await ask(runtime, said("export json"))
    assert reply.attachment is not None
    document = json.loads(reply.attachment.content)
    assert {m["id"]: m["helpful_votes"] for m in document["moments"]} == {first.id: 2, second.id: 1, unshown.id: 0}
    assert [(a["moment_id"], a["helpful_votes"]) for a in document["agenda"]] == [(first.id, 2), (second.id, 1)]


async def mine(runtime: Runtime, actor: str) -> list[str]:
    (reply,) = await ask(runtime, said("mine", actor=actor))
    assert reply.card is not None
    return card_text(reply.card).splitlines()


async def test_mine_says_which_items_are_anonymous_and_when_each_was_featured(runtime: Runtime) -> None:
    await ask(runtime, said("story anon The parcel was lost twice | rang the depot | relieved | own it", actor="bob"))
    await ask(runtime, said(STORY.format(what="A refund took a month"), actor="bob"))
    anonymous, named = await rows(runtime, Moment, Moment.kind == "story", order_by=Moment.id)
    lines = await mine(runtime, "bob")
    assert (
        f"#{anonymous.id} · Customer story · approved · The parcel was lost twice · anonymous · not featured yet"
        in (lines)
    )
    assert f"#{named.id} · Customer story · approved · A refund took a month · not featured yet" in lines

    await ask(runtime, said("request in 30m"))  # Mon 23 Nov 09:30 UTC
    (item,) = await rows(runtime, AgendaItem)
    picked = next(line for line in await mine(runtime, "bob") if line.startswith(f"#{item.moment_id} "))
    assert picked.endswith(" · on the agenda for Mon 23 Nov 09:30 UTC")
    await ask(runtime, said("done"))
    presented = next(line for line in await mine(runtime, "bob") if line.startswith(f"#{item.moment_id} "))
    assert presented.endswith(" · featured on Mon 23 Nov 09:30 UTC")


@pytest.mark.parametrize("command", ["skip", "swap"])
async def test_a_skipped_or_swapped_out_item_is_not_featured_in_mine(runtime: Runtime, command: str) -> None:
    await ask(runtime, said(STORY.format(what="The parcel was lost twice"), actor="bob"))
    await ask(runtime, said(STORY.format(what="A refund took a month"), actor="carol"))
    await ask(runtime, said("request in 30m"))
    (item,) = await rows(runtime, AgendaItem)
    await ask(runtime, said(command))
    author = "bob" if "parcel" in (await rows(runtime, Moment, Moment.id == item.moment_id))[0].situation else "carol"
    line = next(line for line in await mine(runtime, author) if line.startswith(f"#{item.moment_id} "))
    assert line.endswith(" · not featured yet")


async def test_mine_marks_a_private_shoutout_and_never_promises_featuring_it(runtime: Runtime) -> None:
    await ask(runtime, said("help", actor="bob"))
    await ask(runtime, said("shoutout private @bob answered every ticket over the weekend", actor="alice"))
    lines = await mine(runtime, "bob")
    assert [line for line in lines if "every ticket" in line] == [
        next(line for line in lines if line.endswith("answered every ticket over the weekend · private"))
    ]
