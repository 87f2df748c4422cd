"""The ``schedule …`` text grammar: :class:`ScheduleSpec` and :func:`parse_schedule`.

Turns what a chat user types after ``schedule`` (weekly / biweekly / every N weeks / monthly /
daily / rrule, a time, a zone, ``lead``, ``skip`` and ``from``) into a :class:`Recurrence` plus posting
options, with a friendly :class:`ScheduleError` for anything it cannot read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from .errors import ScheduleError, _quote
from .rules import _DAY_CODES, _MAX_TEXT, _RRULE_EXAMPLE, _parse_rule_body
from .series import _DAY_NAMES, Recurrence
from .zones import _canonical_zone, _zone_index, _zone_key

__all__ = ["DEFAULT_LEAD", "EXAMPLE", "MAX_LEAD", "ScheduleSpec", "parse_duration", "parse_schedule"]

DEFAULT_LEAD: Final = timedelta(minutes=30)
MAX_LEAD: Final = timedelta(days=7)

EXAMPLE: Final = "schedule weekly tue 10:00 Europe/Berlin lead 30m"
_MONTHLY_EXAMPLE: Final = "schedule monthly first mon 10:00 Europe/Berlin"

_MAX_WEEKS: Final = 12  # "every N weeks"


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """A parsed ``schedule`` command: when the meeting is, how early to post, which dates to skip."""

    recurrence: Recurrence
    lead: timedelta = DEFAULT_LEAD  # how long before the meeting the moment is posted
    skip: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not timedelta(0) <= self.lead <= MAX_LEAD:
            raise ScheduleError(f"The lead time must be between 0 and 7 days, e.g. {EXAMPLE}")


def _day_aliases() -> dict[str, int]:
    aliases = {"tues": 1, "weds": 2, "thur": 3, "thurs": 3}
    for index, name in enumerate(_DAY_NAMES):
        low = name.lower()
        for alias in (low[:2], low[:3], low, low + "s"):
            aliases[alias] = index
    return aliases


_DAYS: Final = _day_aliases()

_NTH: Final = {
    "1st": 1,
    "first": 1,
    "2nd": 2,
    "second": 2,
    "3rd": 3,
    "third": 3,
    "4th": 4,
    "fourth": 4,
    "last": -1,
}
_KEYWORDS: Final = frozenset({"lead", "skip", "from"})
_TIME_24: Final = re.compile(r"([0-9]{1,2})(?::([0-9]{2})|h([0-9]{2})?)?", re.ASCII)
_TIME_12: Final = re.compile(r"([0-9]{1,2})(?::([0-9]{2}))?(am|pm|a\.m\.|p\.m\.)", re.ASCII)
_DURATION: Final = re.compile(
    r"(?:([0-9]{1,6})(?:d|days?))?(?:([0-9]{1,6})(?:h|hrs?|hours?))?(?:([0-9]{1,6})(?:m|mins?|minutes?))?",
    re.ASCII,
)
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def _parse_time(token: str) -> time:
    text = token.lower()
    hour = minute = -1
    if match := _TIME_12.fullmatch(text):
        h12 = int(match.group(1))
        minute = int(match.group(2) or 0)
        if 1 <= h12 <= 12:
            hour = h12 % 12 + (12 if match.group(3).startswith("p") else 0)
    elif (match := _TIME_24.fullmatch(text)) and (match.group(2) or match.group(3) or "h" in text):
        hour = int(match.group(1))
        minute = int(match.group(2) or match.group(3) or 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ScheduleError(f"I couldn't read the time {_quote(token)}. Use 24-hour HH:MM, e.g. {EXAMPLE}")
    return time(hour, minute)


def _parse_days(token: str) -> list[int] | None:
    days: list[int] = []
    for item in token.lower().split(","):
        if not item:
            continue
        if item not in _DAYS:
            return None
        days.append(_DAYS[item])
    return days or None


def _duration(text: str) -> tuple[int, int, int] | None:
    text = text.lower()
    if re.fullmatch(r"0+", text, re.ASCII):
        return (0, 0, 0)
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.groups()):
        return None
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return days, hours, minutes


def parse_duration(text: str) -> timedelta:
    """A duration as written after ``lead``, without spaces: "30m", "1h", "1h30m", "90min", "2d" or "0".

    Raises :class:`ScheduleError` when ``text`` is not one. No upper bound: the lead's 7 days is
    checked where the lead is read.
    """
    parsed = _duration(text) if isinstance(text, str) else None
    if parsed is None:
        raise ScheduleError(f"I couldn't read the duration {_quote(str(text))}. Use e.g. 30m, 1h, 1h30m or 2d.")
    days, hours, minutes = parsed
    return timedelta(minutes=(days * 24 + hours) * 60 + minutes)


def _take_lead(tokens: _Tokens) -> timedelta:
    """The duration after ``lead``: the longest run of up to four tokens that reads as one."""
    example = f"Use e.g. 30m, 1h, 1h30m, 90 min or 2d, as in {EXAMPLE}"
    words = tokens.until_keyword(peek=True)
    if not words:
        raise ScheduleError(f"Say how long before the meeting to post. {example}")
    for size in range(min(4, len(words)), 0, -1):
        parsed = _duration("".join(words[:size]))
        if parsed is not None:
            tokens.pos += size
            break
    else:
        raise ScheduleError(f"I couldn't read the lead time {_quote(words[0])}. {example}")
    days, hours, minutes = parsed
    total = (days * 24 + hours) * 60 + minutes
    if total > MAX_LEAD // timedelta(minutes=1):
        raise ScheduleError(f"The lead time can be at most 7 days. {example}")
    return timedelta(minutes=total)


def _take_skip(tokens: _Tokens, today: date) -> frozenset[date]:
    """The dates after ``skip``: tokens made of digits and separators (at least one token)."""
    example = f"Use YYYY-MM-DD, e.g. {EXAMPLE} skip 2026-12-22,2026-12-29"
    words = tokens.until_keyword(peek=True)
    size = 1
    while size < len(words) and re.fullmatch(r"[0-9,./-]+", words[size], re.ASCII):
        size += 1
    tokens.pos += min(size, len(words))
    items = [t for t in ",".join(words[:size]).split(",") if t]
    if not items:
        raise ScheduleError(f"Say which dates to skip. {example}")
    dates: set[date] = set()
    for item in items:
        try:
            if not _ISO_DATE.fullmatch(item):
                raise ValueError(item)
            day = date.fromisoformat(item)
        except ValueError:
            raise ScheduleError(f"I couldn't read the date {_quote(item)}. {example}") from None
        if day >= today:  # past dates can never matter
            dates.add(day)
    return frozenset(dates)


def _take_start(tokens: _Tokens, today: date) -> date:
    """The date after ``from``: the first day the series may meet (today or later)."""
    example = f"Use YYYY-MM-DD, e.g. {EXAMPLE} from {today.isoformat()}"
    token = tokens.take()
    if token is None:
        raise ScheduleError(f"Say from which date the meetings start. {example}")
    try:
        if not _ISO_DATE.fullmatch(token):
            raise ValueError(token)
        day = date.fromisoformat(token)
    except ValueError:
        raise ScheduleError(f"I couldn't read the date {_quote(token)}. {example}") from None
    if day < today:
        raise ScheduleError(f"{day.isoformat()} has passed; a series starts today or later. {example}")
    return day


def _from_first_meeting_day(recurrence: Recurrence, today: date) -> Recurrence:
    """A series every few weeks, with no start date given, starts on its first meeting day from today on.

    Counting the weeks from today's week would skip a meeting day that is still ahead this week or
    next (``biweekly tue`` typed on a Friday would first meet in the week after next).
    """
    zone = ZoneInfo(recurrence.zone)
    for offset in range(0, 7 * _MAX_WEEKS + 1):
        day = today + timedelta(days=offset)
        candidate = replace(recurrence, anchor=day)
        start_of_day = datetime.combine(day, time(0, 0), zone)
        first = candidate.occurrences(start_of_day - timedelta(microseconds=1), count=1, skip=frozenset())
        if first and first[0].astimezone(zone).date() == day:
            return candidate
    return recurrence


class _Tokens:
    def __init__(self, tokens: list[str]) -> None:
        self.items = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def take(self) -> str | None:
        token = self.peek()
        if token is not None:
            self.pos += 1
        return token

    def skip_word(self, *words: str) -> None:
        token = self.peek()
        if token is not None and token.lower() in words:
            self.pos += 1

    def until_keyword(self, *, peek: bool = False) -> list[str]:
        """The tokens up to the next keyword (consumed unless ``peek``)."""
        end = self.pos
        while end < len(self.items) and self.items[end].lower() not in _KEYWORDS:
            end += 1
        taken = self.items[self.pos : end]
        if not peek:
            self.pos = end
        return taken


def _need_days(tokens: _Tokens, example: str) -> list[int]:
    tokens.skip_word("on")
    days: list[int] = []
    while (token := tokens.peek()) is not None and (parsed := _parse_days(token)) is not None:
        days.extend(parsed)
        tokens.take()
        tokens.skip_word("and", "&")
    if not days:
        token = tokens.peek()
        found = f" I read {_quote(token)}." if token is not None else ""
        raise ScheduleError(f"Which day of the week?{found} Use mon, tue, wed, thu, fri, sat or sun, e.g. {example}")
    return sorted(set(days))


def _need_time(tokens: _Tokens, example: str) -> time:
    tokens.skip_word("at", "@")
    token = tokens.take()
    if token is None:
        raise ScheduleError(f"Add the meeting time, e.g. {example}")
    return _parse_time(token)


def _byday(days: list[int]) -> str:
    return ",".join(_DAY_CODES[d] for d in days)


def parse_schedule(text: str, *, default_zone: str, today: date) -> ScheduleSpec:
    """Parse the text after ``schedule`` into a :class:`ScheduleSpec` (anchor = ``today``).

    Grammar (case-insensitive)::

        weekly <days> <time> [<zone>] [lead <duration>] [skip <date>[,<date>...]] [from <date>]
        biweekly <days> <time> ...         every <N> weeks <days> <time> ...   (N = 1..12)
        monthly <1st|2nd|3rd|4th|last> <day> <time> ...
        daily <time> ...                   (Monday to Friday)
        rrule <RRULE> <time> ...

    ``from <date>`` says which day the series starts (which week, for a series every few weeks).
    Raises :class:`ScheduleError` (never anything else) with a message that says what was wrong.
    """
    if not isinstance(text, str):
        raise ScheduleError(f"Tell me when the meeting is, e.g. {EXAMPLE}")
    compact = text.strip()
    if len(compact) > _MAX_TEXT:
        raise ScheduleError(f"That's too long for a schedule. Try e.g. {EXAMPLE}")
    compact = re.sub(r"\s*([,;=])\s*", r"\1", compact)
    compact = re.sub(r"(?i)([0-9])\s+(am|pm|a\.m\.|p\.m\.)(?=\s|$)", r"\1\2", compact)
    tokens = _Tokens(compact.split())
    tokens.skip_word("schedule")
    head = tokens.take()
    if head is None:
        raise ScheduleError(f"Tell me when the meeting is, e.g. {EXAMPLE}")
    kind = head.lower()

    if kind == "weekly":
        rule = f"FREQ=WEEKLY;BYDAY={_byday(_need_days(tokens, EXAMPLE))}"
    elif kind in {"biweekly", "fortnightly"}:
        example = "schedule biweekly tue 10:00 Europe/Berlin"
        rule = f"FREQ=WEEKLY;INTERVAL=2;BYDAY={_byday(_need_days(tokens, example))}"
    elif kind == "every":
        example = "schedule every 3 weeks mon 09:30 Europe/Berlin"
        number = tokens.peek()
        weeks = 1
        if number is not None and _parse_days(number) is None:
            tokens.take()
            if number.lower() == "other":
                weeks = 2
            elif number.lower() == "week":
                weeks = 0  # "every week <days>"
            elif re.fullmatch(r"[0-9]{1,2}", number, re.ASCII) and 1 <= int(number) <= _MAX_WEEKS:
                weeks = int(number)
            else:
                raise ScheduleError(f"I couldn't read {_quote(number)} as a number of weeks (1 to 12), e.g. {example}")
            unit = "week" if weeks == 0 else tokens.take()
            if unit is None or unit.lower() not in {"week", "weeks"}:
                raise ScheduleError(f"Only weeks work here, e.g. {example}")
            weeks = max(weeks, 1)
        days = _byday(_need_days(tokens, example))
        rule = f"FREQ=WEEKLY;BYDAY={days}" if weeks == 1 else f"FREQ=WEEKLY;INTERVAL={weeks};BYDAY={days}"
    elif kind == "monthly":
        tokens.skip_word("on", "the")
        tokens.skip_word("the")
        word = tokens.take()
        nth = _NTH.get(word.lower()) if word is not None else None
        if nth is None:
            found = f" I read {_quote(word)}." if word is not None else ""
            raise ScheduleError(
                f"Which week of the month?{found} Use 1st, 2nd, 3rd, 4th or last, e.g. {_MONTHLY_EXAMPLE}"
            )
        monthly_days = _need_days(tokens, _MONTHLY_EXAMPLE)
        if len(monthly_days) != 1:
            raise ScheduleError(f"A monthly meeting takes one day of the week, e.g. {_MONTHLY_EXAMPLE}")
        rule = f"FREQ=MONTHLY;BYDAY={nth:+d}{_DAY_CODES[monthly_days[0]]}"
    elif kind == "daily":
        rule = "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"
    elif kind == "rrule":
        body = tokens.take()
        if body is None:
            raise ScheduleError(f"Add the rule after 'rrule', e.g. {_RRULE_EXAMPLE}")
        rule = _parse_rule_body(body).body
    else:
        raise ScheduleError(
            f"I couldn't read {_quote(head)}. Start with weekly, biweekly, every N weeks, monthly, daily"
            f" or rrule, e.g. {EXAMPLE}"
        )

    at = _need_time(tokens, _RRULE_EXAMPLE if kind == "rrule" else EXAMPLE)

    zone_name: str | None = None
    lead: timedelta | None = None
    skip: frozenset[date] | None = None
    start: date | None = None
    while (token := tokens.take()) is not None:
        word = token.lower()
        if word == "from":
            if start is not None:
                raise ScheduleError(f"Give the start date only once, e.g. {EXAMPLE} from {today.isoformat()}")
            start = _take_start(tokens, today)
        elif word == "lead":
            if lead is not None:
                raise ScheduleError(f"Give the lead time only once, e.g. {EXAMPLE}")
            lead = _take_lead(tokens)
        elif word == "skip":
            if skip is not None:
                raise ScheduleError(
                    "Give all skip dates after one 'skip', separated by commas,"
                    f" e.g. {EXAMPLE} skip 2026-12-22,2026-12-29"
                )
            skip = _take_skip(tokens, today)
        else:
            if zone_name is not None:
                raise ScheduleError(f"I found two time zones; give one, e.g. {EXAMPLE}")
            words = tokens.until_keyword()
            if word not in {"in", "tz", "zone"}:
                words.insert(0, token)
            if not words:
                raise ScheduleError(f"Which time zone? e.g. {EXAMPLE}")
            if len(words) > 1 and _zone_index()[0].get(_zone_key(words[0])) is not None:
                raise ScheduleError(
                    f"I didn't understand {_quote(' '.join(words[1:]))}. Put 'lead' before the lead time"
                    f" and 'skip' before dates, e.g. {EXAMPLE}"
                )
            zone_name = " ".join(words)

    canonical = _canonical_zone(zone_name if zone_name is not None else default_zone)
    recurrence = Recurrence(rule=rule, at=at, zone=canonical, anchor=today if start is None else start)
    if start is None and "INTERVAL=" in rule:
        recurrence = _from_first_meeting_day(recurrence, today)
    return ScheduleSpec(
        recurrence=recurrence,
        lead=DEFAULT_LEAD if lead is None else lead,
        skip=frozenset() if skip is None else skip,
    )
