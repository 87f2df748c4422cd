"""A moment that may no longer be featured leaves every agenda item not presented yet, and is shown nowhere."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from adapters.runtime import Runtime
from bot.domain.lifecycle import AgendaState
from bot.replies import Audience, Reply
from bot.services import candidates
from bot.storage.models import AgendaItem, Featuring, Member, Moment, Recipient, Vote
from tests.integration.core import ask, count, dms, one, only, rows, text
from tests.support.clock import FakeClock
from tests.support.events import pressed, said, submitted

STORY = "story {what} | rang the depot | relieved | own the problem"
REASON = "stayed on the call until the refund went through"


async def people(runtime: Runtime, *names: str) -> None:
    for name in names:
        await ask(runtime, said("help", actor=name))


async def story(runtime: Runtime, clock: FakeClock, author: str, what: str) -> Moment:
    await ask(runtime, said(STORY.format(what=what), actor=author))
    clock.advance(timedelta(minutes=1))  # the older one waits longer, so the rotation picks it first
    return (await rows(runtime, Moment, Moment.kind == "story", order_by=Moment.id.desc()))[0]


async def latest_item(runtime: Runtime) -> AgendaItem:
    return (await rows(runtime, AgendaItem, order_by=AgendaItem.id.desc()))[0]


def agenda_cards(replies: list[Reply]) -> list[Reply]:
    return [r for r in replies if r.message is not None and r.message.key.startswith("agenda:")]


async def without_library(runtime: Runtime) -> None:
    async with runtime.sessions.begin() as session:  # a workspace whose library is out of the way
        await session.execute(update(Moment).where(Moment.library_key.is_not(None)).values(state="withdrawn"))


async def test_a_withdrawn_story_leaves_its_posted_card_which_is_updated_in_place(
    runtime: Runtime, clock: FakeClock
) -> None:
    await people(runtime, "alice", "bob", "carol")
    bobs = await story(runtime, clock, "bob", "The parcel was lost twice")
    carols = await story(runtime, clock, "carol", "The invoice was wrong")
    await ask(runtime, said("request"))
    item = await latest_item(runtime)
    assert item.moment_id == bobs.id
    async with runtime.sessions.begin() as session:  # where the surface posted the card
        await session.execute(update(AgendaItem).values(post_ref={"ts": "1.2"}))

    replies = await ask(runtime, said(f"withdraw {bobs.id}", actor="bob"))

    assert replies[0].text.startswith(f"Withdrawn #{bobs.id}. It will not be featured.")
    (card,) = agenda_cards(replies)
    assert card.audience is Audience.CHANNEL and card.message is not None
    assert (card.message.key, card.message.ref) == (f"agenda:{item.id}", {"ts": "1.2"})
    assert "The parcel was lost twice" not in text([card]) and "The invoice was wrong" in text([card])
    assert "Picked again: the earlier item was withdrawn by its author." in text([card])
    again = await latest_item(runtime)
    assert (again.state, again.moment_id) == (AgendaState.POSTED, carols.id)
    assert again.reason.startswith("Picked again: the earlier item was withdrawn by its author. ")
    assert "carol" in dms(replies) and "bob" not in dms(replies)
    outcomes = [(f.moment_id, f.outcome) for f in await rows(runtime, Featuring, order_by=Featuring.id)]
    assert outcomes == [(bobs.id, "swapped"), (carols.id, "current")]

    done = text(await ask(runtime, said("done")))
    assert "The invoice was wrong" in done and "The parcel was lost twice" not in done


async def test_the_organizer_presenting_is_told_when_the_moment_changes(runtime: Runtime, clock: FakeClock) -> None:
    await people(runtime, "alice", "bob")
    await ask(runtime, said("story anon The parcel was lost twice lesson: own the problem", actor="bob"))
    anonymous = await one(runtime, Moment, Moment.kind == "story")
    await ask(runtime, said("request"))
    item = await latest_item(runtime)
    if item.moment_id != anonymous.id:  # the rotation may open with the library; put the story on the item
        await ask(runtime, said("swap"))
        item = await latest_item(runtime)
    assert item.moment_id == anonymous.id and anonymous.anonymous

    replies = await ask(runtime, said(f"withdraw {anonymous.id}", actor="bob"))

    assert dms(replies)["alice"].startswith("The Customer Moment for the meeting on")
    assert "withdrawn by its author" in dms(replies)["alice"]


async def test_a_withdrawn_story_leaves_a_scheduled_item_without_posting_its_card(
    runtime: Runtime, clock: FakeClock
) -> None:
    await people(runtime, "alice", "bob", "carol")
    bobs = await story(runtime, clock, "bob", "The parcel was lost twice")
    await story(runtime, clock, "carol", "The invoice was wrong")
    await ask(runtime, said("request"))
    async with runtime.sessions.begin() as session:
        await session.execute(update(AgendaItem).values(state=AgendaState.SCHEDULED))

    replies = await ask(runtime, said(f"withdraw {bobs.id}", actor="bob"))

    assert agenda_cards(replies) == []  # the card waits for its post time
    assert "It left the agenda it was on" in replies[0].text
    again = await latest_item(runtime)
    assert again.state is AgendaState.SCHEDULED and again.moment_id != bobs.id


async def test_opting_out_takes_ones_items_off_the_agenda_and_the_reason_says_so(
    runtime: Runtime, clock: FakeClock
) -> None:
    await people(runtime, "alice", "bob", "carol")
    bobs = await story(runtime, clock, "bob", "The parcel was lost twice")
    await story(runtime, clock, "carol", "The invoice was wrong")
    await ask(runtime, said("request"))
    assert (await latest_item(runtime)).moment_id == bobs.id

    replies = await ask(runtime, said("optout", actor="bob"))

    assert "get another moment" in replies[0].text
    again = await latest_item(runtime)
    assert again.moment_id != bobs.id
    assert again.reason.startswith("Picked again: the earlier item can no longer be featured.")
    assert "opted out" not in text(replies[1:]) and "opted out" not in again.reason
    assert "The parcel was lost twice" not in text(replies)


async def test_a_recipient_opting_out_takes_the_shoutout_off_the_agenda(runtime: Runtime, clock: FakeClock) -> None:
    await people(runtime, "alice", "bob", "carol")
    await without_library(runtime)
    await ask(runtime, said(f"shoutout @bob {REASON}", actor="carol"))
    await ask(runtime, said("request"))
    item = await latest_item(runtime)
    assert item.moment_id is not None

    await ask(runtime, said("optout", actor="bob"))

    again = await latest_item(runtime)
    assert again.moment_id is None
    assert again.reason == "Nothing left to feature: the earlier item can no longer be featured."


async def test_one_recipient_hiding_a_joint_shoutout_keeps_it_for_the_others(
    runtime: Runtime, clock: FakeClock
) -> None:
    await people(runtime, "alice", "bob", "carol", "dave")
    await without_library(runtime)
    await ask(runtime, said(f"shoutout @bob @carol {REASON}", actor="dave"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    await ask(runtime, said("request"))
    item = await latest_item(runtime)
    assert item.moment_id == shoutout.id

    replies = await ask(runtime, said(f"hide {shoutout.id}", actor="bob"))

    assert replies[0].text == f"Hidden #{shoutout.id} for you: you will not be shown or featured with it."
    (card,) = agenda_cards(replies)
    assert "dave recognises carol" in text([card]) and "bob" not in text([card])
    assert (await one(runtime, Moment, Moment.id == shoutout.id)).state == "approved"
    assert (await latest_item(runtime)).moment_id == shoutout.id
    # Bob's later opt-out no longer holds carol's recognition back: he is not one of its people now.
    await ask(runtime, said("optout", actor="bob"))
    assert (await latest_item(runtime)).moment_id == shoutout.id

    again = await ask(runtime, said(f"hide {shoutout.id}", actor="bob"))
    assert again[0].text == f"You already hid #{shoutout.id}; nothing changed."

    last = await ask(runtime, said(f"hide {shoutout.id}", actor="carol"))
    assert last[0].text == f"Hidden #{shoutout.id}. It will not be shown or featured."
    assert (await one(runtime, Moment, Moment.id == shoutout.id)).state == "hidden"
    after = await latest_item(runtime)
    assert after.moment_id is None
    assert after.reason == "Nothing left to feature: the earlier item can no longer be featured."
    assert "hid" not in text(last[1:]) and "carol" not in text(last[1:])
    assert REASON not in text(last)
    assert await count(runtime, Recipient, Recipient.hidden.is_(True)) == 2


async def test_the_pool_count_and_the_pick_agree_about_items_of_people_who_opted_out(
    runtime: Runtime, clock: FakeClock
) -> None:
    await people(runtime, "alice", "bob", "carol")
    await story(runtime, clock, "bob", "The parcel was lost twice")
    await ask(runtime, said(f"shoutout @carol {REASON}", actor="alice"))
    await ask(runtime, said("optout", actor="bob"))
    await ask(runtime, said("optout", actor="carol"))

    shown = text(await ask(runtime, said("queue")))

    assert "stories: 0" in shown and "shout-outs: 0" in shown
    assert "The team's pool has nothing new" in shown


async def test_a_withdrawn_moment_is_not_shown_on_its_presented_card(runtime: Runtime, clock: FakeClock) -> None:
    await people(runtime, "alice", "bob", "carol")
    bobs = await story(runtime, clock, "bob", "The parcel was lost twice")
    await ask(runtime, said("request"))
    item = await latest_item(runtime)
    assert item.moment_id == bobs.id
    await ask(runtime, said("done"))
    await ask(runtime, said(f"withdraw {bobs.id}", actor="bob"))

    replies = await ask(runtime, pressed("agenda.helpful", str(item.id), actor="carol"))

    shown = text(replies)
    assert "withdrawn by its author" in shown and "The parcel was lost twice" not in shown
    assert (await latest_item(runtime)).moment_id == bobs.id  # what was presented stays on the record


async def test_editing_a_story_back_into_review_takes_it_off_the_agenda(runtime: Runtime, clock: FakeClock) -> None:
    await people(runtime, "alice", "bob", "carol")
    bobs = await story(runtime, clock, "bob", "The parcel was lost twice")
    await story(runtime, clock, "carol", "The invoice was wrong")
    await ask(runtime, said("request"))
    assert (await latest_item(runtime)).moment_id == bobs.id
    await ask(runtime, said("review on"))
    values = {"situation": "The parcel got lost a second time.", "lesson": "call before they chase"}

    replies = await ask(runtime, submitted("story", values, actor="bob", context=str(bobs.id)))

    assert (await one(runtime, Moment, Moment.id == bobs.id)).state == "pending"
    again = await latest_item(runtime)
    assert again.moment_id != bobs.id
    assert again.reason.startswith("Picked again: the earlier item went back to review.")
    assert "The parcel got lost" not in text(only(replies, Audience.CHANNEL))


async def test_an_author_cannot_vote_their_own_moment_helpful(runtime: Runtime, clock: FakeClock) -> None:
    await people(runtime, "alice", "bob")
    bobs = await story(runtime, clock, "bob", "The parcel was lost twice")
    await ask(runtime, said("request"))
    item = await latest_item(runtime)
    assert item.moment_id == bobs.id

    for incoming in (said("helpful", actor="bob"), pressed("agenda.helpful", str(item.id), actor="bob")):
        replies = await ask(runtime, incoming)
        assert "yours" in replies[0].text and agenda_cards(replies) == []
    assert await count(runtime, Vote) == 0
    await ask(runtime, said("helpful", actor="alice"))
    assert await count(runtime, Vote) == 1


async def test_withdrawing_or_opting_out_with_nothing_on_the_agenda_says_only_that(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob")
    await ask(runtime, said(STORY.format(what="The parcel was lost twice"), actor="bob"))
    bobs = await one(runtime, Moment, Moment.kind == "story")
    assert (await ask(runtime, said(f"withdraw {bobs.id}", actor="bob")))[0].text == (
        f"Withdrawn #{bobs.id}. It will not be featured."
    )
    assert "another moment" not in (await ask(runtime, said("optout", actor="bob")))[0].text


async def test_a_withdrawn_shoutout_is_no_longer_shown_to_the_people_it_named(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob")
    await ask(runtime, said(f"shoutout @bob {REASON}", actor="alice"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    assert REASON in text(await ask(runtime, said("mine", actor="bob")))

    await ask(runtime, said(f"withdraw {shoutout.id}", actor="alice"))

    assert REASON not in text(await ask(runtime, said("mine", actor="bob")))
    assert "withdrawn" in text(await ask(runtime, said("mine", actor="alice")))  # its author still sees it


async def test_a_recipient_who_hid_a_joint_shoutout_leaves_the_counts_and_the_export(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob", "carol")
    await ask(runtime, said(f"shoutout @bob @carol {REASON}", actor="alice"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    assert "Recognitions received: 2 (to 2 different people)" in text(await ask(runtime, said("stats")))

    await ask(runtime, said(f"hide {shoutout.id}", actor="bob"))

    assert "Recognitions received: 1 (to 1 person)" in text(await ask(runtime, said("stats")))
    (reply,) = await ask(runtime, said("export"))
    assert reply.attachment is not None
    (row,) = [r for r in reply.attachment.content.splitlines() if REASON in r]
    assert "carol" in row and "bob" not in row


async def test_the_rotation_no_longer_counts_a_recipient_who_hid_among_a_shoutouts_people(
    runtime: Runtime, clock: FakeClock
) -> None:
    await people(runtime, "alice", "bob", "carol")
    await without_library(runtime)
    await ask(runtime, said(f"shoutout @bob @carol {REASON}", actor="alice"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    await ask(runtime, said("request"))  # the previous meeting featured it
    members = {m.external_id: m.id for m in await rows(runtime, Member)}
    await ask(runtime, said(f"hide {shoutout.id}", actor="bob"))

    async with runtime.sessions() as session:
        found = await candidates.people(session, [(shoutout.id, shoutout.author_id)])
        previous = await candidates.recent(session, shoutout.team_id or 0)

    left = frozenset({members["alice"], members["carol"]})
    assert found == {shoutout.id: left}
    assert [(r.kind, r.people) for r in previous] == [("shoutout", left)]
