"""Personal data is masked in everything people type that is stored and shown, and the author is told.

Stories (all fields and tags), shout-out reasons, exercises and a reviewer's reasons for sending
something back; phone numbers are read in the team's own country; naming someone is warned about,
never refused.
"""

from __future__ import annotations

from adapters.runtime import Runtime
from bot.domain.privacy import NAMED_SOMEONE
from bot.storage.models import Moment
from tests.integration.core import ask, dms, one, text
from tests.support.events import said, submitted

STORY = "story The parcel was lost twice | rang the depot | relieved | own the problem"


def stored(moment: Moment) -> str:
    return " ".join([moment.title, moment.situation, moment.action, moment.reaction, moment.lesson, *moment.tags])


async def test_a_story_with_bank_and_id_numbers_is_masked_by_kind(runtime: Runtime) -> None:
    replies = await ask(
        runtime,
        said(
            "story Refund to DE89 3704 0044 0532 0130 00 for SSN 536-90-4399. "
            "did: wrote to jane dot doe at example dot com lesson: keep ids out of chat"
        ),
    )
    story = await one(runtime, Moment, Moment.kind == "story")
    assert story.situation == "Refund to [IBAN] for SSN [national id]."
    assert story.action == "wrote to [e-mail]"
    assert replies[0].text.endswith("I masked an e-mail address, an IBAN and a national id number before saving.")
    for secret in ("DE89", "3704", "536-90", "4399", "jane", "example"):
        assert secret not in stored(story)
        assert secret not in text(replies)  # nor in the story as read back


async def test_tags_are_masked_as_typed(runtime: Runtime) -> None:
    replies = await ask(
        runtime,
        said("story The parcel was lost lesson: own it tags: jane@example.com, escalation, 4111.1111.1111.1111"),
    )
    story = await one(runtime, Moment, Moment.kind == "story")
    assert story.tags == ["e-mail", "escalation", "card"]
    assert "I masked an e-mail address and a payment card number before saving." in text(replies)


async def test_phone_numbers_are_read_in_the_teams_country(runtime: Runtime) -> None:
    await ask(runtime, said("story The customer asked us to ring 912 345 678 back | rang | glad | call back"))
    story = await one(runtime, Moment, Moment.kind == "story")
    assert "912 345 678" in story.situation  # not a number in the default regions

    await ask(runtime, said("timezone Europe/Madrid"))
    await ask(runtime, said("story The customer asked us to ring 912 345 678 back | rang | glad | call back"))
    madrid = await one(runtime, Moment, Moment.kind == "story", Moment.id != story.id)
    assert madrid.situation == "The customer asked us to ring [phone] back"


async def test_naming_a_customer_is_warned_about_but_goes_through(runtime: Runtime) -> None:
    replies = await ask(runtime, said("story Mrs Jones lost her parcel twice | rang the depot | relieved | own it"))
    story = await one(runtime, Moment, Moment.kind == "story")
    assert story.situation == "Mrs Jones lost her parcel twice"
    assert story.state == "approved"
    assert replies[0].text == (
        f"Thanks! Your customer story #{story.id} is in the pool for upcoming meetings. {NAMED_SOMEONE}"
    )


async def test_a_story_without_titles_gets_no_warning(runtime: Runtime) -> None:
    assert "Heads-up" not in text(await ask(runtime, said(STORY)))


async def test_a_shout_out_reason_is_masked_and_warned_about(runtime: Runtime) -> None:
    await ask(runtime, said("help", actor="bob"))
    replies = await ask(runtime, said("shoutout @bob called Herr Müller back on 030/1234567 within the hour"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    assert shoutout.situation == "called Herr Müller back on [phone] within the hour"
    assert "I masked a phone number before saving." in text(replies)
    assert NAMED_SOMEONE in text(replies)
    assert "1234567" not in text(replies)


async def test_exercise_text_is_masked_and_the_author_told(runtime: Runtime) -> None:
    replies = await ask(
        runtime,
        said("exercise Role play | Call the customer on +44 20 7946 0958 and explain the delay | pair up | 5"),
    )
    exercise = await one(runtime, Moment, Moment.kind == "exercise", Moment.library_key.is_(None))
    assert "[phone]" in exercise.situation
    assert "7946" not in stored(exercise)
    assert text(replies).endswith("I masked a phone number before saving.")


async def test_a_reviewers_reason_is_masked_before_the_author_reads_it(runtime: Runtime) -> None:
    await ask(runtime, said("review on"))
    await ask(runtime, said(STORY, actor="bob"))
    story = await one(runtime, Moment, Moment.kind == "story")
    replies = await ask(runtime, said(f"reject {story.id} Leave out her card 4111 1111 1111 1111 and a.b(at)c.de"))
    rejected = await one(runtime, Moment, Moment.id == story.id)
    assert rejected.decision_note == "Leave out her card [card] and [e-mail]"
    assert dms(replies)["bob"].endswith(": Leave out her card [card] and [e-mail]")
    assert "I masked an e-mail address and a payment card number before saving." in text(replies)


async def test_an_edit_is_masked_like_a_new_story(runtime: Runtime) -> None:
    await ask(runtime, said(STORY))
    story = await one(runtime, Moment, Moment.kind == "story")
    values = {
        "situation": "Mr Brown asked for the refund to GB82 WEST 1234 5698 7654 32",
        "lesson": "own the problem",
        "tags": ["brown@example.com"],
    }
    (saved,) = await ask(runtime, submitted("story", values, context=str(story.id)))
    edited = await one(runtime, Moment, Moment.id == story.id)
    assert edited.situation == "Mr Brown asked for the refund to [IBAN]"
    assert edited.tags == ["e-mail"]
    assert text([saved]).startswith(
        f"Saved your changes to customer story #{story.id}. "
        f"I masked an e-mail address and an IBAN before saving. {NAMED_SOMEONE}"
    )


async def test_an_edited_shout_out_reason_is_masked(runtime: Runtime) -> None:
    await ask(runtime, said("help", actor="bob"))
    await ask(runtime, said("shoutout @bob stayed on the call until the refund went through"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    values = {"reason": "stayed on the call with +44 20 7946 0958 until the refund went through"}
    replies = await ask(runtime, submitted("shoutout", values, context=str(shoutout.id)))
    edited = await one(runtime, Moment, Moment.id == shoutout.id)
    assert edited.situation == "stayed on the call with [phone] until the refund went through"
    assert "I masked a phone number before saving." in text(replies)
