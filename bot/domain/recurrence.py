"""Meeting recurrence: parse a schedule, describe it, and find the next meeting starts.

A meeting series is an RFC 5545 RRULE body (no ``DTSTART``), a local wall-clock time, an IANA
time zone and an anchor date (the local day the rule counts from). The rule is expanded
**naive**, in wall-clock time, with ``dateutil.rrule``; the zone is attached afterwards. Two
explicit decisions about local times that are not one-to-one:

* spring-forward gap (the wall time does not exist): the meeting moves forward by the length of
  the gap, e.g. 02:30 becomes 03:30 on the night Europe/Berlin switches to CEST;
* autumn fold (the wall time happens twice): the first one (``fold=0``), e.g. 02:30 CEST.

Both are exactly what :class:`zoneinfo.ZoneInfo` does for ``fold=0``, so an occurrence is
``naive.replace(tzinfo=zone)`` converted to UTC.

Everything a chat user can type is checked here, and every problem is a :class:`ScheduleError`
whose message is a friendly sentence that can be shown to the user as it is.

Pure and synchronous: standard library, ``dateutil`` and ``zoneinfo`` only.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Final, Literal
from zoneinfo import ZoneInfo, available_timezones

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr, weekday

__all__ = [
    "DEFAULT_LEAD",
    "EXAMPLE",
    "MAX_LEAD",
    "Recurrence",
    "ScheduleError",
    "ScheduleSpec",
    "UnknownZone",
    "format_local",
    "parse_rrule",
    "parse_schedule",
    "post_time",
    "zone",
]

DEFAULT_LEAD: Final = timedelta(minutes=30)
MAX_LEAD: Final = timedelta(days=7)

EXAMPLE: Final = "schedule weekly tue 10:00 Europe/Berlin lead 30m"
_RRULE_EXAMPLE: Final = "schedule rrule FREQ=MONTHLY;BYDAY=+1TU 10:00 Europe/Berlin"
_MONTHLY_EXAMPLE: Final = "schedule monthly first mon 10:00 Europe/Berlin"

_MAX_TEXT: Final = 500  # longest schedule / rule text we look at
_MAX_ZONE_NAME: Final = 64
_MAX_INTERVAL: Final = 99
_MAX_COUNT: Final = 1000
_MAX_WEEKS: Final = 12  # "every N weeks"
_EXISTENCE_YEARS: Final = 100  # a rule with no meeting within this many years "never happens"
_SEARCH_MARGIN: Final = timedelta(days=2)  # > any UTC-offset change, so no start is missed

_DAY_NAMES: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_CODES: Final = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_MONTH_ABBR: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ORDINALS: Final = {
    1: "first",
    2: "second",
    3: "third",
    4: "fourth",
    5: "fifth",
    -1: "last",
    -2: "second-to-last",
}

_Freq = Literal[0, 1, 2, 3]
_FREQS: Final[dict[str, _Freq]] = {"YEARLY": YEARLY, "MONTHLY": MONTHLY, "WEEKLY": WEEKLY, "DAILY": DAILY}
_TOO_FINE: Final = frozenset({"HOURLY", "MINUTELY", "SECONDLY"})


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class ScheduleError(ValueError):
    """A schedule or rule the bot cannot use. ``str(error)`` is a friendly sentence for the user."""


class UnknownZone(ScheduleError):
    """A time zone name that is not in the IANA database, with up to three close names."""

    def __init__(self, name: str, suggestions: Iterable[str] = ()) -> None:
        self.name = name
        self.suggestions: tuple[str, ...] = tuple(suggestions)[:3]
        message = f"I don't know the time zone {_quote(name)}."
        if self.suggestions:
            message += f" Did you mean {_join_or(self.suggestions)}?"
        else:
            message += " Use an IANA name such as Europe/Berlin, America/New_York or Asia/Kolkata."
        super().__init__(message)

    def __reduce__(self) -> tuple[type[UnknownZone], tuple[str, tuple[str, ...]]]:
        return (type(self), (self.name, self.suggestions))


def _quote(text: str, limit: int = 40) -> str:
    """Echo a piece of user input safely inside a message: printable, short, quoted."""
    clean = "".join(c if c.isprintable() else "?" for c in text)
    if len(clean) > limit:
        clean = clean[: limit - 1] + "…"
    return f"'{clean}'"


def _join(items: Iterable[str], word: str) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _join_or(items: Iterable[str]) -> str:
    return _join(items, "or")


# --------------------------------------------------------------------------------------------
# Time zones
# --------------------------------------------------------------------------------------------

_REGIONS: Final = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)
_NOT_ZONES: Final = frozenset({"localtime", "Factory", "posixrules"})


@lru_cache(maxsize=1)
def _zone_index() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """(lower-case full name -> canonical name, lower-case last path part -> names)."""
    names = sorted(n for n in available_timezones() if n not in _NOT_ZONES)
    # Geographic names first ("America/Indiana/Indianapolis" before "US/..." style aliases).
    names.sort(key=lambda n: (n.split("/", 1)[0] not in _REGIONS, n))
    by_lower = {n.lower(): n for n in names}
    by_last: dict[str, list[str]] = {}
    for n in names:
        by_last.setdefault(n.rsplit("/", 1)[-1].lower(), []).append(n)
    return by_lower, {k: tuple(v) for k, v in by_last.items()}


def _zone_key(name: str) -> str:
    return re.sub(r"\s+", "_", name.strip()).lower()


def _suggest(name: str) -> tuple[str, ...]:
    by_lower, by_last = _zone_index()
    key = _zone_key(name)
    if not key or len(key) > _MAX_ZONE_NAME:
        return ()
    last = key.rsplit("/", 1)[-1]
    scored: dict[str, float] = {}

    def offer(candidate: str, score: float) -> None:
        scored[candidate] = max(score, scored.get(candidate, 0.0))

    for candidate in by_last.get(last, ()):
        offer(candidate, 1.0)
    for match in difflib.get_close_matches(key, by_lower, n=5, cutoff=0.6):
        offer(by_lower[match], difflib.SequenceMatcher(None, key, match).ratio())
    if last:
        for match in difflib.get_close_matches(last, by_last, n=5, cutoff=0.7):
            for candidate in by_last[match]:
                offer(candidate, difflib.SequenceMatcher(None, last, match).ratio())
    if not scored:
        return ()
    best = max(scored.values())
    rank = {n: i for i, n in enumerate(by_lower.values())}
    ranked = sorted(scored, key=lambda n: (-scored[n], rank[n]))
    return tuple(n for n in ranked if scored[n] >= best - 0.15)[:3]


def _canonical_zone(name: str) -> str:
    key = _zone_key(name)
    canonical = _zone_index()[0].get(key) if len(key) <= _MAX_ZONE_NAME else None
    if canonical is None:
        raise UnknownZone(name, _suggest(name))
    return canonical


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (case-insensitive, e.g. "europe/berlin"); else :class:`UnknownZone`.

    The returned zone's ``.key`` is the canonical spelling ("Europe/Berlin").
    """
    return ZoneInfo(_canonical_zone(name))


