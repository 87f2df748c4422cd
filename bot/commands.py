"""The command grammar shared by every surface (`/moment …` in Slack, `moment …` in Teams, the console).

Parsing is pure: text in, a :class:`Command` out, or :class:`UsageError` with the usage line to show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_COMMAND_TEXT = 4000

USAGE: dict[str, tuple[str, str]] = {
    "help": ("help [command]", "Show what I can do."),
    "story": (
        "story [anon] <what happened> lesson: <the lesson> [did: …] [reaction: …] [tags: a, b] [nps: …]",
        "Share a customer story (no text: open the form).",
    ),
    "shoutout": (
        "shoutout [private] @name [@name …] <what they did, specifically>",
        "Recognise colleagues for specific service behaviour.",
    ),
    "exercise": ("exercise <title> | <prompt> | <step>; <step> [| <minutes>]", "Add an exercise of your team's own."),
    "schedule": (
        "schedule weekly tue 10:00 Europe/Berlin lead 30m | schedule from <feed URL> [match <title>] [lead 30m]",
        "Put this channel's recurring meeting on the bot, typed or following a calendar (no text: open the form).",
    ),
    "meetings": ("meetings", "List this channel's meetings."),
    "pause": ("pause <meeting #>", "Pause a meeting series."),
    "resume": ("resume <meeting #>", "Resume a paused meeting series."),
    "unschedule": ("unschedule <meeting #>", "Delete a meeting series."),
    "remind": ("remind <meeting #> <1h|1d|off>", "DM the organizer this long before the moment is posted."),
    "skipdate": ("skipdate <meeting #> <YYYY-MM-DD>", "Skip one date of a series (holiday, day off)."),
    "request": ("request [in <minutes>m]", "Get a moment for a one-off meeting now."),
    "swap": ("swap [agenda #]", "Draw another moment for the next meeting."),
    "skip": ("skip [agenda #]", "No moment at this meeting; the item goes back to the pool."),
    "done": ("done [agenda #]", "Mark the moment presented."),
    "helpful": ("helpful [agenda #]", "Say the moment was helpful."),
    "queue": ("queue", "See the upcoming agenda and the waiting pool."),
    "review": ("review [on|off]", "Managers: see items waiting for review, or switch review on/off."),
    "approve": ("approve <#>", "Managers: approve a waiting item."),
    "reject": ("reject <#> <reason>", "Managers: send an item back to its author with a reason."),
    "stats": ("stats [days]", "Participation for this channel (default: last 90 days)."),
    "export": ("export [csv|json]", "Managers: export this channel's data."),
    "mine": ("mine", "Your stories and shout-outs and where they stand."),
    "withdraw": ("withdraw <#>", "Withdraw one of your own items."),
    "hide": ("hide <#>", "Hide a shout-out about you."),
    "optout": ("optout", "Never feature items about you in meetings."),
    "optin": ("optin", "Allow items about you to be featured again."),
    "managers": ("managers [add|remove @name]", "Admins: list or change managers."),
    "timezone": ("timezone <Area/City>", "Set this channel's time zone."),
}

ALIASES = {
    "shout-out": "shoutout",
    "kudos": "shoutout",
    "presented": "done",
    "approve": "approve",
    "unpause": "resume",
    "delete": "unschedule",
    "cancel": "unschedule",
    "tz": "timezone",
    "my": "mine",
    "?": "help",
    "opt-out": "optout",
    "opt-in": "optin",
    "next": "queue",
}

_MENTION = re.compile(r"^@\S{1,80}$")
_NUMBER = re.compile(r"^#?(\d{1,9})$")
_LABEL = re.compile(r"\b(did|action|reaction|lesson|tags|nps)\s*:", re.IGNORECASE)


class UsageError(ValueError):
    """Malformed command; the message is friendly and includes the usage line."""

    def __init__(self, command: str | None, problem: str = "") -> None:
        self.command = command
        usage = USAGE[command][0] if command in USAGE else None
        text = problem or "I didn't understand that."
        if usage:
            text += f"\nUsage: {usage}"
        else:
            text += " Try `help` to see what I can do."
        super().__init__(text)


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


def _split_first(text: str) -> tuple[str, str]:
    """The first word and the rest, split at any white space (spaces, tabs, line breaks)."""
    parts = text.strip().split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


def parse(text: str) -> Command:
    """Split a command line into its name and the rest. An empty line is ``help``."""
    line = (text or "").strip()
    if len(line) > MAX_COMMAND_TEXT:
        raise UsageError(None, f"That is too long for one command (over {MAX_COMMAND_TEXT:,} characters).")
    if not line:
        return Command("help")
    head, rest = _split_first(line)
    word = head.lower().lstrip("/")
    if word == "moment" and rest.strip():  # "moment story …" typed into a surface that did not strip it
        return parse(rest)
    name = ALIASES.get(word, word)
    if name not in USAGE:
        raise UsageError(None, f"I don't know the command '{head[:40]}'.")
    rest = rest.strip()
    return Command(name, rest, tuple(rest.split()))


def number(command: Command, *, required: bool = True) -> int | None:
    """The single ``#N`` argument of commands like ``approve 12``."""
    if not command.words:
        if required:
            raise UsageError(command.name, "Which one? Give its number.")
        return None
    match = _NUMBER.match(command.words[0])
    if not match or (len(command.words) > 1 and command.name not in {"reject", "skipdate", "remind"}):
        raise UsageError(command.name, f"'{command.rest[:40]}' is not a number.")
    return int(match.group(1))


