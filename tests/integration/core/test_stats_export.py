"""Participation stats (who was missed, never a leaderboard) and the managers' data export."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from adapters.runtime import Runtime
from bot.replies import Attachment, Card, Fact, Reply, Section, Visibility
from bot.storage.models import AgendaItem, Featuring, Member, Moment, Recipient, Team, Vote
from tests.integration.core import ask, card_text, rows, text
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
        "People who contributed": "2, plus 1 anonymous story",  # carol's is anonymous: she is not told apart
        "Shout-outs given": "1",
        "Recognitions received": "1 (to 1 person)",
        "Featured or on an agenda": "1 shout-out",
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


async def a_busy_month(runtime: Runtime, now: datetime) -> None:
    """Rows on both sides of every edge `stats 30` has: the period's first and last instant, other states,
    outcomes and kinds, the #sales channel, authorless and library moments."""
    for name in ("alice", "bob", "carol", "dave", "erin"):
        await ask(runtime, said("help", actor=name))
    await ask(runtime, said("help", actor="erin", channel="sales"))
    since = now - timedelta(days=30)
    before, after = since - timedelta(seconds=1), now + timedelta(seconds=1)
    async with runtime.sessions() as session, session.begin():
        teams = {t.external_id: t for t in await session.scalars(select(Team))}
        people = {m.name: m.id for m in await session.scalars(select(Member))}
        support, sales = teams["support"], teams["sales"]

        def item(team: Team, starts_at: datetime, state: str) -> AgendaItem:
            return AgendaItem(
                workspace_id=team.workspace_id,
                team_id=team.id,
                series_id=None,
                starts_at=starts_at,
                post_at=starts_at,
                state=state,
                created_at=starts_at,
                updated_at=starts_at,
            )

        def moment(team: Team | None, kind: str, state: str, author: str | None, at: datetime) -> Moment:
            return Moment(
                workspace_id=support.workspace_id,
                team_id=team.id if team else None,
                kind=kind,
                state=state,
                author_id=people[author] if author else None,
                library_key=None if team else "stats-test",
                created_at=at,
            )

        first, last, early = (
            item(support, since, "posted"),
            item(support, now, "presented"),
            item(support, before, "posted"),
        )
        elsewhere = item(sales, now - timedelta(days=1), "posted")
        inside = [
            item(support, now - timedelta(days=d), s)
            for d, s in enumerate(["missed", "missed", "failed", "skipped", "scheduled", "cancelled"], 1)
        ]
        session.add_all([first, last, early, elsewhere, item(support, after, "skipped"), *inside])
        story = moment(support, "story", "approved", "bob", now - timedelta(days=1))
        pending_story = moment(support, "story", "pending", "carol", now - timedelta(days=2))
        authorless = moment(support, "story", "rejected", None, since)
        exercise = moment(support, "exercise", "approved", "dave", now - timedelta(days=3))
        library = moment(None, "exercise", "approved", None, now)
        to_bob_and_carol = moment(support, "shoutout", "approved", "alice", now - timedelta(days=1))
        to_carol = moment(support, "shoutout", "approved", "bob", now)
        pending_to_dave = moment(support, "shoutout", "pending", "carol", now)
        long_ago_to_dave = moment(support, "shoutout", "approved", "alice", now - timedelta(days=91))
        to_erin_in_sales = moment(sales, "shoutout", "approved", "erin", now)
        session.add_all(
            [
                story,
                pending_story,
                authorless,
                exercise,
                library,
                to_bob_and_carol,
                to_carol,
                pending_to_dave,
                long_ago_to_dave,
                to_erin_in_sales,
                moment(support, "story", "approved", "dave", before),
                moment(sales, "story", "approved", "erin", now),
            ]
        )
        await session.flush()
        for shoutout, names in [
            (to_bob_and_carol, ["bob", "carol"]),
            (to_carol, ["carol"]),
            (pending_to_dave, ["dave"]),
            (long_ago_to_dave, ["dave"]),
            (to_erin_in_sales, ["erin"]),
        ]:
            session.add_all(Recipient(moment_id=shoutout.id, member_id=people[name]) for name in names)

        def featuring(team: Team, featured: Moment, outcome: str, at: datetime) -> Featuring:
            agenda = elsewhere if team is sales else first
            return Featuring(
                workspace_id=team.workspace_id,
                team_id=team.id,
                agenda_item_id=agenda.id,
                moment_id=featured.id,
                outcome=outcome,
                created_at=at,
            )

        session.add_all(
            [
                featuring(support, story, "presented", now - timedelta(days=1)),
                featuring(support, to_bob_and_carol, "current", now),
                featuring(support, to_carol, "presented", since),
                featuring(support, exercise, "presented", now - timedelta(days=2)),
                featuring(support, library, "presented", now - timedelta(days=3)),
                featuring(support, pending_story, "skipped", now),
                featuring(support, story, "presented", before),
                featuring(sales, to_erin_in_sales, "presented", now),
                Vote(agenda_item_id=first.id, member_id=people["bob"], created_at=now),
                Vote(agenda_item_id=early.id, member_id=people["carol"], created_at=since),
                Vote(agenda_item_id=first.id, member_id=people["dave"], created_at=before),
                Vote(agenda_item_id=elsewhere.id, member_id=people["erin"], created_at=now),
            ]
        )


