"""The agenda item: request a moment, then swap, skip, mark presented, vote helpful; the queue."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from adapters.runtime import Runtime
from bot.replies import Audience, Reply
from bot.storage.models import AgendaItem, Featuring, Member, Moment, Vote
from tests.integration.core import ask, count, dms, one, rows, table_counts, text
from tests.support.clock import FakeClock
from tests.support.events import pressed, said

STORY = "story {what} | rang the depot | relieved | own the problem"


async def people(runtime: Runtime, *names: str) -> None:
    for name in names:
        await ask(runtime, said("help", actor=name))


async def story(runtime: Runtime, author: str, what: str = "The parcel was lost twice") -> Moment:
    await ask(runtime, said(STORY.format(what=what), actor=author))
    return (await rows(runtime, Moment, Moment.kind == "story", order_by=Moment.id.desc()))[0]


async def item(runtime: Runtime) -> AgendaItem:
    return (await rows(runtime, AgendaItem, order_by=AgendaItem.id.desc()))[0]


async def moment(runtime: Runtime, moment_id: int | None) -> Moment:
    return await one(runtime, Moment, Moment.id == moment_id)


def agenda_card(replies: list[Reply]) -> Reply:
    cards = [r for r in replies if r.message is not None and r.message.key.startswith("agenda:")]
    assert len(cards) == 1, replies
    return cards[0]


# --- request --------------------------------------------------------------------------------------


async def test_request_posts_an_agenda_card_with_the_reason_and_tells_the_author(
    runtime: Runtime, clock: FakeClock
) -> None:
    await people(runtime, "alice", "bob")
    bobs = await story(runtime, "bob")
    replies = await ask(runtime, said("request in 15m"))
    posted = await item(runtime)
    card = agenda_card(replies)
    assert (card.audience, card.to_team, card.message and card.message.key) == (
        Audience.CHANNEL,
        "support",
        f"agenda:{posted.id}",
    )
    assert card.card is not None
    assert card.card.title == "Customer Moment · Mon 23 Nov 09:15 UTC"
    assert card.card.note == "Why this one: Never featured yet; waiting since 23 Nov 2026."
    assert "The parcel was lost twice" in text([card])
    assert [b.action for b in card.card.buttons] == ["agenda.swap", "agenda.skip", "agenda.done", "agenda.helpful"]
    assert dms(replies) == {
        "bob": f"Your customer story #{bobs.id} is the Customer Moment for the meeting on Mon 23 Nov 09:15 UTC"
        " in #support."
    }
    alice = await one(runtime, Member, Member.external_id == "alice")
    bob = await one(runtime, Member, Member.external_id == "bob")
    assert (posted.state, posted.moment_id, posted.organizer_id, posted.presenter_id) == (
        "posted",
        bobs.id,
        alice.id,
        bob.id,
    )
    assert posted.starts_at == clock.now + timedelta(minutes=15)
    assert posted.reason == "Never featured yet; waiting since 23 Nov 2026."
    featured = await moment(runtime, bobs.id)
    assert (featured.times_featured, featured.last_featured_at) == (1, clock.now)
    assert [f.outcome for f in await rows(runtime, Featuring)] == ["current"]


async def test_an_empty_pool_gets_a_library_exercise(runtime: Runtime) -> None:
    replies = await ask(runtime, said("request"))
    chosen = await moment(runtime, (await item(runtime)).moment_id)
    assert chosen.library_key is not None
    card = agenda_card(replies).card
    assert card is not None
    assert (
        card.note
        == "Why this one: The team's pool has nothing new that can be featured now, so here is an exercise from the"
        " library."
    )
    assert "from the library" in text(replies)
    assert dms(replies) == {}


async def test_anonymous_story_is_presented_by_the_organizer(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob")
    await ask(runtime, said("story anon The parcel was lost twice | own the problem", actor="bob"))
    replies = await ask(runtime, said("request", actor="alice"))
    card_text = text([agenda_card(replies)])
    assert "Shared anonymously" in card_text
    assert "Presenter: alice" in card_text
    assert "bob" not in card_text


async def test_consecutive_meetings_rest_the_last_presenter_and_balance_kinds(
    runtime: Runtime, clock: FakeClock
) -> None:
    await people(runtime, "alice", "bob", "carol", "dave")
    first = await story(runtime, "bob", "Oldest story, by bob")
    clock.advance(timedelta(days=1))
    bobs_second = await story(runtime, "bob", "Second story, by bob")
    clock.advance(timedelta(days=1))
    carols = await story(runtime, "carol", "Third story, by carol")
    picks = []
    for _ in range(3):
        clock.advance(timedelta(days=7))
        await ask(runtime, said("request"))
        latest = await item(runtime)
        picks.append((latest.moment_id, latest.reason))
    assert picks[0][0] == first.id
    assert picks[1] == (
        carols.id,
        "Never featured yet; waiting since 25 Nov 2026 and not the people featured last time.",
    )
    third = await moment(runtime, picks[2][0])
    assert third.library_key is not None
    assert picks[2][1] == "For variety: the last 2 moments were stories."
    assert bobs_second.id not in {moment_id for moment_id, _ in picks}


async def test_a_new_story_by_someone_else_is_found_behind_many_by_the_last_presenter(
    runtime: Runtime, clock: FakeClock
) -> None:
    await people(runtime, "alice", "bob", "carol")
    for n in range(13):
        await story(runtime, "bob", f"Story number {n} by bob")
        clock.advance(timedelta(minutes=1))
    carols = await story(runtime, "carol", "The one story by carol")
    await ask(runtime, said("request"))
    assert (await moment(runtime, (await item(runtime)).moment_id)).author_id != carols.author_id
    clock.advance(timedelta(days=7))
    await ask(runtime, said("request"))
    assert (await item(runtime)).moment_id == carols.id


# --- swap -----------------------------------------------------------------------------------------


async def test_swap_never_brings_back_an_item_already_swapped_out(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob", "carol")
    await story(runtime, "bob")
    await story(runtime, "carol", "The invoice was wrong")
    await ask(runtime, said("request"))
    agenda = await item(runtime)
    shown = [agenda.moment_id]
    for n in range(6):
        incoming = said("swap") if n % 2 else pressed("agenda.swap", str(agenda.id))
        replies = await ask(runtime, incoming)
        assert agenda_card(replies).message is not None
        shown.append((await item(runtime)).moment_id)
    assert len(set(shown)) == len(shown)
    outcomes = [f.outcome for f in await rows(runtime, Featuring, order_by=Featuring.id)]
    assert outcomes == ["swapped"] * 6 + ["current"]
    team_items = await rows(runtime, Moment, Moment.kind == "story")
    assert {m.times_featured for m in team_items} == {0}
    assert {m.last_featured_at for m in team_items} == {None}


async def test_swapping_out_a_repeat_restores_its_count_and_earlier_featuring_date(
    runtime: Runtime, clock: FakeClock
) -> None:
    await ask(runtime, said("help"))
    async with runtime.sessions.begin() as session:  # a workspace whose library is out of the way
        await session.execute(update(Moment).where(Moment.library_key.is_not(None)).values(state="withdrawn"))
    alices = await story(runtime, "alice")
    clock.advance(timedelta(hours=1))
    await ask(runtime, said("exercise Team drill | Retell the customer's words | pair up", actor="bob"))
    featured_at = []
    for _ in range(3):
        clock.advance(timedelta(days=7))
        await ask(runtime, said("request"))
        featured_at.append(clock.now)
        await ask(runtime, said("done"))
    assert (await moment(runtime, alices.id)).times_featured == 2  # meetings one and three
    await ask(runtime, said("request"))  # the exercise: featured fewer times
    await ask(runtime, said("request in 1h"))  # alice's story, a third time
    fifth = await item(runtime)
    assert fifth.moment_id == alices.id
    await ask(runtime, said(f"swap {fifth.id}"))
    restored = await moment(runtime, alices.id)
    assert (restored.times_featured, restored.last_featured_at) == (2, featured_at[2])


async def test_only_organizer_or_manager_may_swap_or_skip(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob", "carol")
    await ask(runtime, said("request", actor="bob"))
    agenda = await item(runtime)
    before = await table_counts(runtime)
    assert text(await ask(runtime, said("swap", actor="carol"))) == (
        "Only the meeting's organizer or a manager can swap its moment."
    )
    assert text(await ask(runtime, said(f"skip {agenda.id}", actor="carol"))) == (
        "Only the meeting's organizer or a manager can skip its moment."
    )
    assert await table_counts(runtime) == before
    assert (await item(runtime)).moment_id == agenda.moment_id
    await ask(runtime, said("swap", actor="bob"))
    await ask(runtime, said("swap", actor="alice"))
    assert await count(runtime, Featuring, Featuring.outcome == "swapped") == 2


# --- skip and done --------------------------------------------------------------------------------


async def test_skip_puts_the_item_back_in_the_pool(runtime: Runtime) -> None:
    bobs = await story(runtime, "alice")
    await ask(runtime, said("request"))
    replies = await ask(runtime, said("skip"))
    card = agenda_card(replies).card
    assert card is not None
    assert "Status: Skipped this time" in text(replies)
    assert [b.action for b in card.buttons] == ["agenda.undo"]
    assert (await item(runtime)).state == "skipped"
    assert (await moment(runtime, bobs.id)).times_featured == 0
    agenda = await item(runtime)
    assert text(await ask(runtime, said(f"skip {agenda.id}"))) == "This meeting's moment is already skipped this time."
    assert (
        text(await ask(runtime, said(f"helpful {agenda.id}"))) == "There is no moment on that agenda item to vote for."
    )


@pytest.mark.parametrize("actor", ["bob", "carol", "alice"], ids=["organizer", "presenter", "manager"])
async def test_organizer_presenter_or_manager_marks_it_presented(runtime: Runtime, actor: str) -> None:
    await people(runtime, "alice", "bob", "carol", "dave")
    await story(runtime, "carol")
    await ask(runtime, said("request", actor="bob"))
    replies = await ask(runtime, said("presented", actor=actor))
    assert "Status: Presented ✔" in text(replies)
    agenda_reply = agenda_card(replies).card
    assert agenda_reply is not None
    assert [b.action for b in agenda_reply.buttons] == ["agenda.helpful", "agenda.undo"]
    assert (await item(runtime)).state == "presented"
    assert [f.outcome for f in await rows(runtime, Featuring)] == ["presented"]
    assert (await one(runtime, Moment, Moment.kind == "story")).times_featured == 1


async def test_acting_on_the_moment_before_the_next_meeting_has_one_says_when_it_will(runtime: Runtime) -> None:
    await ask(runtime, said("schedule weekly tue 10:00 Europe/Berlin"))
    await story(runtime, "bob")
    expected = (
        "The next meeting, on Tue 24 Nov 10:00 CET, has no moment yet: it is picked on Tue 24 Nov 09:30 CET,"
        " 30 min before the meeting. {}; `queue` shows what is coming."
    )
    for command in ("done", "helpful"):
        told = text(await ask(runtime, said(command, actor="bob")))
        assert told == expected.format("Its organizer or a manager can pick one now with `swap`")
    assert text(await ask(runtime, said("done"))) == expected.format("`swap` picks one now")
    await ask(runtime, said("swap"))  # as it says: the next meeting gets its moment now
    assert (await item(runtime)).moment_id is not None


async def test_others_are_refused_politely_when_marking_presented(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob", "carol", "dave")
    await story(runtime, "carol")
    await ask(runtime, said("request", actor="bob"))
    agenda = await item(runtime)
    reply = text(await ask(runtime, pressed("agenda.done", str(agenda.id), actor="dave")))
    assert reply == "Only the presenter, the meeting's organizer or a manager can mark it presented."
    assert (await item(runtime)).state == "posted"
    await ask(runtime, said("done", actor="bob"))
    assert text(await ask(runtime, said("done", actor="bob"))) == (
        "There is no upcoming moment in this channel. `request` gets one for a meeting now."
    )
    assert text(await ask(runtime, said(f"done {agenda.id}", actor="bob"))) == (
        "This meeting's moment is already presented ✔."
    )


# --- helpful --------------------------------------------------------------------------------------


async def test_each_member_says_helpful_once(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob", "carol")
    await ask(runtime, said("request"))
    agenda = await item(runtime)
    replies = await ask(runtime, said("helpful", actor="bob"))
    assert "👍 Helpful (1)" in text(replies)
    assert text(await ask(runtime, pressed("agenda.helpful", str(agenda.id), actor="bob"))) == (
        "You already said this one was helpful — thanks!"
    )
    await ask(runtime, said("done"))
    replies = await ask(runtime, said("helpful", actor="carol"))  # after the meeting, too
    assert "👍 Helpful (2)" in text(replies)
    assert await count(runtime, Vote) == 2


async def test_two_clicks_at_once_count_one_vote(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob")
    await ask(runtime, said("request"))
    agenda = await item(runtime)
    click = pressed("agenda.helpful", str(agenda.id), actor="bob")
    answers = await asyncio.gather(*(ask(runtime, click) for _ in range(3)))
    assert sorted("Helpful (1)" in text(replies) for replies in answers) == [False, False, True]
    assert [text(r) for r in answers if "Helpful (1)" not in text(r)] == [
        "You already said this one was helpful — thanks!"
    ] * 2
    assert await count(runtime, Vote) == 1


# --- queue ----------------------------------------------------------------------------------------


async def test_queue_shows_whats_coming_the_pool_and_whats_next(runtime: Runtime) -> None:
    await ask(runtime, said("schedule weekly tue 10:00 Europe/Berlin"))
    first = await story(runtime, "alice", "Oldest story")
    await ask(runtime, said("request in 30m"))
    agenda = await item(runtime)
    second = await story(runtime, "bob", "Waiting story")
    await ask(runtime, said("exercise Team drill | Retell the customer's words | pair up"))
    (reply,) = await ask(runtime, said("next", actor="bob"))
    assert reply.card is not None
    assert reply.card.title == "Customer Moment queue · #support"
    coming, pool, next_in_line = reply.card.sections
    assert coming.text.splitlines() == [
        f"Agenda #{agenda.id} · Mon 23 Nov 10:30 CET · #{first.id} · Customer story · approved · Oldest story",
        "Meeting #1 · next on Tue 24 Nov 10:00 CET · no moment yet: it is picked on Tue 24 Nov 09:30 CET, 30 min"
        " before the meeting",
    ]
    assert pool.text == "Never featured yet — stories: 1, shout-outs: 0, exercises: 1."
    # The next meeting is the requested one: the moment already picked for it, with its reason.
    assert next_in_line.heading == "Next meeting · Mon 23 Nov 10:30 CET"
    assert next_in_line.text.splitlines() == [
        f"#{first.id} · Customer story · approved · Oldest story",
        agenda.reason,
    ]
    assert second.id != first.id
    assert await count(runtime, AgendaItem) == 1  # looking ahead writes nothing


async def test_queue_lists_the_next_five_items_and_says_which_has_no_moment(runtime: Runtime) -> None:
    long = "The parcel went to the wrong depot, then the wrong city, then back to the sender without a word to anyone"
    await story(runtime, "alice", long)
    for minutes in (10, 20, 30, 40, 50, 60):
        await ask(runtime, said(f"request in {minutes}m"))
    first, second, *_ = await rows(runtime, AgendaItem, order_by=AgendaItem.id)
    async with runtime.sessions.begin() as session:  # a moment deleted after it was put on the agenda
        await session.execute(update(AgendaItem).where(AgendaItem.id == second.id).values(moment_id=None))
    (reply,) = await ask(runtime, said("queue", actor="bob"))
    assert reply.card is not None
    coming = reply.card.sections[0]
    lines = coming.text.splitlines()
    assert [line.split(" · ")[0] for line in lines] == [f"Agenda #{first.id + n}" for n in range(5)]
    assert (
        lines[0]
        == f"Agenda #{first.id} · Mon 23 Nov 09:10 UTC · #{first.moment_id} · Customer story · approved · {long[:79]}…"
    )
    assert lines[1] == f"Agenda #{second.id} · Mon 23 Nov 09:20 UTC · no moment: `swap {second.id}` picks one"
    await ask(runtime, said(f"swap {second.id}", actor="alice"))  # the way the line names works
    (reply,) = await ask(runtime, said("queue", actor="bob"))
    assert reply.card is not None
    assert reply.card.sections[0].text.splitlines()[1].startswith(f"Agenda #{second.id} · Mon 23 Nov 09:20 UTC · #")


async def test_queue_of_a_quiet_channel_says_nothing_is_scheduled(runtime: Runtime) -> None:
    (reply,) = await ask(runtime, said("queue"))
    assert reply.card is not None
    coming, pool, next_in_line = reply.card.sections
    assert (coming.heading, coming.text) == ("Coming up", "No meetings scheduled. Try `schedule` or `request`.")
    assert pool.text == "Never featured yet — stories: 0, shout-outs: 0, exercises: 0."
    assert next_in_line.heading == "Next in line"
    assert next_in_line.text.splitlines()[1] == (
        "The team's pool has nothing new that can be featured now, so here is an exercise from the library."
    )


@pytest.mark.parametrize("command", ["helpful {n}", "swap {n}", "done {n}"])
async def test_from_a_direct_message_an_item_of_a_channel_you_are_not_in_reads_as_none(
    runtime: Runtime, command: str
) -> None:
    """Whether a private channel's agenda item exists is not told to people outside that channel."""
    await ask(runtime, said("help"))
    await ask(runtime, said("story The parcel was lost twice | own the problem", channel="hr-private"))
    await ask(runtime, said("request", channel="hr-private"))
    item = await one(runtime, AgendaItem)
    await ask(runtime, said("help", actor="mallory"))  # in #support only
    before = await table_counts(runtime)
    real = text(await ask(runtime, said(command.format(n=item.id), actor="mallory", channel=None)))
    missing = text(await ask(runtime, said(command.format(n=item.id + 1000), actor="mallory", channel=None)))
    assert real.replace(str(item.id), "N") == missing.replace(str(item.id + 1000), "N")
    assert await table_counts(runtime) == before
