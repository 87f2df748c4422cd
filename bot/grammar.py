"""The command grammar shared by every surface (`/moment …` in Slack, `moment …` in Teams, the console).

Parsing is pure: a command line in, a :class:`Command` (name and arguments) out, and readers for the
arguments of each command. Which commands exist, their usage lines and their handlers are declared once,
in the command table of :mod:`bot.commands`; a :class:`UsageError` names its command and the table adds
the usage line when the error is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_COMMAND_TEXT = 4000

_MENTION = re.compile(r"^@\S{1,80}$")
_NUMBER = re.compile(r"^#?(\d{1,9})$")
_LABEL = re.compile(r"\b(did|action|reaction|lesson|tags|nps)\s*:", re.IGNORECASE)


class UsageError(ValueError):
    """Malformed command: ``problem`` is friendly; :func:`bot.commands.explain` adds the command's usage line."""

    def __init__(self, command: str | None, problem: str = "") -> None:
        self.command = command
        self.problem = problem or "I didn't understand that."
        super().__init__(self.problem)


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    rest: str = ""  # text after the command word, whitespace-trimmed
    words: tuple[str, ...] = field(default=())


MAX_ID = 2_147_483_647  # ids are 32-bit integers in both databases
_ID = re.compile(r"[0-9]{1,10}")


def record_id(text: str) -> int | None:
    """An id handed back by a surface (button value, form context): plain ASCII digits in range, else None."""
    value = text.strip().lstrip("#")
    if not _ID.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def beyond_any_id(text: str) -> bool:
    """ASCII digits too large to be any record's id: names nothing (rather than being malformed)."""
    value = text.strip().lstrip("#").lstrip("0")
    # Compare lengths first: int() refuses strings of more than 4,300 digits.
    return value.isascii() and value.isdigit() and (len(value) > len(str(MAX_ID)) or int(value) > MAX_ID)


def split_first(text: str) -> tuple[str, str]:
    """The first word and the rest, split at any white space (spaces, tabs, line breaks)."""
    parts = text.strip().split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


def number(command: Command, *, required: bool = True, then_text: bool = False) -> int | None:
    """The ``#N`` argument of commands like ``approve 12``; ``then_text``: text may follow it (``reject 12 …``)."""
    if not command.words:
        if required:
            raise UsageError(command.name, "Which one? Give its number.")
        return None
    match = _NUMBER.match(command.words[0])
    if not match or (len(command.words) > 1 and not then_text):
        raise UsageError(command.name, f"'{command.rest[:40]}' is not a number.")
    return int(match.group(1))


def number_and_text(command: Command) -> tuple[int, str]:
    value = number(command, then_text=True)
    assert value is not None
    return value, split_first(command.rest)[1]


@dataclass(frozen=True, slots=True)
class ShoutoutArgs:
    recipients: tuple[str, ...]
    reason: str
    private: bool


def shoutout(command: Command) -> ShoutoutArgs:
    words = list(command.words)
    private = bool(words) and words[0].lower() in {"private", "privately", "dm"}
    if private:
        words.pop(0)
    recipients: list[str] = []
    while words and _MENTION.match(words[0]):
        token = words.pop(0).rstrip(",.;:")
        if token not in recipients:
            recipients.append(token)
    if not recipients:
        raise UsageError("shoutout", "Who is it for? Start with @name.")
    return ShoutoutArgs(tuple(recipients), " ".join(words), private)


@dataclass(frozen=True, slots=True)
class StoryArgs:
    situation: str
    action: str = ""
    reaction: str = ""
    lesson: str = ""
    tags: tuple[str, ...] = ()
    nps: str | None = None
    anonymous: bool = False


