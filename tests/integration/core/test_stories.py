"""Customer stories and team exercises: one-line commands and forms, masking, and nothing saved when invalid."""

from __future__ import annotations

from adapters.runtime import Runtime
from bot.replies import Audience
from bot.storage.models import Member, Moment, Team
from tests.integration.core import ask, count, one, rows, table_counts, text
from tests.support.events import said, submitted

STORY = "story The parcel was lost twice | rang the depot | relieved | own the problem"


async def test_quick_story_goes_into_the_channels_pool(runtime: Runtime) -> None:
    replies = await ask(runtime, said(STORY))
    story = await one(runtime, Moment, Moment.kind == "story")
    assert replies[0].text == f"Thanks! Your customer story #{story.id} is in the pool for upcoming meetings."
    assert [r.audience for r in replies] == [Audience.EPHEMERAL]
    assert replies[0].card is not None and replies[0].card.title == f"Story #{story.id}, as I read it"
    team = await one(runtime, Team)
    author = await one(runtime, Member, Member.external_id == "alice")
    assert (story.team_id, story.author_id, story.state, story.anonymous) == (team.id, author.id, "approved", False)
    assert (story.situation, story.action, story.reaction, story.lesson) == (
        "The parcel was lost twice",
        "rang the depot",
        "relieved",
        "own the problem",
    )
    assert story.times_featured == 0


async def test_labelled_anonymous_story_keeps_tags_and_nps(runtime: Runtime) -> None:
    await ask(
        runtime,
        said(
            "story anon The customer was told no twice lesson: explain the policy "
            "tags: Bad news delivered well, Returns nps: DETRACTOR"
        ),
    )
    story = await one(runtime, Moment, Moment.kind == "story")
    assert story.anonymous is True
    assert story.tags == ["bad-news", "returns"]
    assert story.nps == "detractor"
    assert story.lesson == "explain the policy"


async def test_personal_data_is_masked_before_saving_and_the_author_is_told(runtime: Runtime) -> None:
    replies = await ask(
        runtime,
        said(
            "story Jane (jane.doe@example.com, +49 30 1234567) paid with 4111 1111 1111 1111 twice. "
            "did: refunded one, call me on +44 20 7946 0958 lesson: check for double charges"
        ),
    )
    assert replies[0].text.endswith(
        "I masked an e-mail address, a phone number and a payment card number before saving."
    )
    story = await one(runtime, Moment, Moment.kind == "story")
    assert story.situation == "Jane ([e-mail], [phone]) paid with [card] twice."
    assert story.action == "refunded one, call me on [phone]"
    stored = " ".join([story.situation, story.action, story.reaction, story.lesson])
    for secret in ("jane.doe", "example.com", "1234567", "4111", "7946"):
        assert secret not in stored


async def test_story_without_personal_data_says_nothing_about_masking(runtime: Runtime) -> None:
    assert "masked" not in text(await ask(runtime, said(STORY)))


async def test_story_form_is_offered_without_text_and_saved_on_submit(runtime: Runtime) -> None:
    (reply,) = await ask(runtime, said("story"))
    assert reply.form is not None
    assert reply.form.form_id == "story"
    replies = await ask(
        runtime,
        submitted(
            "story",
            {
                "situation": "  A customer wrote to anna@example.org about a late delivery  ",
                "action": "",
                "reaction": "happy",
                "lesson": "Tell people early",
                "tags": ["expectations", "Follow-up"],
                "nps": "promoter",
                "anonymous": True,
            },
        ),
    )
    assert "I masked an e-mail address before saving." in text(replies)
    story = await one(runtime, Moment, Moment.kind == "story")
    assert story.situation == "A customer wrote to [e-mail] about a late delivery"
    assert (story.tags, story.nps, story.anonymous, story.state) == (
        ["expectations", "follow-up"],
        "promoter",
        True,
        "approved",
    )