# --------------------------------------------------------------------------------------------
# RRULE bodies
# --------------------------------------------------------------------------------------------

_RULE_PARTS: Final = frozenset(
    {
        "FREQ",
        "INTERVAL",
        "COUNT",
        "UNTIL",
        "BYMONTH",
        "BYMONTHDAY",
        "BYYEARDAY",
        "BYWEEKNO",
        "BYDAY",
        "BYSETPOS",
        "WKST",
    }
)
_INT: Final = re.compile(r"[+-]?[0-9]{1,4}", re.ASCII)
_BYDAY_ITEM: Final = re.compile(r"([+-]?)([0-9]{1,2})?(MO|TU|WE|TH|FR|SA|SU)", re.ASCII)
_UNTIL: Final = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})(?:T([0-9]{2})([0-9]{2})([0-9]{2})(Z?))?", re.ASCII)


@dataclass(frozen=True, slots=True)
class _Rule:
    """A validated RRULE body, taken apart."""

    body: str
    freq: _Freq
    interval: int = 1
    count: int | None = None
    until: datetime | None = None  # naive
    until_utc: bool = False
    until_date_only: bool = False
    bymonth: tuple[int, ...] = ()
    bymonthday: tuple[int, ...] = ()
    byyearday: tuple[int, ...] = ()
    byweekno: tuple[int, ...] = ()
    byday: tuple[tuple[int, int | None], ...] = ()  # (weekday 0=Mon, nth or None)
    bysetpos: tuple[int, ...] = ()
    wkst: int = 0
    names: frozenset[str] = field(default_factory=frozenset)