# Words that are labels wherever they stand outside quotes: nobody writes "tags:" or "nps:" in prose, and
# "lesson:" is the one part every story needs, written inline in the usage line.
_ANYWHERE = frozenset({"lesson", "tags", "nps"})
_QUOTES = {'"': '"', "“": "”", "„": "“", "«": "»", "‘": "’"}
_FIELD = {"did": "action", "action": "action", "reaction": "reaction", "lesson": "lesson", "tags": "tags", "nps": "nps"}


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """Where quotations are: a label-like word inside someone's quoted words is part of what they said."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        closing = _QUOTES.get(text[i])
        if closing is not None:
            end = text.find(closing, i + 1)
            if end != -1:
                spans.append((i, end))
                i = end + 1
                continue
        i += 1
    return spans


def _at_boundary(text: str, start: int) -> bool:
    """Whether a part may start here: the beginning, a line break, a "|", or after a sentence's end and a space."""
    before = text[max(0, start - 200) : start]  # a boundary is close by, or it is not one
    stripped = before.rstrip(" \t")
    if start <= 200 and not stripped:
        return True
    if not stripped:
        return False
    last = stripped[-1]
    return last in "\n|" or (last in ".!?;" and len(stripped) < len(before))


def story_labels(text: str) -> list[tuple[int, int, str]]:
    """The labels of a one-line story that are meant as labels: (start, end, field), in order.

    ``did:``/``action:``/``reaction:`` start a part only at a boundary (the beginning, a line break, ``|``
    or a sentence's end), so "the customer asked what we did: nothing" stays prose; ``lesson:``, ``tags:``
    and ``nps:`` count anywhere outside quotations.
    """
    quoted = _quoted_spans(text)
    found: list[tuple[int, int, str]] = []
    for match in _LABEL.finditer(text):
        start = match.start()
        if any(left < start < right for left, right in quoted):
            continue
        word = match.group(1).lower()
        if word in _ANYWHERE or _at_boundary(text, start):
            found.append((start, match.end(), _FIELD[word]))
    return found


def quick_story(command: Command) -> StoryArgs:
    """``story <text>``: up to four parts separated by ``|`` (what happened | what you did | reaction |
    lesson), labelled parts (``lesson:`` …), or both: a ``|`` ends any part, labelled or not, and the parts
    without a label fill, in that order, the parts no label names."""
    text = command.rest
    anonymous = False
    first, _, remainder = text.partition(" ")
    if first.lower() in {"anon", "anonymous"}:
        anonymous, text = True, remainder.strip()
    labelled: dict[str, str] = {}
    pieces: list[str] = []
    for name, value in _story_segments(text):
        if name is None:
            pieces += [value] if value else []
        else:
            labelled[name] = (labelled.get(name, "") + " " + value).strip()
    named = _positional(pieces or [""], taken=set(labelled))
    parts = {**named, **labelled}
    tags = tuple(t.strip(" .") for t in parts.get("tags", "").split(",") if t.strip(" ."))
    return StoryArgs(
        situation=parts.get("situation", ""),
        action=parts.get("action", ""),
        reaction=parts.get("reaction", ""),
        lesson=parts.get("lesson", ""),
        tags=tags,
        nps=parts.get("nps", "").strip(" .") or None,
        anonymous=anonymous,
    )


def _story_segments(text: str) -> list[tuple[str | None, str]]:
    """A one-line story cut at each ``|`` and each label (outside quotations): (the label's field or None,
    the text up to the next cut)."""
    labels = {start: (value_start, name) for start, value_start, name in story_labels(text)}
    quoted = _quoted_spans(text)
    pipes = [i for i, c in enumerate(text) if c == "|" and not any(left < i < right for left, right in quoted)]
    segments: list[tuple[str | None, str]] = []
    begin, name = 0, None
    for cut in sorted({*labels, *pipes}):
        segments.append((name, text[begin:cut].strip(" |\n")))
        begin, name = labels[cut] if cut in labels else (cut + 1, None)
    segments.append((name, text[begin:].strip(" |\n")))
    return segments


_STORY_PARTS = ("situation", "action", "reaction", "lesson")
_PART_WORDS = {"situation": "what happened", "action": "what you did", "reaction": "reaction", "lesson": "lesson"}
# Parts given by "|" alone: the lesson comes last, what was done and the reaction only when there are more.
_LAYOUTS = {
    1: ("situation",),
    2: ("situation", "lesson"),
    3: ("situation", "action", "lesson"),
    4: _STORY_PARTS,
}