async def test_invalid_story_form_names_each_field_and_saves_nothing(runtime: Runtime) -> None:
    await ask(runtime, said("help"))
    before = await table_counts(runtime)
    (reply,) = await ask(runtime, submitted("story", {"situation": "short", "lesson": "", "nps": "fan"}))
    assert set(reply.errors) == {"situation", "lesson", "nps"}
    assert reply.errors["lesson"] == "Add the lesson: what should the team take away?"
    assert await table_counts(runtime) == before


async def test_invalid_quick_story_explains_and_saves_nothing(runtime: Runtime) -> None:
    await ask(runtime, said("help"))
    before = await table_counts(runtime)
    replies = await ask(runtime, said("story The parcel was lost twice"))
    assert text(replies) == "Add the lesson: what should the team take away?"
    replies = await ask(runtime, said("story " + "x" * 2001 + " | own it"))
    assert "2,001 characters long" in text(replies)
    replies = await ask(runtime, said("story a | b | c | d | e"))
    assert "Usage: story" in text(replies)
    assert await table_counts(runtime) == before


async def test_story_must_be_shared_in_a_channel(runtime: Runtime) -> None:
    replies = await ask(runtime, said(STORY, channel=None))
    assert text(replies) == (
        "Run this in your team's channel: each channel has its own stories, shout-outs, meetings and stats."
    )
    assert await count(runtime, Moment, Moment.kind == "story") == 0


async def test_team_exercise_is_added_to_the_channels_pool(runtime: Runtime) -> None:
    replies = await ask(
        runtime, said("exercise Late parcel | Role-play telling a customer about a delay | pair up; swap roles | 12")
    )
    exercise = await one(runtime, Moment, Moment.kind == "exercise", Moment.library_key.is_(None))
    assert text(replies) == f"Added exercise #{exercise.id} “Late parcel” to this channel's pool."
    assert (exercise.situation, exercise.steps, exercise.minutes, exercise.state) == (
        "Role-play telling a customer about a delay",
        ["pair up", "swap roles"],
        12,
        "approved",
    )


async def test_exercise_form_and_its_field_errors(runtime: Runtime) -> None:
    (reply,) = await ask(runtime, said("exercise"))
    assert reply.form is not None and reply.form.form_id == "exercise"
    before = await table_counts(runtime)
    (reply,) = await ask(runtime, submitted("exercise", {"title": "x", "prompt": "short", "minutes": "45"}))
    assert set(reply.errors) == {"title", "prompt", "minutes"}
    assert await table_counts(runtime) == before
    await ask(
        runtime,
        submitted(
            "exercise",
            {
                "title": "Listening",
                "prompt": "Retell the customer's words",
                "steps": "pair up\n\nretell",
                "minutes": "",
            },
        ),
    )
    exercise = await one(runtime, Moment, Moment.kind == "exercise", Moment.library_key.is_(None))
    assert (exercise.title, exercise.steps, exercise.minutes) == ("Listening", ["pair up", "retell"], 10)


async def test_the_same_story_told_twice_is_noticed_and_still_saved(runtime: Runtime) -> None:
    story = (
        "story The parcel was lost twice and the customer had to chase us for a week before anyone called"
        " back. lesson: call the customer before they have to chase us"
    )
    first = await ask(runtime, said(story))
    assert "looks like" not in first[0].text
    again = await ask(runtime, said(story.replace("a week", "ten days")))
    stories = await rows(runtime, Moment, Moment.kind == "story", order_by=Moment.id)
    assert len(stories) == 2
    told = f"It looks like your story #{stories[0].id}; if it is the same one, `withdraw {stories[1].id}`"
    assert told in again[0].text
    await ask(runtime, said("help", actor="bob"))
    by_bob = await ask(runtime, said(story, actor="bob"))  # someone else's telling is their own story
    assert "looks like" not in by_bob[0].text
    other = await ask(runtime, said("story A customer asked for a refund in cash at the desk. lesson: know the policy"))
    assert "looks like" not in other[0].text