def _rule_error(what: str) -> ScheduleError:
    return ScheduleError(f"{what} Example: {_RRULE_EXAMPLE}")


def _int_list(name: str, value: str, low: int, high: int, *, signed: bool) -> tuple[int, ...]:
    result: list[int] = []
    for item in value.split(","):
        if not _INT.fullmatch(item):
            raise _rule_error(f"{name} needs whole numbers, not {_quote(item)}.")
        number = int(item)
        if not (low <= abs(number) <= high) or (number < 0 and not signed):
            allowed = f"{low} to {high}" + (f" or -{high} to -{low}" if signed else "")
            raise _rule_error(f"{name}={number} is out of range ({allowed}).")
        result.append(number)
    if len(set(result)) != len(result):
        raise _rule_error(f"{name} lists a value twice.")
    return tuple(result)


def _single_int(name: str, value: str, high: int) -> int:
    if "," in value:
        raise _rule_error(f"{name} takes a single number.")
    return _int_list(name, value, 1, high, signed=False)[0]


def _parse_until(value: str) -> tuple[datetime, bool, bool]:
    match = _UNTIL.fullmatch(value)
    if match is None:
        raise _rule_error(f"I couldn't read UNTIL={_quote(value)}. Use YYYYMMDD or YYYYMMDDTHHMMSSZ.")
    y, mo, d, h, mi, s, z = match.groups()
    try:
        if h is None:
            return datetime(int(y), int(mo), int(d)), False, True
        return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s)), z == "Z", False
    except ValueError:
        raise _rule_error(f"UNTIL={_quote(value)} is not a real date and time.") from None


