"""Validation of what people type: trimming, limits, required fields, tags, NPS, reasons, exercises."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.domain import tags
from bot.domain.validation import (
    MAX_REASON,
    MAX_STEPS,
    MAX_TEXT,
    MAX_TITLE,
    MIN_REASON,
    Invalid,
    StoryFields,
    clean_exercise,
    clean_reason,
    clean_story,
    clean_tags,
    scrub,
    tidy,
)

SITUATION = "The customer's parcel was lost twice."
LESSON = "Own the problem."


def problems_of(**kwargs: object) -> dict[str, str]:
    story = {"situation": SITUATION, "lesson": LESSON, **kwargs}
    with pytest.raises(Invalid) as raised:
        clean_story(**story)  # type: ignore[arg-type]
    return raised.value.problems


# --- tidy -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (None, ""),
        ("", ""),
        ("  hello  ", "hello"),
        ("a    b", "a b"),
        ("a\u00a0\u00a0b", "a b"),
        ("line one  \n  line two", "line one\nline two"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("a\n\n\n\n\nb", "a\n\nb"),
        ("bell\x07 and\x00 null", "bell and null"),
        ("zero\u200bwidth", "zerowidth"),
        ("\n\n  padded \n\n", "padded"),
    ],
)
def test_tidy_trims_folds_spaces_and_drops_control_characters(raw: str | None, clean: str) -> None:
    assert tidy(raw) == clean


def test_tidy_turns_a_tab_between_words_into_a_space() -> None:
    assert tidy("called\tback") == "called back"


@settings(max_examples=500)
@given(st.text(alphabet=st.characters(max_codepoint=127)) | st.text())
def test_tidy_drops_exactly_the_control_characters(text: str) -> None:
    normalized = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    kept = "".join(ch for ch in normalized if ch == "\n" or unicodedata.category(ch)[0] != "C")
    expected = re.sub(
        r"\n{3,}", "\n\n", "\n".join(re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in kept.split("\n"))
    )
    assert tidy(text) == scrub(expected).strip()


@settings(max_examples=500, deadline=None)
@given(st.text())
@example("a \t\r\n\n\n b\u00a0\u200b")
def test_tidy_is_idempotent_and_never_longer(text: str) -> None:
    once = tidy(text)
    assert tidy(once) == once
    assert len(once) <= len(text)


# --- stories --------------------------------------------------------------------------------------


def test_clean_story_tidies_every_field() -> None:
    fields = clean_story(
        situation=f"  {SITUATION}  ",
        action=" called\x00 back ",
        reaction="  relieved ",
        lesson=f" {LESSON}\n\n\n",
        tags=["listening"],
        nps=" Promoter ",
        anonymous=1,  # type: ignore[arg-type]
    )
    assert fields == StoryFields(
        situation=SITUATION,
        action="called back",
        reaction="relieved",
        lesson=LESSON,
        tags=("listening",),
        nps="promoter",
        anonymous=True,
    )


@pytest.mark.parametrize("situation", [None, "", "   ", "too short"])
def test_story_needs_a_situation_of_a_sentence(situation: str | None) -> None:
    assert set(problems_of(situation=situation)) == {"situation"}


@pytest.mark.parametrize("lesson", [None, "", "abcd", " a\x00b\x01c "])
def test_story_needs_a_lesson(lesson: str | None) -> None:
    assert set(problems_of(lesson=lesson)) == {"lesson"}


def test_missing_fields_are_all_reported_at_once() -> None:
    assert set(problems_of(situation="", lesson="", nps="fan")) == {"situation", "lesson", "nps"}


@pytest.mark.parametrize("name", ["situation", "action", "reaction", "lesson"])
def test_each_story_field_is_limited_in_length(name: str) -> None:
    clean_story(**{"situation": SITUATION, "lesson": LESSON, name: "x" * MAX_TEXT})  # type: ignore[arg-type]
    problems = problems_of(**{name: "x" * (MAX_TEXT + 1)})
    assert problems == {name: problems[name]}
    assert "2,001 characters" in problems[name]
    assert "2,000" in problems[name]


def test_length_is_measured_after_tidying() -> None:
    fields = clean_story(situation=SITUATION, lesson=LESSON, action="  " + "x" * MAX_TEXT + "   \x00\x00")
    assert len(fields.action) == MAX_TEXT


@pytest.mark.parametrize("nps", ["promoter", "PASSIVE", " detractor "])
def test_nps_category_is_one_of_three(nps: str) -> None:
    assert clean_story(situation=SITUATION, lesson=LESSON, nps=nps).nps == nps.strip().lower()


@pytest.mark.parametrize("nps", [None, "", "   "])
def test_nps_may_be_left_out(nps: str | None) -> None:
    assert clean_story(situation=SITUATION, lesson=LESSON, nps=nps).nps is None


@pytest.mark.parametrize("nps", ["9", "fan", "promoters"])
def test_unknown_nps_category_is_refused(nps: str) -> None:
    assert problems_of(nps=nps) == {"nps": "The NPS category is one of: promoter, passive, detractor."}


# --- tags ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "slug"),
    [
        ("bad-news", "bad-news"),
        ("Bad news delivered well", "bad-news"),
        ("  NPS detractor to promoter ", "nps-turnaround"),
        ("First contact resolution", "first-contact-resolution"),
        ("Returns & Refunds!", "returns-refunds"),
    ],
)
def test_tags_resolve_labels_to_vocabulary_slugs_and_slugify_free_tags(typed: str, slug: str) -> None:
    assert clean_tags([typed], {}) == (slug,)


def test_duplicate_and_empty_tags_are_dropped_in_order() -> None:
    problems: dict[str, str] = {}
    assert clean_tags(["Listening", "listening", "", "!!!", "ownership", "Ownership"], problems) == (
        "listening",
        "ownership",
    )
    assert problems == {}


def test_free_tags_are_cut_to_the_maximum_tag_length() -> None:
    (slug,) = clean_tags(["x" * 100], {})
    assert slug == "x" * tags.MAX_TAG_LENGTH


def test_at_most_five_free_tags_but_any_number_of_vocabulary_tags() -> None:
    vocabulary = list(tags.VOCABULARY)
    free = [f"own tag {n}" for n in range(tags.MAX_FREE_TAGS)]
    problems: dict[str, str] = {}
    assert len(clean_tags(vocabulary + free, problems)) == len(vocabulary) + tags.MAX_FREE_TAGS
    assert problems == {}
    clean_tags([*free, "one too many"], problems)
    assert problems == {"tags": "Use at most 5 tags of your own."}
    assert "tags" in problems_of(tags=[*free, "one too many"])


# --- shout-out reasons --------------------------------------------------------------------------


def test_reason_is_tidied_and_kept_when_long_enough() -> None:
    assert clean_reason("  stayed on  the call\x00 until it was fixed ") == "stayed on the call until it was fixed"


@pytest.mark.parametrize("reason", [None, "", "x" * (MIN_REASON - 1), " " * 40, "great job!" + " " * 30])
def test_reason_shorter_than_the_minimum_asks_for_specifics(reason: str | None) -> None:
    with pytest.raises(Invalid) as raised:
        clean_reason(reason)
    assert set(raised.value.problems) == {"reason"}
    assert "specifically" in raised.value.problems["reason"]


def test_reason_length_limits_are_inclusive() -> None:
    assert clean_reason("x" * MIN_REASON) == "x" * MIN_REASON
    assert clean_reason("x" * MAX_REASON) == "x" * MAX_REASON
    with pytest.raises(Invalid, match="1,001 characters"):
        clean_reason("x" * (MAX_REASON + 1))


# --- exercises ----------------------------------------------------------------------------------

PROMPT = "Role-play telling a customer about a delay."


def exercise_problems(**kwargs: object) -> dict[str, str]:
    values = {"title": "Bad news", "prompt": PROMPT, "steps": (), "minutes": None, **kwargs}
    with pytest.raises(Invalid) as raised:
        clean_exercise(**values)  # type: ignore[arg-type]
    return raised.value.problems


def test_exercise_is_tidied_and_defaults_to_ten_minutes() -> None:
    fields = clean_exercise(title=" Bad  news ", prompt=f" {PROMPT} ", steps=["pair up", " ", " swap "], minutes="")
    assert (fields.title, fields.prompt, fields.steps, fields.minutes) == ("Bad news", PROMPT, ("pair up", "swap"), 10)


@pytest.mark.parametrize(("minutes", "expected"), [(1, 1), ("30", 30), (" 5 ", 5), (None, 10)])
def test_exercise_minutes_from_one_to_thirty(minutes: object, expected: int) -> None:
    assert clean_exercise(title="Bad news", prompt=PROMPT, steps=(), minutes=minutes).minutes == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("minutes", [0, 31, "-1", "ten", "10.5"])
def test_exercise_minutes_outside_the_range_are_refused(minutes: object) -> None:
    assert exercise_problems(minutes=minutes) == {"minutes": "Minutes is a whole number from 1 to 30."}


def test_exercise_title_prompt_and_steps_are_checked_together() -> None:
    problems = exercise_problems(title="ab", prompt="short", steps=[f"step {n}" for n in range(MAX_STEPS + 1)])
    assert set(problems) == {"title", "prompt", "steps"}


def test_exercise_limits() -> None:
    assert set(exercise_problems(title="x" * (MAX_TITLE + 1))) == {"title"}
    assert set(exercise_problems(prompt="x" * (MAX_TEXT + 1))) == {"prompt"}
    assert exercise_problems(steps=["x" * 501]) == {"steps": "Keep each step under 500 characters."}
    assert len(clean_exercise(title="x" * MAX_TITLE, prompt=PROMPT, steps=["x" * 500] * 6, minutes=30).steps) == 6


@pytest.mark.parametrize("lesson", [None, "", "   ", "\x00\x01"])
def test_a_missing_lesson_is_asked_for(lesson: str | None) -> None:
    assert problems_of(lesson=lesson)["lesson"] == "Add the lesson: what should the team take away?"


@pytest.mark.parametrize("lesson", ["a", "abcd", " call "])
def test_a_lesson_that_is_there_but_too_short_is_called_too_short(lesson: str) -> None:
    assert problems_of(lesson=lesson)["lesson"].startswith("The lesson is too short")
