"""Participation stats (who was missed, never a leaderboard) and the managers' data export."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from adapters.cli.composition import Runtime
from bot.replies import Attachment, Card
from tests.integration.core import ask, card_text, text
from tests.support.clock import FakeClock
from tests.support.events import said

REASON = "stayed on the call until the refund went through"


async def season(runtime: Runtime) -> None:
    """alice (admin), bob, carol, dave: a story, a shout-out, a presented and a skipped meeting, a vote."""
    for name in ("alice", "bob", "carol", "dave"):
        await ask(runtime, said("help", actor=name))
    await ask(runtime, said("story The parcel was lost twice | rang the depot | relieved | own it", actor="bob"))
    await ask(runtime, said("story anon A refund took a month | explain the wait", actor="carol"))
    await ask(runtime, said(f"shoutout @bob {REASON}", actor="alice"))
    await ask(runtime, said("request"))  # the fresh shout-out
    await ask(runtime, said("done"))
    await ask(runtime, said("helpful", actor="carol"))
    await ask(runtime, said("request"))
    await ask(runtime, said("skip"))


async def stats_card(runtime: Runtime, command: str = "stats", actor: str = "alice") -> Card:
    (reply,) = await ask(runtime, said(command, actor=actor))
    assert reply.card is not None, reply
    return reply.card


def facts(card: Card) -> dict[str, str]:
    return {fact.label: fact.value for fact in card.facts}


async def test_stats_count_the_channels_participation(runtime: Runtime) -> None:
    await season(runtime)
    card = await stats_card(runtime, actor="dave")
    assert card.title == "Customer Moment · last 90 days · #support"
    assert facts(card) == {
        "Meetings with a moment": "1",
        "Meetings without": "1",
        "Stories submitted": "2",
        "People who contributed": "3",
        "Shout-outs given": "1",
        "Recognitions received": "1 (to 1 different people)",
        "Featured": "1 shout-out",
        "Helpful votes": "1",
    }


async def test_stats_cover_the_period_asked_for(runtime: Runtime, clock: FakeClock) -> None:
    await season(runtime)
    clock.advance(timedelta(days=40))
    await ask(runtime, said("story A new story from this month | listen first", actor="dave"))
    recent = facts(await stats_card(runtime, "stats 30"))
    assert (recent["Stories submitted"], recent["People who contributed"], recent["Meetings with a moment"]) == (
        "1",
        "1",
        "0",
    )
    assert facts(await stats_card(runtime, "stats 90"))["Stories submitted"] == "3"


@pytest.mark.parametrize(
    ("command", "answer"),
    [("stats lots", "Give the period in days, e.g. `stats 30`."), ("stats 0", "The period is 1 to 3660 days.")],
)
async def test_stats_period_must_be_a_number_of_days(runtime: Runtime, command: str, answer: str) -> None:
    assert text(await ask(runtime, said(command))) == answer


async def test_only_managers_see_who_was_not_recognised(runtime: Runtime, clock: FakeClock) -> None:
    await season(runtime)
    member_view = await stats_card(runtime, actor="dave")
    assert member_view.sections == ()
    manager_view = await stats_card(runtime, actor="alice")
    (section,) = manager_view.sections
    assert section.heading == "Not recognised in the last 90 days (only managers see this)"
    assert section.text == "alice, carol, dave"
    clock.advance(timedelta(days=91))
    assert (await stats_card(runtime)).sections[0].text == "alice, bob, carol, dave"
    await ask(runtime, said(f"shoutout @bob @carol @dave {REASON}", actor="alice"))
    assert (await stats_card(runtime)).sections[0].text == "alice"
    await ask(runtime, said(f"shoutout @alice {REASON}", actor="bob"))
    assert (await stats_card(runtime)).sections[0].text == "Everyone here was recognised in the last 90 days."


async def test_stats_rank_nobody(runtime: Runtime) -> None:
    await season(runtime)
    for actor in ("alice", "dave"):
        card = await stats_card(runtime, actor=actor)
        for fact in card.facts:
            assert not {"alice", "bob", "carol", "dave"} & set(fact.value.replace(",", " ").split())
        assert "bob" not in card_text(card)  # the one person recognised is not singled out


async def export(runtime: Runtime, command: str) -> Attachment:
    (reply,) = await ask(runtime, said(command))
    assert reply.attachment is not None, reply
    assert reply.text == "Exported 3 moments from #support."
    return reply.attachment


async def test_csv_export_has_a_row_per_channel_moment(runtime: Runtime) -> None:
    await season(runtime)
    await ask(runtime, said(f"shoutout @dave {REASON}", channel="sales"))  # another channel: not exported
    attachment = await export(runtime, "export")
    assert (attachment.filename, attachment.content_type) == ("customer-moment-20261123.csv", "text/csv")
    rows = list(csv.DictReader(io.StringIO(attachment.content)))
    assert [(r["kind"], r["author"], r["recipients"]) for r in rows] == [
        ("story", "bob", ""),
        ("story", "", ""),  # anonymous
        ("shoutout", "alice", "bob"),
    ]
    assert rows[0]["situation"] == "The parcel was lost twice"
    assert rows[0]["lesson"] == "own it"
    assert rows[2]["times_featured"] == "1"
    assert "carol" not in attachment.content


async def test_json_export_has_moments_agenda_and_history(runtime: Runtime) -> None:
    await season(runtime)
    attachment = await export(runtime, "export JSON")
    assert (attachment.filename, attachment.content_type) == ("customer-moment-20261123.json", "application/json")
    document = json.loads(attachment.content)
    assert document["team"] == {"name": "#support", "zone": "UTC", "review_required": False}
    assert [m["kind"] for m in document["moments"]] == ["story", "story", "shoutout"]
    assert document["moments"][1]["author"] == ""
    assert [a["state"] for a in document["agenda"]] == ["presented", "skipped"]
    assert [f["outcome"] for f in document["featurings"]] == ["presented", "skipped"]
    assert document["agenda"][0]["reason"] == "A fresh shout-out, featured while it still means the most."


async def test_export_is_for_managers_only_and_in_two_formats(runtime: Runtime) -> None:
    await season(runtime)
    replies = await ask(runtime, said("export csv", actor="bob"))
    assert text(replies).startswith("Only managers can export data.")
    assert all(reply.attachment is None for reply in replies)
    assert text(await ask(runtime, said("export xml"))) == "Export as `csv` or `json`."


async def test_csv_export_cells_cannot_become_spreadsheet_formulas(runtime: Runtime) -> None:
    await ask(runtime, said('story =HYPERLINK("http://evil.example","details") was in a reply | check links'))
    (reply,) = await ask(runtime, said("export csv"))
    assert reply.attachment is not None
    (row,) = csv.DictReader(io.StringIO(reply.attachment.content))
    assert not row["situation"].startswith(("=", "+", "-", "@"))
