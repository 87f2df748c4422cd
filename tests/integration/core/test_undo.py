"""Undo `done` or `skip` on the current meeting's item: state, featuring history and stats go back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from adapters.runtime import Runtime
from bot.domain.lifecycle import AgendaState
from bot.replies import Reply
from bot.storage.models import AgendaItem, Featuring, Moment
from tests.integration.core import ask, one, rows, table_counts, text
from tests.support.clock import FakeClock
from tests.support.events import pressed, said

STORY = "story {what} | rang the depot | relieved | own the problem"


async def setup(runtime: Runtime, clock: FakeClock) -> tuple[AgendaItem, Moment]:
    """alice organizes, bob's story is on the meeting's item (so bob presents), carol is in the channel."""
    for name in ("alice", "bob", "carol"):
        await ask(runtime, said("help", actor=name))
    await ask(runtime, said(STORY.format(what="The parcel was lost twice"), actor="bob"))
    clock.advance(timedelta(minutes=1))
    await ask(runtime, said(STORY.format(what="The invoice was wrong"), actor="carol"))
    await ask(runtime, said("request"))
    item = await latest(runtime)
    bobs = await one(runtime, Moment, Moment.id == item.moment_id)
    assert bobs.situation.startswith("The parcel")
    return item, bobs


async def latest(runtime: Runtime) -> AgendaItem:
    return (await rows(runtime, AgendaItem, order_by=AgendaItem.id.desc()))[0]


def card_of(replies: list[Reply], item: AgendaItem) -> Reply:
    (card,) = [r for r in replies if r.message is not None and r.message.key == f"agenda:{item.id}"]
    return card


async def outcomes(runtime: Runtime) -> list[str]:
    return [f.outcome for f in await rows(runtime, Featuring, order_by=Featuring.id)]


async def test_undoing_done_puts_the_item_back_on_the_card_and_in_the_history(
    runtime: Runtime, clock: FakeClock
) -> None:
    item, bobs = await setup(runtime, clock)
    presented = await ask(runtime, said("done", actor="bob"))
    assert "[Undo]" in text([card_of(presented, item)])
    assert await outcomes(runtime) == ["presented"]

    replies = await ask(runtime, said("undo", actor="bob"))

    assert replies[0].text == f"Undone: agenda #{item.id} is no longer marked presented; it is on the agenda again."
    card = text([card_of(replies, item)])
    assert "[Presented]" in card and "[Undo]" not in card
    assert (await latest(runtime)).state is AgendaState.POSTED
    assert await outcomes(runtime) == ["current"]
    assert (await one(runtime, Moment, Moment.id == bobs.id)).times_featured == 1
    await ask(runtime, said("done", actor="bob"))  # and it can be marked presented again
    assert await outcomes(runtime) == ["presented"]


async def test_undoing_a_skip_by_its_button_counts_the_featuring_again_and_stats_follow(
    runtime: Runtime, clock: FakeClock
) -> None:
    item, bobs = await setup(runtime, clock)
    featured_at = (await one(runtime, Moment, Moment.id == bobs.id)).last_featured_at
    await ask(runtime, said("skip"))
    skipped = await one(runtime, Moment, Moment.id == bobs.id)
    assert (skipped.times_featured, skipped.last_featured_at) == (0, None)
    assert "Meetings without: 1" in text(await ask(runtime, said("stats")))

    replies = await ask(runtime, pressed("agenda.undo", str(item.id)))

    assert "no longer skipped" in replies[0].text
    card_of(replies, item)
    back = await one(runtime, Moment, Moment.id == bobs.id)
    assert (back.times_featured, back.last_featured_at) == (1, featured_at)
    assert await outcomes(runtime) == ["current"]
    stats = text(await ask(runtime, said("stats")))
    assert "Meetings with a moment: 1" in stats and "Meetings without: 0" in stats


async def test_undoing_a_skip_before_the_card_went_out_leaves_it_waiting(runtime: Runtime, clock: FakeClock) -> None:
    item, _ = await setup(runtime, clock)
    async with runtime.sessions.begin() as session:  # a series' item, its card due in an hour
        await session.execute(
            update(AgendaItem).values(
                state=AgendaState.SCHEDULED,
                post_at=clock.now + timedelta(hours=1),
                starts_at=clock.now + timedelta(hours=2),
            )
        )
    await ask(runtime, said(f"skip {item.id}"))

    replies = await ask(runtime, said("undo"))

    assert replies[0].text.endswith("it is coming up again.")
    assert [r for r in replies if r.message is not None] == []  # nothing is posted before its time
    assert (await latest(runtime)).state is AgendaState.SCHEDULED


async def test_nothing_to_undo_says_so_and_changes_nothing(runtime: Runtime, clock: FakeClock) -> None:
    await ask(runtime, said("help"))
    before = await table_counts(runtime)
    assert "nothing to undo" in text(await ask(runtime, said("undo"))).lower()
    item, _ = await setup(runtime, clock)
    before = await table_counts(runtime)
    answer = text(await ask(runtime, said(f"undo {item.id}")))
    assert f"nothing to undo on agenda #{item.id}" in answer.lower()
    assert await table_counts(runtime) == before
    assert "no agenda item #999" in text(await ask(runtime, said("undo 999"))).lower()


async def test_only_who_could_do_it_may_undo_it(runtime: Runtime, clock: FakeClock) -> None:
    await setup(runtime, clock)
    await ask(runtime, said("done", actor="bob"))
    assert "Only the presenter" in text(await ask(runtime, said("undo", actor="carol")))
    assert (await latest(runtime)).state is AgendaState.PRESENTED
    await ask(runtime, said("undo", actor="bob"))  # the presenter marked it presented, and may take it back
    await ask(runtime, said("skip"))
    assert "Only the meeting's organizer" in text(await ask(runtime, said("undo", actor="bob")))
    assert (await latest(runtime)).state is AgendaState.SKIPPED


async def test_only_the_current_meeting_can_be_undone(runtime: Runtime, clock: FakeClock) -> None:
    item, _ = await setup(runtime, clock)
    await ask(runtime, said("done"))
    clock.advance(timedelta(days=1))
    answer = text(await ask(runtime, said("undo")))
    assert f"Only the current meeting can be undone; agenda #{item.id} was for the meeting on" in answer
    assert (await latest(runtime)).state is AgendaState.PRESENTED


async def test_undoing_a_skip_of_a_since_withdrawn_story_picks_again(runtime: Runtime, clock: FakeClock) -> None:
    _, bobs = await setup(runtime, clock)
    await ask(runtime, said("skip"))
    await ask(runtime, said(f"withdraw {bobs.id}", actor="bob"))

    replies = await ask(runtime, said("undo"))

    again = await latest(runtime)
    assert again.state is AgendaState.POSTED and again.moment_id != bobs.id
    assert "The parcel was lost twice" not in text(replies)
    assert "Picked again" in again.reason


async def test_undoing_a_skip_never_puts_one_moment_on_two_meetings(runtime: Runtime, clock: FakeClock) -> None:
    first, bobs = await setup(runtime, clock)
    await ask(runtime, said("skip"))
    await ask(runtime, said("request in 2h"))  # the next meeting may take the story the skip gave back
    second = await latest(runtime)
    assert second.id != first.id and second.moment_id == bobs.id

    await ask(runtime, said(f"undo {first.id}"))

    both = await rows(runtime, AgendaItem, order_by=AgendaItem.id)
    assert [i.state for i in both] == [AgendaState.POSTED, AgendaState.POSTED]
    assert both[0].moment_id != both[1].moment_id
    assert both[0].reason.startswith(f"Picked again: the earlier item is on agenda #{second.id} now.")
    counted = await one(runtime, Moment, Moment.id == bobs.id)
    assert counted.times_featured == 1
