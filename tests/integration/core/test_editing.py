"""Authors see how a one-line story was read, and change their own stories and shout-outs through the form."""

from __future__ import annotations

from adapters.runtime import Runtime
from bot.storage.models import AgendaItem, Member, Moment
from tests.integration.core import ask, dms, one, table_counts, text
from tests.support.events import pressed, said, submitted

STORY = "story The customer asked what we did: nothing for a week. did: called back | lesson: call before they chase"


async def test_a_one_line_story_is_read_back_with_a_way_to_edit_it(runtime: Runtime) -> None:
    (reply,) = await ask(runtime, said(STORY))
    assert reply.card is not None
    facts = {fact.label: fact.value for fact in reply.card.facts}
    assert facts["What happened"] == "The customer asked what we did: nothing for a week."
    assert facts["What you did"] == "called back"
    assert facts["Lesson"] == "call before they chase"
    (button,) = reply.card.buttons
    (opened,) = await ask(runtime, pressed(button.action, button.value))
    assert opened.form is not None and opened.form.context == button.value
    initial = {field.name: field.initial for field in opened.form.fields}
    assert initial["situation"] == facts["What happened"]
    assert initial["lesson"] == "call before they chase"


async def test_saving_the_edit_form_changes_the_story_in_place(runtime: Runtime) -> None:
    await ask(runtime, said(STORY))
    story = await one(runtime, Moment, Moment.kind == "story")
    values = {"situation": "The customer asked what we did about the refund.", "lesson": "call before they chase"}
    before = await table_counts(runtime)
    (saved,) = await ask(runtime, submitted("story", values, context=str(story.id)))
    assert text([saved]).startswith(f"Saved your changes to customer story #{story.id}")
    assert await table_counts(runtime) == before  # changed in place, nothing new
    again = await one(runtime, Moment, Moment.id == story.id)
    assert again.situation == values["situation"] and again.action == ""
    (same,) = await ask(runtime, submitted("story", values, context=str(story.id)))
    assert text([same]).startswith("Nothing changed")


async def test_only_the_author_may_edit_and_withdrawn_items_stay_withdrawn(runtime: Runtime) -> None:
    await ask(runtime, said(STORY))
    story = await one(runtime, Moment, Moment.kind == "story")
    await ask(runtime, said("help", actor="bob"))
    assert "your own" in text(await ask(runtime, said(f"edit {story.id}", actor="bob")))
    values = {"situation": "Someone else rewrote this story entirely.", "lesson": "a different lesson"}
    assert "your own" in text(await ask(runtime, submitted("story", values, actor="bob", context=str(story.id))))
    await ask(runtime, said(f"withdraw {story.id}"))
    assert "can't be edited" in text(await ask(runtime, said(f"edit {story.id}")))
    assert (await one(runtime, Moment, Moment.id == story.id)).situation.startswith("The customer asked")


async def test_an_item_sent_back_by_a_reviewer_goes_back_to_review_when_edited(runtime: Runtime) -> None:
    await ask(runtime, said("review on"))
    await ask(runtime, said("help", actor="bob"))
    await ask(runtime, said(STORY, actor="bob"))
    story = await one(runtime, Moment, Moment.kind == "story")
    await ask(runtime, said(f"reject {story.id} please say what the customer felt"))
    assert (await one(runtime, Moment, Moment.id == story.id)).state == "rejected"
    values = {
        "situation": "The customer asked what we did: nothing for a week.",
        "reaction": "relieved once we called",
        "lesson": "call before they chase",
    }
    saved, *told = await ask(runtime, submitted("story", values, actor="bob", context=str(story.id)))
    assert "waiting for a manager's review again" in text([saved])
    assert (await one(runtime, Moment, Moment.id == story.id)).state == "pending"
    assert dms(told) == {
        "alice": f"A customer story shared in #support was changed and is waiting for your review (#{story.id}):"
        " `review` lists it."
    }
    again = await ask(
        runtime, submitted("story", {**values, "lesson": "call first"}, actor="bob", context=str(story.id))
    )
    assert dms(again) == {}, "told once: it was waiting already"