@lru_cache(maxsize=512)
def _parse_rule_body(text: str) -> _Rule:
    """Validate an RRULE body (syntax and meeting-sized frequency only) and normalise it."""
    if not isinstance(text, str):
        raise _rule_error("A recurrence rule must be text.")
    raw = text.strip()
    if not raw:
        raise _rule_error("The rule is empty.")
    if len(raw) > _MAX_TEXT:
        raise _rule_error("That rule is too long.")
    if "\n" in raw or "\r" in raw:
        raise _rule_error("Give a single RRULE line (no DTSTART, EXDATE or RDATE lines).")
    upper = re.sub(r"\s+", "", raw).upper()
    if upper.startswith("RRULE:"):
        upper = upper[len("RRULE:") :]
    if "DTSTART" in upper:
        raise _rule_error("Leave DTSTART out: the start comes from the meeting time and today's date.")
    if ":" in upper:
        raise _rule_error("Give only the rule itself, starting with FREQ=.")

    values: dict[str, str] = {}
    for part in (p for p in upper.split(";") if p):
        name, sep, value = part.partition("=")
        if not sep or not value:
            raise _rule_error(f"I couldn't read the rule part {_quote(part)}; parts look like NAME=VALUE.")
        if name in {"BYHOUR", "BYMINUTE", "BYSECOND"}:
            raise _rule_error(f"Leave {name} out: put the meeting time after the rule.")
        if name not in _RULE_PARTS:
            raise _rule_error(f"I don't know the rule part {_quote(name)}.")
        if name in values:
            raise _rule_error(f"{name} appears twice in the rule.")
        values[name] = value

    freq_name = values.get("FREQ")
    if freq_name is None:
        raise _rule_error("The rule needs a FREQ (DAILY, WEEKLY, MONTHLY or YEARLY).")
    if freq_name in _TOO_FINE:
        raise _rule_error(f"FREQ={freq_name} is too frequent for a meeting; use DAILY, WEEKLY, MONTHLY or YEARLY.")
    freq = _FREQS.get(freq_name)
    if freq is None:
        raise _rule_error(f"I don't know FREQ={_quote(freq_name)}; use DAILY, WEEKLY, MONTHLY or YEARLY.")

    interval = 1
    if "INTERVAL" in values:
        interval = _single_int("INTERVAL", values["INTERVAL"], _MAX_INTERVAL)
    count: int | None = None
    if "COUNT" in values:
        count = _single_int("COUNT", values["COUNT"], _MAX_COUNT)
        if "UNTIL" in values:
            raise _rule_error("Use either COUNT or UNTIL, not both.")
    until: datetime | None = None
    until_utc = until_date_only = False
    if "UNTIL" in values:
        until, until_utc, until_date_only = _parse_until(values["UNTIL"])

    bymonth = _int_list("BYMONTH", values["BYMONTH"], 1, 12, signed=False) if "BYMONTH" in values else ()
    bymonthday = _int_list("BYMONTHDAY", values["BYMONTHDAY"], 1, 31, signed=True) if "BYMONTHDAY" in values else ()
    byyearday = _int_list("BYYEARDAY", values["BYYEARDAY"], 1, 366, signed=True) if "BYYEARDAY" in values else ()
    byweekno = _int_list("BYWEEKNO", values["BYWEEKNO"], 1, 53, signed=True) if "BYWEEKNO" in values else ()
    bysetpos = _int_list("BYSETPOS", values["BYSETPOS"], 1, 366, signed=True) if "BYSETPOS" in values else ()

    byday: list[tuple[int, int | None]] = []
    for item in values["BYDAY"].split(",") if "BYDAY" in values else ():
        match = _BYDAY_ITEM.fullmatch(item)
        if match is None or (match.group(1) and not match.group(2)):
            raise _rule_error(f"I couldn't read BYDAY {_quote(item)}; use MO,TU,WE,TH,FR,SA,SU or e.g. +1MO, -1FR.")
        nth: int | None = None
        if match.group(2):
            nth = int(match.group(2)) * (-1 if match.group(1) == "-" else 1)
            limit = 53 if freq == YEARLY else 5
            if not 1 <= abs(nth) <= limit:
                raise _rule_error(f"BYDAY {_quote(item)} is out of range.")
            if freq not in (MONTHLY, YEARLY) or byweekno:
                raise _rule_error(f"BYDAY {_quote(item)} with a number needs FREQ=MONTHLY or FREQ=YEARLY.")
        entry = (_DAY_CODES.index(match.group(3)), nth)
        if entry in byday:
            raise _rule_error("BYDAY lists a day twice.")
        byday.append(entry)

    wkst = 0
    if "WKST" in values:
        if values["WKST"] not in _DAY_CODES:
            raise _rule_error(f"WKST must be one of MO,TU,WE,TH,FR,SA,SU, not {_quote(values['WKST'])}.")
        wkst = _DAY_CODES.index(values["WKST"])

    # RFC 5545 combinations that make no sense.
    if byweekno and freq != YEARLY:
        raise _rule_error("BYWEEKNO only works with FREQ=YEARLY.")
    if byyearday and freq in (DAILY, WEEKLY, MONTHLY):
        raise _rule_error("BYYEARDAY only works with FREQ=YEARLY.")
    if bymonthday and freq == WEEKLY:
        raise _rule_error("BYMONTHDAY doesn't work with FREQ=WEEKLY; use FREQ=MONTHLY.")

    normal: dict[str, str] = {"FREQ": freq_name}
    for name in values:
        if name == "FREQ":
            continue
        if name == "BYDAY":
            normal[name] = ",".join(("" if n is None else f"{n:+d}") + _DAY_CODES[d] for d, n in byday)
        elif name in {"UNTIL", "WKST"}:
            normal[name] = values[name]
        else:
            normal[name] = ",".join(str(int(v)) for v in values[name].split(","))
    body = ";".join(f"{k}={v}" for k, v in normal.items())

    # Belt and braces: dateutil itself must accept the rule (with a naive start).
    check = body
    if until is not None:
        check = re.sub(r"UNTIL=[0-9TZ]+", f"UNTIL={until:%Y%m%dT%H%M%S}", check)
    try:
        rrulestr(check, dtstart=datetime(2000, 1, 1))
    except Exception as exc:
        raise _rule_error(f"I couldn't use that rule ({_quote(str(exc), 60)}).") from None

    return _Rule(
        body=body,
        freq=freq,
        interval=interval,
        count=count,
        until=until,
        until_utc=until_utc,
        until_date_only=until_date_only,
        bymonth=bymonth,
        bymonthday=bymonthday,
        byyearday=byyearday,
        byweekno=byweekno,
        byday=tuple(byday),
        bysetpos=bysetpos,
        wkst=wkst,
        names=frozenset(normal),
    )


