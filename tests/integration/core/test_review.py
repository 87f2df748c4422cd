"""Review: managers switch it on, then approve or send back new items; authors hear about it."""

from __future__ import annotations

from adapters.runtime import Runtime
from bot.replies import Audience, Visibility
from bot.storage.models import AgendaItem, Member, Moment, Team
from tests.integration.core import ask, dms, one, only, rows, text
from tests.support.events import pressed, said, submitted

STORY = "story The parcel was lost twice | rang the depot | relieved | own the problem"
REASON = "stayed on the call until the refund went through"


async def with_review(runtime: Runtime) -> None:
    """alice (admin) switches review on; bob and carol are members."""
    await ask(runtime, said("review on"))
    await ask(runtime, said("help", actor="bob"))
    await ask(runtime, said("help", actor="carol"))


async def pending_story(runtime: Runtime) -> Moment:
    await ask(runtime, said(STORY, actor="bob"))
    return await one(runtime, Moment, Moment.kind == "story")


async def test_review_on_and_off_by_a_manager(runtime: Runtime) -> None:
    replies = await ask(runtime, said("review on"))
    assert text(replies).startswith("Review is on")
    assert (await one(runtime, Team)).review_required is True
    replies = await ask(runtime, said("review OFF"))
    assert text(replies).startswith("Review is off")
    assert (await one(runtime, Team)).review_required is False
    assert text(await ask(runtime, said("review maybe"))) == "Say `review on` or `review off`."


async def test_members_cannot_switch_review(runtime: Runtime) -> None:
    await ask(runtime, said("help"))
    replies = await ask(runtime, said("review on", actor="bob"))
    assert text(replies).startswith("Only managers can change review settings.")
    assert (await one(runtime, Team)).review_required is False


