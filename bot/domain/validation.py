"""Validation and clean-up of what people type: limits, trimming, required fields, friendly messages.

Each ``clean_*`` function returns cleaned values or raises :class:`Invalid` carrying one message per
field, so a surface can show them next to the fields (or as one list in a chat).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain import tags as tag_vocabulary

MAX_TEXT = 2000
MAX_TITLE = 150
MIN_SITUATION = 10
MIN_LESSON = 5
MIN_REASON = 20
MAX_REASON = 1000
MAX_RECIPIENTS = 10
MAX_STEPS = 6
NPS_CATEGORIES = ("promoter", "passive", "detractor")

_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_ASCII_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")  # the control characters of ASCII, but "\n"


class Invalid(ValueError):
    """Input that breaks a rule; ``problems`` maps a field name to a friendly sentence."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def scrub(text: str) -> str:
    """Remove what no database or chat platform accepts: NUL characters and lone UTF-16 surrogates."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)
    return text


def tidy(text: str | None) -> str:
    """Trim, drop control characters, fold runs of spaces; keeps single line breaks."""
    if not text:
        return ""
    text = scrub(str(text)).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    if text.isascii():  # most text: one pass of a regular expression instead of a look-up per character
        kept = _ASCII_CONTROLS.sub("", text)
    else:
        kept = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch)[0] != "C")
    lines = [_SPACES.sub(" ", line).strip() for line in kept.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _length(problems: dict[str, str], name: str, label: str, value: str, limit: int) -> None:
    if len(value) > limit:
        problems[name] = f"{label} is {len(value):,} characters long; please keep it under {limit:,}."


@dataclass(frozen=True, slots=True)
class StoryFields:
    situation: str
    action: str
    reaction: str
    lesson: str
    tags: tuple[str, ...]
    nps: str | None
    anonymous: bool


def clean_story(
    *,
    situation: str | None,
    action: str | None = None,
    reaction: str | None = None,
    lesson: str | None,
    tags: Iterable[str] = (),
    nps: str | None = None,
    anonymous: bool = False,
) -> StoryFields:
    problems: dict[str, str] = {}
    values = {
        name: tidy(v)
        for name, v in (("situation", situation), ("action", action), ("reaction", reaction), ("lesson", lesson))
    }
    labels = {
        "situation": "What happened",
        "action": "What you did",
        "reaction": "How the customer reacted",
        "lesson": "The lesson",
    }
    if len(values["situation"]) < MIN_SITUATION:
        problems["situation"] = "Tell us what happened (at least a sentence)."
    if not values["lesson"]:
        problems["lesson"] = "Add the lesson: what should the team take away?"
    elif len(values["lesson"]) < MIN_LESSON:
        problems["lesson"] = (
            f"The lesson is too short: say in a few words what the team should take away (at least {MIN_LESSON} "
            "characters)."
        )
    for name, value in values.items():
        _length(problems, name, labels[name], value, MAX_TEXT)
    cleaned_tags = clean_tags(tags, problems)
    category = tidy(nps).lower() or None
    if category is not None and category not in NPS_CATEGORIES:
        problems["nps"] = "The NPS category is one of: promoter, passive, detractor."
    if problems:
        raise Invalid(problems)
    return StoryFields(anonymous=bool(anonymous), tags=cleaned_tags, nps=category, **values)


def clean_tags(raw: Iterable[str], problems: dict[str, str]) -> tuple[str, ...]:
    result: list[str] = []
    free = 0
    for item in raw:
        slug = tag_vocabulary.resolve(tidy(item))
        if not slug or slug in result:
            continue
        if slug not in tag_vocabulary.VOCABULARY:
            free += 1
        result.append(slug)
    if free > tag_vocabulary.MAX_FREE_TAGS:
        problems["tags"] = f"Use at most {tag_vocabulary.MAX_FREE_TAGS} tags of your own."
    return tuple(result)


def clean_reason(reason: str | None) -> str:
    text = tidy(reason)
    if len(text) < MIN_REASON:
        raise Invalid(
            {
                "reason": (
                    f"Say what they did, specifically (at least {MIN_REASON} characters) — "
                    "e.g. 'stayed on the call until the refund went through'."
                )
            }
        )
    if len(text) > MAX_REASON:
        raise Invalid({"reason": f"The reason is {len(text):,} characters; please keep it under {MAX_REASON:,}."})
    return text


@dataclass(frozen=True, slots=True)
class ExerciseFields:
    title: str
    prompt: str
    steps: tuple[str, ...]
    minutes: int


def clean_exercise(
    *, title: str | None, prompt: str | None, steps: Iterable[str], minutes: int | str | None
) -> ExerciseFields:
    problems: dict[str, str] = {}
    title_text, prompt_text = tidy(title), tidy(prompt)
    if len(title_text) < 3:
        problems["title"] = "Give the exercise a short title."
    _length(problems, "title", "The title", title_text, MAX_TITLE)
    if len(prompt_text) < MIN_SITUATION:
        problems["prompt"] = "Describe what the team will discuss or play (at least a sentence)."
    _length(problems, "prompt", "The prompt", prompt_text, MAX_TEXT)
    cleaned_steps = tuple(s for s in (tidy(step) for step in steps) if s)
    if len(cleaned_steps) > MAX_STEPS:
        problems["steps"] = f"Keep it to {MAX_STEPS} steps at most."
    if any(len(step) > 500 for step in cleaned_steps):
        problems["steps"] = "Keep each step under 500 characters."
    try:
        length = int(minutes) if minutes not in (None, "") else 10  # type: ignore[arg-type]
    except (TypeError, ValueError):
        length = -1
    if not 1 <= length <= 30:
        problems["minutes"] = "Minutes is a whole number from 1 to 30."
    if problems:
        raise Invalid(problems)
    return ExerciseFields(title=title_text, prompt=prompt_text, steps=cleaned_steps, minutes=length)
