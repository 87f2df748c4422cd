"""The built-in exercise library: shape, limits, themes, lookup and originality."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.content.exercises import LIBRARY, by_key
from bot.domain.exercises import Exercise
from bot.domain.tags import VOCABULARY, slugify

SEEDS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"
STYLES = {"discussion", "role play"}
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_WORD = re.compile(r"[a-z0-9]+")


def _sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text.strip()) if part.strip()]


def _normalize(text: str) -> str:
    """Lower-case words only, so punctuation, quotes and spacing do not hide a copy."""
    return " ".join(_WORD.findall(text.lower().replace("’", "'").replace("'", "")))


def _library_texts() -> Iterator[str]:
    for exercise in LIBRARY:
        yield exercise.title
        yield exercise.prompt
        yield from exercise.steps


def test_library_has_at_least_32_exercises() -> None:
    assert len(LIBRARY) >= 32
    assert all(isinstance(exercise, Exercise) for exercise in LIBRARY)


def test_keys_are_unique_stable_slugs() -> None:
    keys = [exercise.key for exercise in LIBRARY]
    assert len(keys) == len(set(keys))
    for key in keys:
        assert 0 < len(key) <= 40, key
        assert key == slugify(key), key
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", key), key


def test_titles_are_short_and_unique() -> None:
    titles = [exercise.title for exercise in LIBRARY]
    assert len(titles) == len(set(titles))
    for title in titles:
        assert 0 < len(title) <= 60, title
        assert title == title.strip()


@pytest.mark.parametrize("exercise", LIBRARY, ids=lambda exercise: exercise.key)
def test_prompt_is_one_to_three_sentences(exercise: Exercise) -> None:
    assert exercise.prompt == exercise.prompt.strip()
    assert exercise.prompt[-1] in ".?!"
    assert 1 <= len(_sentences(exercise.prompt)) <= 3, exercise.prompt


@pytest.mark.parametrize("exercise", LIBRARY, ids=lambda exercise: exercise.key)
def test_steps_are_two_to_four_single_sentences(exercise: Exercise) -> None:
    assert isinstance(exercise.steps, tuple)
    assert 2 <= len(exercise.steps) <= 4
    for step in exercise.steps:
        assert step == step.strip() and step
        assert step[0].isupper(), step
        assert step.endswith("."), step
        assert len(_sentences(step)) == 1, step


@pytest.mark.parametrize("exercise", LIBRARY, ids=lambda exercise: exercise.key)
def test_minutes_fit_the_ten_minute_slot(exercise: Exercise) -> None:
    assert isinstance(exercise.minutes, int)
    assert 5 <= exercise.minutes <= 10


def test_every_theme_is_in_the_vocabulary() -> None:
    for exercise in LIBRARY:
        assert exercise.theme in VOCABULARY, (exercise.key, exercise.theme)


def test_themes_are_spread() -> None:
    themes = {exercise.theme for exercise in LIBRARY}
    assert len(themes) >= 8
    # The seeds' central themes are all represented.
    for theme in (
        "coaching",
        "bad-news",
        "prevention",
        "internal-customer",
        "nps-turnaround",
        "policy",
        "listening",
        "ownership",
        "follow-up",
        "expectations",
        "escalation",
    ):
        assert theme in themes, theme


def test_every_vocabulary_theme_has_an_exercise() -> None:
    assert set(VOCABULARY) <= {exercise.theme for exercise in LIBRARY}


def test_styles_are_known_with_enough_role_plays() -> None:
    assert all(exercise.style in STYLES for exercise in LIBRARY)
    assert sum(exercise.style == "role play" for exercise in LIBRARY) >= 8
    assert sum(exercise.style == "discussion" for exercise in LIBRARY) >= 8


def test_no_text_is_duplicated_inside_the_library() -> None:
    prompts = [exercise.prompt for exercise in LIBRARY]
    assert len(prompts) == len(set(prompts))
    steps = [step for exercise in LIBRARY for step in exercise.steps]
    assert len(steps) == len(set(steps))


def test_by_key_finds_every_exercise() -> None:
    for exercise in LIBRARY:
        assert by_key(exercise.key) is exercise


def test_by_key_returns_none_for_unknown_keys() -> None:
    assert by_key("no-such-exercise") is None
    assert by_key("") is None
    assert by_key(LIBRARY[0].key.upper()) is None


def test_library_is_immutable_data() -> None:
    assert isinstance(LIBRARY, tuple)
    with pytest.raises(AttributeError):
        LIBRARY[0].title = "changed"  # type: ignore[misc]


def test_no_sentence_is_copied_from_the_seeds() -> None:
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"seed articles not present at {SEEDS_DIR}")
    seed_text = "\n".join(path.read_text(encoding="utf-8") for path in sorted(SEEDS_DIR.iterdir()) if path.is_file())
    seed_sentences = {
        normalized
        for line in seed_text.splitlines()
        for sentence in _sentences(line)
        if len((normalized := _normalize(sentence)).split()) >= 8
    }
    seed_blob = f" {_normalize(seed_text)} "
    assert seed_sentences, "no seed sentences were read"
    library_blob = f" {' | '.join(_normalize(text) for text in _library_texts())} "
    for text in _library_texts():
        for sentence in _sentences(text):
            normalized = _normalize(sentence)
            if len(normalized.split()) >= 8:
                assert f" {normalized} " not in seed_blob, sentence
    for sentence in seed_sentences:
        assert f" {sentence} " not in library_blob, sentence