def _local_until(rule: _Rule, tz: ZoneInfo) -> datetime | None:
    """UNTIL as a naive local wall time (a date-only UNTIL includes that whole day)."""
    if rule.until is None:
        return None
    if rule.until_date_only:
        return datetime.combine(rule.until.date(), time(23, 59, 59))
    if rule.until_utc:
        try:
            return rule.until.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
        except OverflowError:
            return rule.until
    return rule.until


def _expander(
    rule: _Rule,
    *,
    dtstart: datetime,
    anchor: date,
    until: datetime | None,
    count: int | None,
) -> rrule:
    """A naive dateutil rrule whose occurrences on or after ``dtstart`` equal the series' ones.

    Everything dateutil would otherwise derive from ``dtstart`` (the default day, WKST) is made
    explicit from the anchor, so ``dtstart`` may be moved forward by whole periods.
    """
    bymonth: tuple[int, ...] | None = rule.bymonth or None
    bymonthday: tuple[int, ...] | None = rule.bymonthday or None
    byweekday: list[weekday] | None = [weekday(d, n) for d, n in rule.byday] or None
    if not (rule.byweekno or rule.byyearday or rule.bymonthday or rule.byday):
        if rule.freq == YEARLY:
            bymonth = bymonth or (anchor.month,)
            bymonthday = (anchor.day,)
        elif rule.freq == MONTHLY:
            bymonthday = (anchor.day,)
        elif rule.freq == WEEKLY:
            byweekday = [weekday(anchor.weekday())]
    return rrule(
        rule.freq,
        dtstart=dtstart,
        interval=rule.interval,
        wkst=rule.wkst,
        count=count,
        until=until,
        bysetpos=rule.bysetpos or None,
        bymonth=bymonth,
        bymonthday=bymonthday,
        byyearday=rule.byyearday or None,
        byweekno=rule.byweekno or None,
        byweekday=byweekday,
    )