def number_and_text(command: Command) -> tuple[int, str]:
    value = number(command)
    assert value is not None
    return value, _split_first(command.rest)[1]


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


def quick_story(command: Command) -> StoryArgs:
    """``story <text>``: labelled parts (``lesson:`` …) or up to four parts separated by ``|``."""
    text = command.rest
    anonymous = False
    first, _, remainder = text.partition(" ")
    if first.lower() in {"anon", "anonymous"}:
        anonymous, text = True, remainder.strip()
    if _LABEL.search(text):
        pieces = _LABEL.split(text)
        parts: dict[str, str] = {"situation": pieces[0].strip(" |")}
        for label, value in zip(pieces[1::2], pieces[2::2], strict=False):
            name = {"did": "action"}.get(label.lower(), label.lower())
            parts[name] = (parts.get(name, "") + " " + value.strip(" |")).strip()
        tags = tuple(t.strip() for t in parts.get("tags", "").split(",") if t.strip())
        return StoryArgs(
            situation=parts["situation"],
            action=parts.get("action", ""),
            reaction=parts.get("reaction", ""),
            lesson=parts.get("lesson", ""),
            tags=tags,
            nps=parts.get("nps") or None,
            anonymous=anonymous,
        )
    pieces = [p.strip() for p in text.split("|")]
    layouts = {
        1: ("situation",),
        2: ("situation", "lesson"),
        3: ("situation", "action", "lesson"),
        4: ("situation", "action", "reaction", "lesson"),
    }
    if len(pieces) not in layouts:
        raise UsageError("story", "Use at most four parts: what happened | what you did | reaction | lesson.")
    named = dict(zip(layouts[len(pieces)], pieces, strict=True))
    return StoryArgs(
        situation=named["situation"],
        action=named.get("action", ""),
        reaction=named.get("reaction", ""),
        lesson=named.get("lesson", ""),
        anonymous=anonymous,
    )


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


def request_offset_minutes(command: Command) -> int:
    """``request`` → 0; ``request in 15m`` / ``request in 15`` → 15 (0..1440)."""
    if not command.words:
        return 0
    match = re.fullmatch(r"in\s+(\d{1,4})\s*(m|min|mins|minutes)?", command.rest, re.IGNORECASE)
    if not match or int(match.group(1)) > 1440:
        raise UsageError("request", "Say when the meeting starts, e.g. `request in 15m` (up to 24 hours).")
    return int(match.group(1))


@dataclass(frozen=True, slots=True)
class FollowArgs:
    url: str
    match: str | None
    lead: str | None


_FOLLOW = re.compile(
    r"^from\s+(?P<url>\S+)(?:\s+match\s+(?P<match>.+?))?(?:\s+lead\s+(?P<lead>\S+))?\s*$", re.IGNORECASE | re.DOTALL
)


def is_follow(rest: str) -> bool:
    """``schedule from …``: the series follows a calendar feed rather than a typed rule."""
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


def help_text(topic: str | None = None) -> str:
    if topic:
        name = ALIASES.get(topic.lower(), topic.lower())
        if name in USAGE:
            usage, what = USAGE[name]
            return f"{usage}\n{what}"
    lines = ["Customer Moment — a customer story, exercise or shout-out in every meeting.", ""]
    lines += [f"{usage}  —  {what}" for usage, what in USAGE.values()]
    return "\n".join(lines)
