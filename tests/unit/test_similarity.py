"""Noticing the same story told twice."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.similarity import resemblance, same_story, shingles

STORY = "The parcel was lost twice and the customer had to chase us for a week before anyone called back."


def test_the_same_story_with_small_changes_is_the_same_story() -> None:
    assert same_story(STORY, STORY)
    assert same_story(STORY, STORY.upper().replace(".", "!"))
    assert same_story(STORY, STORY.replace("a week", "ten days"))


def test_different_stories_about_the_same_topic_are_different() -> None:
    other = "A parcel went missing, so I rang the depot myself and the customer had it by the evening."
    assert not same_story(STORY, other)
    assert not same_story(STORY, "")


@given(st.text(max_size=300), st.text(max_size=300))
def test_resemblance_is_symmetric_and_between_zero_and_one(a: str, b: str) -> None:
    score = resemblance(shingles(a), shingles(b))
    assert 0.0 <= score <= 1.0
    assert score == resemblance(shingles(b), shingles(a))


@given(st.text(min_size=1, max_size=300).filter(lambda t: any(c.isalnum() for c in t)))
def test_every_text_with_words_is_the_same_story_as_itself(text: str) -> None:
    assert same_story(text, text)