async def test_approved_items_edited_while_review_is_on_wait_for_review_again(runtime: Runtime) -> None:
    await ask(runtime, said(STORY))
    story = await one(runtime, Moment, Moment.kind == "story")
    await ask(runtime, said("review on"))
    values = {"situation": "A changed story after the approval.", "lesson": "call before they chase"}
    await ask(runtime, submitted("story", values, context=str(story.id)))
    assert (await one(runtime, Moment, Moment.id == story.id)).state == "pending"


async def test_a_shout_out_keeps_its_recipients_and_changes_its_words(runtime: Runtime) -> None:
    await ask(runtime, said("help", actor="bob"))
    await ask(runtime, said("shoutout @bob stayed on the call until the refund went through"))
    shout = await one(runtime, Moment, Moment.kind == "shoutout")
    (opened,) = await ask(runtime, said(f"edit {shout.id}"))
    assert opened.form is not None
    assert "recipients" not in {field.name for field in opened.form.fields}
    values = {"reason": "stayed on the call until the refund had really gone through", "private": False}
    (saved,) = await ask(runtime, submitted("shoutout", values, context=str(shout.id)))
    assert "Saved your changes to shout-out" in text([saved])
    assert (await one(runtime, Moment, Moment.id == shout.id)).situation == values["reason"]


async def test_an_edit_with_problems_changes_nothing_and_names_the_field(runtime: Runtime) -> None:
    await ask(runtime, said(STORY))
    story = await one(runtime, Moment, Moment.kind == "story")
    (reply,) = await ask(runtime, submitted("story", {"situation": "short", "lesson": "ok"}, context=str(story.id)))
    assert set(reply.errors) == {"situation", "lesson"}
    assert (await one(runtime, Moment, Moment.id == story.id)).situation.startswith("The customer asked")


async def test_editing_your_own_exercise_says_exercises_cannot_be_edited_and_what_to_do(runtime: Runtime) -> None:
    await ask(runtime, said("exercise Say no kindly | Practise saying no | Pair up; Swap roles | 8"))
    exercise = await one(runtime, Moment, Moment.kind == "exercise", Moment.library_key.is_(None))
    for command in (f"edit {exercise.id}", f"change {exercise.id}"):
        answer = text(await ask(runtime, said(command)))
        assert answer.startswith(f"#{exercise.id} is an exercise: exercises can't be edited.")
        assert "not one of them" not in answer
    answer = text(await ask(runtime, said(f"edit {exercise.id}", actor="bob")))
    assert answer == f"You can edit your own stories and shout-outs; #{exercise.id} is not one of them."


async def test_a_story_on_an_agenda_made_anonymous_is_presented_by_the_organizer_and_both_are_told(
    runtime: Runtime,
) -> None:
    await ask(runtime, said("help"))  # alice: admin, she will organise
    await ask(runtime, said(STORY, actor="bob"))
    story = await one(runtime, Moment, Moment.kind == "story")
    await ask(runtime, said("request"))
    item = await one(runtime, AgendaItem)
    bob = await one(runtime, Member, Member.external_id == "bob")
    alice = await one(runtime, Member, Member.external_id == "alice")
    assert (item.moment_id, item.presenter_id, item.organizer_id) == (story.id, bob.id, alice.id)

    values = {"situation": story.situation, "action": story.action, "lesson": story.lesson, "anonymous": True}
    replies = await ask(runtime, submitted("story", values, actor="bob", context=str(story.id)))
    assert (await one(runtime, AgendaItem)).presenter_id == alice.id
    assert dms(replies).get("alice", "").startswith("You present the Customer Moment at the meeting on")
    assert "bob" not in dms(replies)  # he made the change
    card = text(replies)
    assert "Presenter: bob" not in card and "Shared by bob" not in card

    values["anonymous"] = False  # named again: he presents it again, and alice hears she does not
    replies = await ask(runtime, submitted("story", values, actor="bob", context=str(story.id)))
    assert (await one(runtime, AgendaItem)).presenter_id == bob.id
    assert dms(replies).get("alice", "").startswith("You no longer present the Customer Moment")