def _positional(pieces: list[str], *, taken: set[str]) -> dict[str, str]:
    """The story's parts given by ``|`` (``pieces``), around those a label gave (``taken``)."""
    if pieces == [""]:
        return {}
    if not taken & set(_STORY_PARTS):
        if len(pieces) not in _LAYOUTS:
            raise UsageError("story", "Use at most four parts: what happened | what you did | reaction | lesson.")
        return dict(zip(_LAYOUTS[len(pieces)], pieces, strict=True))
    free = [part for part in _STORY_PARTS if part not in taken]
    if len(pieces) > len(free):
        raise UsageError(
            "story",
            f"Too many parts separated by |: the labels give the rest, so at most {len(free)} are left "
            f"({' | '.join(_PART_WORDS[part] for part in free)}).",
        )
    return dict(zip(free, pieces, strict=False))


@dataclass(frozen=True, slots=True)
class ExerciseArgs:
    title: str
    prompt: str
    steps: tuple[str, ...]
    minutes: str


def exercise(command: Command) -> ExerciseArgs:
    pieces = [p.strip() for p in command.rest.split("|")]
    if len(pieces) < 2 or len(pieces) > 4:
        raise UsageError("exercise", "Separate title, prompt, steps and minutes with |.")
    steps = tuple(s.strip() for s in pieces[2].split(";")) if len(pieces) > 2 else ()
    return ExerciseArgs(pieces[0], pieces[1], steps, pieces[3] if len(pieces) > 3 else "")


_IN_TIME = re.compile(
    r"in\s+(?:(\d{1,3})\s*(?:d|days?)\b)?\s*(?:(\d{1,2})\s*(?:h|hrs?|hours?))?\s*(?:(\d{1,4})\s*(?:m|mins?|minutes?)?)?",
    re.IGNORECASE | re.ASCII,
)


def request_offset_minutes(command: Command) -> int:
    """``request`` → 0; ``request in 15m`` / ``in 15`` → 15; ``in 2h`` → 120; ``in 1h 30m`` → 90 (up to 24 h)."""
    if not command.words:
        return 0
    match = _IN_TIME.fullmatch(command.rest.strip())
    if match is None or not any(match.groups()):
        raise UsageError("request", "Say when the meeting starts, e.g. `request in 15m` or `request in 2h`.")
    days, hours, minutes = (int(part or 0) for part in match.groups())
    minutes += days * 24 * 60 + hours * 60  # days are read only to say that they are too far ahead
    if minutes > 24 * 60:
        raise UsageError("request", "That is more than a day ahead; a one-off moment is for a meeting within 24 hours.")
    return minutes


@dataclass(frozen=True, slots=True)
class FollowArgs:
    url: str
    match: str | None
    lead: str | None


_FOLLOW = re.compile(
    r"^from\s+(?P<url>\S+)(?:\s+match\s+(?P<match>.+?))?(?:\s+lead\s+(?P<lead>\S+))?\s*$", re.IGNORECASE | re.DOTALL
)


_START_DATE = re.compile(r"^from\s+\d{4}-\d{2}-\d{2}\b", re.IGNORECASE)


def is_follow(rest: str) -> bool:
    """``schedule from <address>``: the series follows a calendar feed rather than a typed rule.

    ``from <date>`` is the typed rule's first meeting, so a rule that forgot its day is not read as an address.
    """
    if _START_DATE.match(rest):
        return False
    return rest[:5].lower() == "from " or rest.lower() == "from"


def follow(command: Command) -> FollowArgs:
    """``schedule from <feed URL> [match <text>] [lead <duration>]``."""
    found = _FOLLOW.match(command.rest)
    if found is None:
        raise UsageError(
            "schedule", "Give the calendar's address after `from`, e.g. `schedule from https://… match Weekly`."
        )
    url = found.group("url").strip("<>")  # chat apps wrap links in <…>
    return FollowArgs(url.split("|", 1)[0], found.group("match"), found.group("lead"))
