"""RFC 5545 RRULE bodies: read, validate and normalise the rule text a user gives.

:func:`_parse_rule_body` (cached) checks syntax and that the rule is meeting-sized (DAILY or
coarser, no BYHOUR/BYMINUTE/BYSECOND, no DTSTART) and returns a :class:`_Rule`. Whether the rule
ever produces a meeting needs expanding it, so the public :func:`parse_rrule` is in ``expansion``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Final, Literal

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrulestr

from .errors import ScheduleError, _quote

_RRULE_EXAMPLE: Final = "schedule rrule FREQ=MONTHLY;BYDAY=+1TU 10:00 Europe/Berlin"

_MAX_TEXT: Final = 500  # longest schedule / rule text we look at
_MAX_INTERVAL: Final = 99
_MAX_COUNT: Final = 1000

_DAY_CODES: Final = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

_Freq = Literal[0, 1, 2, 3]
_FREQS: Final[dict[str, _Freq]] = {"YEARLY": YEARLY, "MONTHLY": MONTHLY, "WEEKLY": WEEKLY, "DAILY": DAILY}
_TOO_FINE: Final = frozenset({"HOURLY", "MINUTELY", "SECONDLY"})


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