async def test_with_review_on_new_items_wait_and_are_listed_for_managers(runtime: Runtime) -> None:
    await with_review(runtime)
    replies = await ask(runtime, said(STORY, actor="bob"))
    story = await one(runtime, Moment, Moment.kind == "story")
    assert replies[0].text == f"Thanks! Your customer story #{story.id} is waiting for a manager's review."
    assert story.state == "pending"
    # The channel's manager hears of it, without its author or its words; nobody else hears of it yet.
    told = "A new {} shared in #support is waiting for your review (#{}): `review` lists it."
    assert dms(replies) == {"alice": told.format("customer story", story.id)}
    shout = await ask(runtime, said(f"shoutout @carol {REASON}", actor="bob"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    assert only(shout, Audience.CHANNEL) == [] and dms(shout) == {"alice": told.format("shout-out", shoutout.id)}
    replies = await ask(runtime, said("review"))
    assert replies[0].text == "2 item(s) waiting for review:"
    assert replies[1].card is not None
    assert replies[1].card.title == f"#{story.id} · Customer story waiting for review"
    assert [b.action for b in replies[1].card.buttons] == ["review.approve", "review.reject"]
    assert text(await ask(runtime, said("review", actor="bob"))).startswith("Only managers can review submissions.")


async def test_a_shout_out_waiting_for_review_is_told_to_the_managers_who_decide_on_it(runtime: Runtime) -> None:
    await with_review(runtime)
    told = "A new shout-out shared in #support is waiting for your review (#{}): `review` lists it."
    replies = await ask(runtime, said(f"shoutout @alice {REASON}", actor="bob"))  # about the only manager: hers
    about_alice = await one(runtime, Moment, Moment.kind == "shoutout")
    assert dms(replies) == {"alice": told.format(about_alice.id)}
    await ask(runtime, said("help", actor="dave"))
    await ask(runtime, said("managers add @dave"))
    replies = await ask(runtime, said(f"shoutout @dave {REASON}", actor="bob"))  # about dave: alice decides
    about_dave = max(m.id for m in await rows(runtime, Moment, Moment.kind == "shoutout"))
    assert dms(replies) == {"alice": told.format(about_dave)}
    replies = await ask(runtime, said(f"shoutout @carol {REASON}", actor="alice"))  # alice's own: dave decides
    by_alice = max(m.id for m in await rows(runtime, Moment, Moment.kind == "shoutout"))
    assert dms(replies) == {"dave": told.format(by_alice)}
    assert about_alice.id < about_dave < by_alice


async def test_empty_review_queue(runtime: Runtime) -> None:
    assert text(await ask(runtime, said("review"))) == "Nothing is waiting for your review."


async def test_manager_approves_and_the_author_is_told(runtime: Runtime) -> None:
    await with_review(runtime)
    story = await pending_story(runtime)
    replies = await ask(runtime, said(f"approve #{story.id}"))
    assert replies[0].text == f"Approved #{story.id}."
    assert dms(replies) == {
        "bob": f"Your customer story #{story.id} was approved and is in the pool for upcoming meetings."
    }
    approved = await one(runtime, Moment, Moment.id == story.id)
    alice = await one(runtime, Member, Member.external_id == "alice")
    assert (approved.state, approved.decided_by) == ("approved", alice.id)
    again = await ask(runtime, said(f"approve {story.id}"))
    assert text(again) == (
        f"#{story.id} is approved already. `reject {story.id} <reason>` takes it down and sends it back to its author."
    )


async def test_approving_a_shoutout_announces_it(runtime: Runtime) -> None:
    await with_review(runtime)
    await ask(runtime, said(f"shoutout @carol {REASON}", actor="bob"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    replies = await ask(runtime, pressed("review.approve", str(shoutout.id)))
    assert set(dms(replies)) == {"bob", "carol"}
    assert dms(replies)["carol"].startswith("bob gave you a shout-out.")
    (post,) = only(replies, Audience.CHANNEL)
    assert post.to_team == "support"


async def test_items_waiting_for_review_are_never_featured(runtime: Runtime) -> None:
    await with_review(runtime)
    story = await pending_story(runtime)
    await ask(runtime, said("request"))
    first = await one(runtime, AgendaItem)
    assert first.moment_id != story.id
    await ask(runtime, said(f"approve {story.id}"))
    await ask(runtime, said("request in 1h"))  # another meeting
    assert story.id in {item.moment_id for item in await rows(runtime, AgendaItem)}


async def test_manager_rejects_with_a_reason_the_author_reads(runtime: Runtime) -> None:
    await with_review(runtime)
    story = await pending_story(runtime)
    replies = await ask(runtime, said(f"reject {story.id} Please leave out the customer's name."))
    assert replies[0].text == f"Sent #{story.id} back to its author."
    assert dms(replies) == {
        "bob": f"Your customer story #{story.id} was sent back by alice: Please leave out the customer's name."
    }
    rejected = await one(runtime, Moment, Moment.id == story.id)
    assert (rejected.state, rejected.decision_note) == ("rejected", "Please leave out the customer's name.")


async def test_reject_without_a_reason_opens_a_form_that_requires_one(runtime: Runtime) -> None:
    await with_review(runtime)
    story = await pending_story(runtime)
    for incoming in (said(f"reject {story.id}"), pressed("review.reject", str(story.id))):
        (reply,) = await ask(runtime, incoming)
        assert reply.form is not None
        assert (reply.form.form_id, reply.form.context) == ("reject", str(story.id))
    (reply,) = await ask(runtime, submitted("reject", {"reason": "  "}, context=str(story.id)))
    assert set(reply.errors) == {"reason"}
    assert (await one(runtime, Moment, Moment.id == story.id)).state == "pending"
    replies = await ask(runtime, submitted("reject", {"reason": "Add what you did"}, context=str(story.id)))
    assert dms(replies)["bob"].endswith("sent back by alice: Add what you did")
    assert (await one(runtime, Moment, Moment.id == story.id)).state == "rejected"


async def test_only_managers_approve_or_reject(runtime: Runtime) -> None:
    await with_review(runtime)
    story = await pending_story(runtime)
    refusal = "Only managers can approve or reject submissions."
    for command in (f"approve {story.id}", f"reject {story.id} not good enough", f"reject {story.id}"):
        assert text(await ask(runtime, said(command, actor="carol"))).startswith(refusal)
    assert text(await ask(runtime, pressed("review.approve", str(story.id), actor="bob"))).startswith(refusal)
    assert (await one(runtime, Moment, Moment.id == story.id)).state == "pending"


async def test_a_manager_named_by_the_admin_can_approve(runtime: Runtime) -> None:
    await with_review(runtime)
    story = await pending_story(runtime)
    await ask(runtime, said("managers add @carol"))
    replies = await ask(runtime, said(f"approve {story.id}", actor="carol"))
    assert replies[0].text == f"Approved #{story.id}."


async def test_approving_a_private_shout_out_tells_its_giver_it_was_sent_not_pooled(runtime: Runtime) -> None:
    await with_review(runtime)
    await ask(runtime, said(f"shoutout private @carol {REASON}", actor="bob"))
    shout = await one(runtime, Moment, Moment.kind == "shoutout")
    replies = await ask(runtime, said(f"approve {shout.id}"))
    to_bob = dms(replies)["bob"]
    assert to_bob == (
        f"Your shout-out #{shout.id} was approved and sent privately to carol (private shout-outs are never featured)."
    )


async def test_a_manager_reviews_only_what_is_shared_in_the_channels_they_are_in(runtime: Runtime) -> None:
    """A private channel's submissions stay unknown outside it, to managers too."""
    await ask(runtime, said("help"))  # alice: the first member, admin
    await ask(runtime, said("help", actor="dave"))  # dave, a manager, is in #support only
    assert "dave" in text(await ask(runtime, said("managers add @dave")))
    await ask(runtime, said("review on", channel="hr-private"))  # alice is in #hr-private too
    await ask(runtime, said(STORY, actor="bob", channel="hr-private"))
    story = await one(runtime, Moment, Moment.kind == "story")
    assert story.state == "pending"

    for actor in ("dave",):
        for where in ({}, {"channel": None}, {"channel": "hr-private-2"}):
            assert (
                text(await ask(runtime, said("review", actor=actor, **where))) == "Nothing is waiting for your review."
            )
        for command in (f"approve {story.id}", f"reject {story.id} too vague", f"reject {story.id}"):
            refused = text(await ask(runtime, said(command, actor=actor)))
            assert refused.startswith(f"There is no item #{story.id} for you to review")
            assert "parcel" not in refused
        refused = await ask(runtime, pressed("review.approve", str(story.id), actor=actor))
        assert text(refused).startswith(f"There is no item #{story.id} for you to review")
    assert (await one(runtime, Moment, Moment.kind == "story")).state == "pending"  # nothing changed

    queue = await ask(runtime, said("review"))  # alice is in #hr-private: she sees it, from anywhere
    assert queue[0].text == "1 item(s) waiting for review:"
    assert (await ask(runtime, said(f"approve {story.id}", channel=None)))[0].text == f"Approved #{story.id}."
    assert (await one(runtime, Moment, Moment.kind == "story")).state == "approved"


async def test_review_off_says_how_many_items_still_wait_for_a_decision(runtime: Runtime) -> None:
    await with_review(runtime)
    await pending_story(runtime)
    replies = await ask(runtime, said("review off"))
    assert text(replies) == (
        "Review is off: new stories and shout-outs go straight into the pool. "
        "1 shared here before still waits for a decision: `review` lists it."
    )
    assert (await one(runtime, Moment, Moment.kind == "story")).state == "pending"  # still for a manager to decide
    await ask(runtime, said("review on"))
    await ask(runtime, said(f"shoutout @carol {REASON}", actor="bob"))
    assert "2 shared here before still wait for a decision: `review` lists them." in text(
        await ask(runtime, said("review off"))
    )
    await ask(runtime, said("review on", channel="other"))
    assert text(await ask(runtime, said("review off", channel="other"))) == (
        "Review is off: new stories and shout-outs go straight into the pool."
    )


async def test_being_mentioned_in_a_private_channel_is_not_being_in_it(runtime: Runtime) -> None:
    await ask(runtime, said("help"))
    await ask(runtime, said("help", actor="dave"))  # dave, a manager, is in #support only
    await ask(runtime, said("managers add @dave"))
    await ask(runtime, said("review on", channel="hr-private"))
    await ask(runtime, said(STORY, actor="bob", channel="hr-private"))
    await ask(runtime, said(f"shoutout @dave {REASON}", actor="bob", channel="hr-private"))
    story = await one(runtime, Moment, Moment.kind == "story")

    assert text(await ask(runtime, said("review", actor="dave"))) == "Nothing is waiting for your review."
    refused = text(await ask(runtime, said(f"approve {story.id}", actor="dave")))
    assert refused.startswith(f"There is no item #{story.id} for you to review")
    assert (await one(runtime, Moment, Moment.kind == "story")).state == "pending"


async def test_a_manager_does_not_decide_on_their_own_item_while_another_manager_of_its_channel_can(
    runtime: Runtime,
) -> None:
    await ask(runtime, said("help"))  # alice: admin
    await ask(runtime, said("help", actor="dave"))
    await ask(runtime, said("managers add @dave"))
    await ask(runtime, said("review on"))
    await ask(runtime, said(STORY))  # alice's own
    await ask(runtime, said(f"shoutout @dave {REASON}", actor="bob"))  # about dave
    story = await one(runtime, Moment, Moment.kind == "story")
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")

    for actor, moment, whose, other in ((None, story, "yours", "dave"), ("dave", shoutout, "about you", "alice")):
        for command in (f"approve {moment.id}", f"reject {moment.id} too vague"):
            refused = text(await ask(runtime, said(command, actor=actor or "alice")))
            assert refused == f"#{moment.id} is {whose}: another manager of its channel decides on it ({other})."
    assert {m.state for m in await rows(runtime, Moment, Moment.library_key.is_(None))} == {"pending"}
    # Each one's review list holds only what they decide on: the other's item, not their own.
    for actor, theirs in (("alice", shoutout), ("dave", story)):
        listed = await ask(runtime, said("review", actor=actor))
        assert text(listed[:1]) == "1 item(s) waiting for review:"
        assert [f"#{theirs.id}" in text([card]) for card in listed[1:]] == [True]

    assert (await ask(runtime, said(f"approve {story.id}", actor="dave")))[0].text == f"Approved #{story.id}."
    assert (await ask(runtime, said(f"approve {shoutout.id}")))[0].text == f"Approved #{shoutout.id}."


async def test_the_only_manager_of_a_channel_may_decide_on_their_own_item(runtime: Runtime) -> None:
    await ask(runtime, said("help"))
    await ask(runtime, said("review on", channel="solo"))
    await ask(runtime, said(STORY, channel="solo"))
    story = await one(runtime, Moment, Moment.kind == "story")
    assert (await ask(runtime, said(f"approve {story.id}", channel="solo")))[0].text == f"Approved #{story.id}."


# --- taking down what was shared ------------------------------------------------------------------------


async def test_a_manager_takes_down_a_shared_shout_out_and_its_author_hears_why(runtime: Runtime) -> None:
    """With review off a shout-out is shared at once: a manager can still take it down, with the reason."""
    await ask(runtime, said("help"))  # alice, the first in the workspace, is its admin
    await ask(runtime, said("help", actor="carol"))
    await ask(runtime, said(f"shoutout @carol {REASON}", actor="bob"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    assert shoutout.state == "approved"
    assert text(await ask(runtime, said(f"withdraw {shoutout.id}", actor="carol"))) == (
        f"Only the author can withdraw #{shoutout.id}."
    ), "a member is not pointed to what only managers may do"
    replies = await ask(runtime, said(f"reject {shoutout.id} Please keep it about the work."))
    assert replies[0].text == f"Took down #{shoutout.id} and sent it back to its author: it will not be featured."
    assert dms(replies)["bob"] == (
        f"Your shout-out #{shoutout.id} was taken down and sent back by alice: Please keep it about the work."
    )
    taken = await one(runtime, Moment, Moment.id == shoutout.id)
    assert (taken.state, taken.decision_note) == ("rejected", "Please keep it about the work.")
    pool = text(await ask(runtime, said("queue", actor="carol")))
    assert "shout-outs: 0" in pool
    again = await ask(runtime, said(f"reject {shoutout.id} Again."))
    assert text(again) == f"#{shoutout.id} is not waiting for review (it is sent back)."


async def test_a_shared_story_on_an_agenda_leaves_it_when_taken_down(runtime: Runtime) -> None:
    await ask(runtime, said("help"))  # alice, the first in the workspace, is its admin
    await ask(runtime, said(STORY, actor="bob"))
    story = await one(runtime, Moment, Moment.kind == "story")
    await ask(runtime, said("request"))
    assert (await one(runtime, AgendaItem)).moment_id == story.id
    replies = await ask(runtime, said(f"reject {story.id} It names the customer."))
    assert "It left the agenda it was on; that meeting gets another moment." in replies[0].text
    assert (await one(runtime, AgendaItem)).moment_id != story.id
    assert "taken down by a manager" in text(replies)
    assert "goes back to the pool" not in text(replies), "taken down, it is out of the pool"


async def test_only_managers_take_down_what_is_shared(runtime: Runtime) -> None:
    await ask(runtime, said("help"))  # alice, the first in the workspace, is its admin
    await ask(runtime, said("help", actor="carol"))
    await ask(runtime, said(STORY, actor="bob"))
    story = await one(runtime, Moment, Moment.kind == "story")
    refused = await ask(runtime, said(f"reject {story.id} Not nice.", actor="carol"))
    assert text(refused).startswith("Only managers can")
    assert (await one(runtime, Moment, Moment.id == story.id)).state == "approved"


async def test_a_shout_out_about_every_manager_is_theirs_to_decide(runtime: Runtime) -> None:
    """Nobody else can: each of them may decide on it, and each one's list shows it."""
    await with_review(runtime)
    await ask(runtime, said("managers add @carol"))
    await ask(runtime, said(f"shoutout @alice @carol {REASON}", actor="bob"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    for actor in ("alice", "carol"):
        assert f"#{shoutout.id}" in text(await ask(runtime, said("review", actor=actor)))
    assert (await ask(runtime, said(f"approve {shoutout.id}", actor="carol")))[0].text == f"Approved #{shoutout.id}."


async def test_the_review_list_shows_what_a_manager_decides_on_however_much_of_their_own_waits(
    runtime: Runtime,
) -> None:
    await with_review(runtime)
    await ask(runtime, said("managers add @carol"))
    for n in range(21):
        await ask(runtime, said(f"{STORY} {n}"))  # alice's own: carol decides on them
    await ask(runtime, said(STORY, actor="bob"))
    bobs = max(m.id for m in await rows(runtime, Moment, Moment.kind == "story"))
    listed = await ask(runtime, said("review"))
    assert text(listed[:1]) == "1 item(s) waiting for review:" and f"#{bobs}" in text(listed)
    carols = await ask(runtime, said("review", actor="carol"))
    assert text(carols[:1]) == "22 item(s) waiting for review (the first 20 shown; decide on them to see the next):"
    assert len(carols) == 21


async def test_an_anonymous_storys_answer_is_for_its_author_alone(runtime: Runtime) -> None:
    replies = await ask(runtime, said(f"story anonymous {STORY.removeprefix('story ')}", actor="bob"))
    assert [r.visible_to for r in replies] == [Visibility.ACTOR]
    named = await ask(runtime, said(STORY, actor="bob"))
    assert [r.visible_to for r in named] == [Visibility.CHANNEL]