async def test_stats_card_reads_exactly_so_for_a_busy_month(runtime: Runtime, clock: FakeClock) -> None:
    await a_busy_month(runtime, clock.now)
    facts = (
        Fact("Meetings with a moment", "2"),
        Fact("Meetings without", "4 (2 missed)"),
        Fact("Stories submitted", "2"),  # the one sent back is not counted
        Fact("People who contributed", "4"),
        Fact("Shout-outs given", "3"),  # one of them waits for review
        Fact("Recognitions received", "3 (to 2 different people)"),
        Fact("Featured or on an agenda", "2 exercises, 2 shout-outs, 1 customer story"),
        Fact("Helpful votes", "2"),
    )
    title = "Customer Moment · last 30 days · #support"
    assert await ask(runtime, said("stats 30", actor="bob")) == [
        Reply(card=Card(title, facts=facts), visible_to=Visibility.ACTOR)
    ]
    missed = Section("alice, dave", "Not recognised in the last 90 days (only managers see this)")
    assert await ask(runtime, said("stats 30")) == [
        Reply(card=Card(title, facts=facts, sections=(missed,)), visible_to=Visibility.ACTOR)
    ]


async def test_stats_card_of_a_quiet_channel_reads_exactly_so(runtime: Runtime) -> None:
    names = ["alice"] + [f"member{n:02}" for n in range(41)]
    for name in names:
        await ask(runtime, said("help", actor=name))
    facts = (
        Fact("Meetings with a moment", "0"),
        Fact("Meetings without", "0"),
        Fact("Stories submitted", "0"),
        Fact("People who contributed", "0"),
        Fact("Shout-outs given", "0"),
        Fact("Recognitions received", "0"),
        Fact("Featured or on an agenda", "nothing yet"),
        Fact("Helpful votes", "0"),
    )
    missed = Section(", ".join(names[:40]) + " …", "Not recognised in the last 90 days (only managers see this)")
    card = Card("Customer Moment · last 90 days · #support", facts=facts, sections=(missed,))
    assert await ask(runtime, said("stats")) == [Reply(card=card, visible_to=Visibility.ACTOR)]


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


async def test_stats_count_what_still_stands_and_its_authors_alike(runtime: Runtime) -> None:
    await ask(runtime, said("help", actor="bob"))
    await ask(runtime, said("shoutout @bob stayed late to fix the customer's refund for good"))
    await ask(runtime, said("story The parcel was lost twice | rang the depot | own the problem"))
    for moment in await rows(runtime, Moment, Moment.library_key.is_(None)):
        await ask(runtime, said(f"withdraw {moment.id}"))
    (reply,) = await ask(runtime, said("stats 30"))
    assert reply.card is not None
    facts = {fact.label: fact.value for fact in reply.card.facts}
    assert (facts["Stories submitted"], facts["People who contributed"], facts["Shout-outs given"]) == ("0", "0", "0")


@pytest.mark.parametrize("anonymous_author", ["bob", "carol"])
async def test_stats_never_tell_who_wrote_an_anonymous_story(runtime: Runtime, anonymous_author: str) -> None:
    """bob's shout-out names him as a contributor; whether the anonymous story is his or carol's, the stats
    everyone reads are the same."""
    for name in ("alice", "bob", "carol", "dave"):
        await ask(runtime, said("help", actor=name))
    await ask(runtime, said(f"shoutout @dave {REASON}", actor="bob"))
    await ask(runtime, said("story anon A refund took a month | explain the wait", actor=anonymous_author))
    for actor in ("dave", "alice"):
        card = facts(await stats_card(runtime, actor=actor))
        assert (card["Stories submitted"], card["People who contributed"]) == ("1", "1, plus 1 anonymous story")


async def test_a_private_shoutout_is_not_counted_where_the_channel_reads_it(runtime: Runtime) -> None:
    """Private means only the people named: the channel's stats do not tell that one was given, or to how many;
    managers, who may see private shout-outs, are told how many there were."""
    for name in ("alice", "bob", "carol", "dave"):
        await ask(runtime, said("help", actor=name))
    await ask(runtime, said(f"shoutout @carol {REASON}", actor="bob"))
    public = facts(await stats_card(runtime, actor="dave"))
    await ask(runtime, said("shoutout private @dave stayed late with the angry caller", actor="carol"))
    for actor in ("dave", "carol", "bob"):
        assert facts(await stats_card(runtime, actor=actor)) == public
    assert (public["Shout-outs given"], public["Recognitions received"], public["People who contributed"]) == (
        "1",
        "1 (to 1 person)",
        "1",
    )
    manager = facts(await stats_card(runtime, actor="alice"))
    assert manager == {**public, "Private shout-outs (only managers see this)": "1"}