def _period_start(rule: _Rule, anchor: date, target: date) -> date:
    """The latest date <= ``target`` from which the rule runs exactly as it does from ``anchor``.

    That is the start of a period (day, week by WKST, month, year) that is a whole number of
    INTERVALs after the anchor's period, or the anchor itself. With COUNT the start cannot move.
    """
    if target <= anchor or rule.count is not None:
        return anchor
    n = rule.interval
    if rule.freq == DAILY:
        return anchor + timedelta(days=(target - anchor).days // n * n)
    if rule.freq == WEEKLY:
        week = anchor - timedelta(days=(anchor.weekday() - rule.wkst) % 7)
        start = week + timedelta(weeks=(target - week).days // 7 // n * n)
    elif rule.freq == MONTHLY:
        first = anchor.year * 12 + anchor.month - 1
        month = first + (target.year * 12 + target.month - 1 - first) // n * n
        start = date(month // 12, month % 12 + 1, 1)
    else:
        start = date(anchor.year + (target.year - anchor.year) // n * n, 1, 1)
    return start if start > anchor else anchor


def _first_within(rule: _Rule, anchor: date, at: time, tz: ZoneInfo) -> datetime | None:
    """The first naive occurrence from ``anchor`` within _EXISTENCE_YEARS, or None.

    dateutil only stops at UNTIL when it produces a later occurrence; a rule that never matches
    runs on to the year 9999 (seconds for FREQ=DAILY). The Gregorian calendar repeats exactly
    every 400 years, so the check runs on the same window moved by whole 400-year cycles as close
    to 9999 as it goes, where the end of the calendar comes quickly.
    """
    end_year = min(anchor.year + _EXISTENCE_YEARS, 9999)
    shift = (9999 - end_year) // 400 * 400
    horizon = datetime(end_year + shift, 12, 31, 23, 59, 59)
    until = _local_until(rule, tz)
    if until is not None:
        until = min(horizon, until.replace(year=until.year + shift)) if until.year + shift <= 9999 else horizon
    moved = anchor.replace(year=anchor.year + shift)
    expander = _expander(rule, dtstart=datetime.combine(moved, at), anchor=moved, until=until or horizon, count=None)
    try:
        first = next(iter(expander), None)
    except (ValueError, OverflowError):
        return None
    return None if first is None else first.replace(year=first.year - shift)


def parse_rrule(text: str, *, anchor: date | None = None) -> str:
    """Validate an RFC 5545 RRULE body and return it normalised ("FREQ=WEEKLY;BYDAY=TU").

    Accepts the body with or without a leading "RRULE:", in any case. Rejects DTSTART, rules finer
    than DAILY, BYHOUR/BYMINUTE/BYSECOND (the meeting time is given separately) and rules with no
    meeting within 100 years from ``anchor`` (without one: from 1970-01-01, ignoring INTERVAL).
    Raises :class:`ScheduleError`.
    """
    rule = _parse_rule_body(text)
    start = anchor if anchor is not None else date(1970, 1, 1)
    # Without an anchor the phase of INTERVAL is unknown: only ask whether the days can happen.
    probe = rule if anchor is not None else dataclasses.replace(rule, interval=1)
    if _first_within(probe, start, time(0, 0), ZoneInfo("UTC")) is None:
        since = f" from {start.isoformat()} on" if anchor is not None else ""
        raise _rule_error(f"That rule never produces a meeting{since}; check its BY… parts, UNTIL and COUNT.")
    return rule.body


# --------------------------------------------------------------------------------------------
# Recurrence
# --------------------------------------------------------------------------------------------


def _clock(at: time) -> str:
    return f"{at:%H:%M:%S}" if at.second else f"{at:%H:%M}"


def _days_phrase(days: Iterable[int]) -> str:
    ordered = sorted(set(days))
    if ordered == [0, 1, 2, 3, 4]:
        return "weekday"
    return _join((_DAY_NAMES[d] for d in ordered), "and")


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A recurring meeting: RRULE body, local wall-clock time, IANA zone and anchor date.

    Construction validates and normalises: ``rule`` becomes the upper-case normalised body,
    ``zone`` the canonical IANA spelling; a bad value raises :class:`ScheduleError`.
    """

    rule: str  # RFC 5545 RRULE body without "RRULE:" and without DTSTART
    at: time  # local wall-clock time of the meeting
    zone: str  # IANA name, canonical spelling
    anchor: date  # local first day the rule counts from (matters for INTERVAL > 1)

    def __post_init__(self) -> None:
        if not isinstance(self.at, time):
            raise ScheduleError("The meeting time must be a time of day, e.g. 10:00.")
        if self.at.tzinfo is not None:
            raise ScheduleError("The meeting time must be a local wall-clock time, without a time zone.")
        if not isinstance(self.anchor, date):
            raise ScheduleError("The first day of the series must be a date.")
        if isinstance(self.anchor, datetime):
            object.__setattr__(self, "anchor", self.anchor.date())
        object.__setattr__(self, "at", self.at.replace(microsecond=0, fold=0))
        object.__setattr__(self, "zone", _canonical_zone(self.zone))
        parsed = _parse_rule_body(self.rule)
        object.__setattr__(self, "rule", parsed.body)
        if _first_within(parsed, self.anchor, self.at, ZoneInfo(self.zone)) is None:
            raise _rule_error(
                f"That rule never produces a meeting from {self.anchor.isoformat()} on;"
                " check its BY… parts, UNTIL and COUNT."
            )

    def describe(self) -> str:
        """A short English description, e.g. "every Tuesday at 10:00 (Europe/Berlin)"."""
        rule = _parse_rule_body(self.rule)
        when = f"at {_clock(self.at)} ({self.zone})"
        shape = rule.names - {"FREQ", "INTERVAL", "WKST"}
        n = rule.interval
        plain = [d for d, nth in rule.byday if nth is None]
        if shape <= {"BYDAY"} and len(plain) == len(rule.byday):
            if rule.freq == WEEKLY:
                days = _days_phrase(plain or [self.anchor.weekday()])
                return f"every {days} {when}" if n == 1 else f"every {n} weeks on {days} {when}"
            if rule.freq == DAILY and not plain:
                return f"every day {when}" if n == 1 else f"every {n} days {when}"
            if rule.freq == DAILY and n == 1:
                return f"every {_days_phrase(plain)} {when}"
        if rule.freq == MONTHLY and shape == {"BYDAY"} and len(rule.byday) == 1:
            day, nth = rule.byday[0]
            if nth in _ORDINALS:
                months = "every month" if n == 1 else f"every {n} months"
                return f"on the {_ORDINALS[nth]} {_DAY_NAMES[day]} of {months} {when}"
        return f"RRULE {self.rule} {when}"

    def occurrences(self, after: datetime, *, count: int = 1, skip: frozenset[date] = frozenset()) -> list[datetime]:
        """The next ``count`` meeting starts strictly after the aware instant ``after``, in UTC.

        Local dates in ``skip`` are left out (the rule's own date, before any gap shift). Fewer
        than ``count`` results when the rule ends (UNTIL / COUNT). Starts in a spring-forward gap
        move forward by the gap; starts in an autumn fold are the first of the two.
        """
        if after.tzinfo is None or after.utcoffset() is None:
            raise ValueError("after must be a timezone-aware datetime")
        if count < 0:
            raise ValueError("count must not be negative")
        if count == 0:
            return []
        tz = ZoneInfo(self.zone)
        rule = _parse_rule_body(self.rule)
        late = after.year > 5000  # only the ends of the calendar can overflow below
        try:
            last = after.astimezone(UTC)
        except OverflowError:
            if late:
                return []
            last = datetime.min.replace(tzinfo=UTC)
        try:
            search_from = last.astimezone(tz).replace(tzinfo=None) - _SEARCH_MARGIN
        except OverflowError:
            if late:
                return []
            search_from = datetime.min
        try:
            start = _period_start(rule, self.anchor, search_from.date())
        except (OverflowError, ValueError):
            start = self.anchor
        expander = _expander(
            rule,
            dtstart=datetime.combine(start, self.at),
            anchor=self.anchor,
            until=_local_until(rule, tz),
            count=rule.count,
        )
        found: list[datetime] = []
        for naive in _naive_after(expander, search_from):
            if naive.date() in skip:
                continue
            try:
                instant = naive.replace(tzinfo=tz).astimezone(UTC)
            except OverflowError:
                break
            if instant <= last:  # before `after`, or two rule dates landing on one instant
                continue
            found.append(instant)
            last = instant
            if len(found) == count:
                break
        return found


def _naive_after(expander: rrule, start: datetime) -> Iterator[datetime]:
    try:
        yield from expander.xafter(start, inc=True)
    except (ValueError, OverflowError):  # ran off the end of the calendar
        return


# --------------------------------------------------------------------------------------------
# Schedule text
# --------------------------------------------------------------------------------------------


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
_KEYWORDS: Final = frozenset({"lead", "skip"})
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

        weekly <days> <time> [<zone>] [lead <duration>] [skip <date>[,<date>...]]
        biweekly <days> <time> ...         every <N> weeks <days> <time> ...   (N = 1..12)
        monthly <1st|2nd|3rd|4th|last> <day> <time> ...
        daily <time> ...                   (Monday to Friday)
        rrule <RRULE> <time> ...

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
    while (token := tokens.take()) is not None:
        word = token.lower()
        if word == "lead":
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
    recurrence = Recurrence(rule=rule, at=at, zone=canonical, anchor=today)
    return ScheduleSpec(
        recurrence=recurrence,
        lead=DEFAULT_LEAD if lead is None else lead,
        skip=frozenset() if skip is None else skip,
    )


# --------------------------------------------------------------------------------------------
# Small helpers for callers
# --------------------------------------------------------------------------------------------


def post_time(start: datetime, lead: timedelta) -> datetime:
    """When to post the moment: the absolute instant ``lead`` before ``start``, in UTC."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be a timezone-aware datetime")
    return start.astimezone(UTC) - lead


def format_local(instant: datetime, zone: str) -> str:
    """``instant`` as local time in ``zone`` for people, e.g. "Tue 24 Nov 10:00 CET"."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must be a timezone-aware datetime")
    local = instant.astimezone(ZoneInfo(_canonical_zone(zone)))
    weekday_name = _DAY_NAMES[local.weekday()][:3]
    month = _MONTH_ABBR[local.month - 1]
    return f"{weekday_name} {local.day} {month} {local:%H:%M} {local.tzname() or ''}".rstrip()
