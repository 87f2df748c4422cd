"""Reading an iCalendar feed: which events it has, and when one of them happens next.

Pure functions over the feed's bytes. The calendar rules themselves (RRULE with EXDATE and RDATE,
moved occurrences via RECURRENCE-ID, VTIMEZONE blocks, Google's X-WR-TIMEZONE) are applied by
``icalendar`` and ``recurring-ical-events``; this module only chooses the event, drops cancelled
occurrences and turns each start into UTC plus an IANA zone name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events  # type: ignore[import-untyped]
from icalendar.timezone import tzid_from_dt
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

__all__ = [
    "Ambiguous",
    "CalendarError",
    "FeedEvent",
    "NoMatch",
    "Occurrence",
    "Reading",
    "continuation",
    "decode",
    "encode",
    "events",
    "extract",
    "mask_url",
    "occurrences",
    "pick",
    "read",
    "reread",
]

MAX_TITLE = 200


class CalendarError(ValueError):
    """The feed or the chosen event cannot be followed; the message says why and what to do."""


class Ambiguous(CalendarError):
    """Several events fit: the organizer has to say which one."""

    def __init__(self, candidates: Sequence[FeedEvent]) -> None:
        super().__init__("That calendar has several events. Add `match <words from its title>` to pick one.")
        self.candidates = tuple(candidates)


class NoMatch(CalendarError):
    """No event's title has the words asked for; ``found`` are the feed's events, to choose from."""

    def __init__(self, found: Sequence[FeedEvent]) -> None:
        super().__init__("No event in that calendar has that in its title. Leave out `match` to list them.")
        self.found = tuple(found)


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One event of a feed (all VEVENTs sharing a UID), titled by its main entry."""

    uid: str
    title: str
    recurring: bool
    all_day: bool


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One meeting of the followed event.

    ``original`` is the start the calendar rule gave it (its RECURRENCE-ID): it stays the same when the
    organizer moves this one meeting, so it tells a moved meeting from a new one.
    """

    start: datetime  # UTC
    zone: str  # IANA name the meeting is planned in
    original: datetime  # UTC


def read(body: bytes) -> icalendar.Calendar:
    """Parse a feed; anything that is not an iCalendar (an HTML login page, JSON, garbage) is refused."""
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper()
    if not head.startswith(b"BEGIN:VCALENDAR"):
        raise CalendarError("That address did not answer with a calendar (an .ics feed). Check that you copied it.")
    try:
        calendar = icalendar.Calendar.from_ical(body)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise CalendarError("That calendar could not be read; it does not look like a valid .ics feed.") from exc
    if not isinstance(calendar, icalendar.Calendar):  # several calendars concatenated
        raise CalendarError("That address answered with several calendars; give the address of one.")
    return calendar


def _when(component: icalendar.cal.component.Component, name: str) -> Any:
    """The date or datetime of property ``name``, or None."""
    return getattr(component.get(name), "dt", None)


def _title(component: icalendar.cal.component.Component) -> str:
    return " ".join(str(component.get("SUMMARY", "")).split())[:MAX_TITLE] or "(untitled)"


def events(calendar: icalendar.Calendar) -> list[FeedEvent]:
    """The feed's events, one per UID: recurring ones first, then by title."""
    found: dict[str, FeedEvent] = {}
    for component in calendar.walk("VEVENT"):
        uid = str(component.get("UID", "")).strip()
        start = _when(component, "DTSTART")
        if not uid or start is None:
            continue
        is_main = "RECURRENCE-ID" not in component
        if uid in found and not is_main:
            continue
        found[uid] = FeedEvent(
            uid=uid,
            title=_title(component),
            recurring="RRULE" in component or "RDATE" in component,
            all_day=not isinstance(start, datetime),
        )
    return sorted(found.values(), key=lambda e: (not e.recurring, e.title.casefold(), e.uid))


def pick(found: Sequence[FeedEvent], match: str | None) -> FeedEvent:
    """The event to follow: the only one whose title contains ``match`` (any case), or the only one at all.

    With no ``match``, a feed with a single recurring event needs no choice.
    """
    words = " ".join((match or "").split()).casefold()
    if words:
        exact = [e for e in found if e.title.casefold() == words]
        fitting = exact or [e for e in found if words in e.title.casefold()]
        if not fitting:
            raise NoMatch(found)
    else:
        fitting = [e for e in found if e.recurring] or list(found)
        if not fitting:
            raise CalendarError("That calendar has no events.")
    if len(fitting) > 1:
        raise Ambiguous(fitting)
    chosen = fitting[0]
    if chosen.all_day:
        raise CalendarError(
            "That is an all-day event, so it has no start time to post the moment before. Pick a timed meeting."
        )
    return chosen


def _zone_name(start: datetime, fallback: str) -> str:
    """An IANA name for the zone of ``start``: its own key, a Windows name mapped, or ``fallback``."""
    key = getattr(start.tzinfo, "key", None)
    if isinstance(key, str):
        return key
    name = tzid_from_dt(start)
    if name and name.upper() in {"UTC", "Z", "GMT", "ETC/UTC"}:
        return "UTC"
    for candidate in (name, WINDOWS_TO_OLSON.get(name or "")):
        if candidate:
            try:
                return ZoneInfo(candidate).key
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return fallback


def _utc(value: Any, zone: str) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, datetime.min.time())
    if value.tzinfo is None:  # floating time: the team's own zone
        value = value.replace(tzinfo=ZoneInfo(zone))
    utc: datetime = value.astimezone(UTC)
    return utc


def _only(calendar: icalendar.Calendar, *uids: str) -> icalendar.Calendar:
    """A calendar holding just some events' entries and the time zones, so big feeds expand fast."""
    small = icalendar.Calendar()
    for name, value in calendar.property_items(recursive=False):
        if name not in {"BEGIN", "END"}:
            small.add(name, value)
    for component in calendar.subcomponents:
        if component.name == "VTIMEZONE" or (
            component.name == "VEVENT" and str(component.get("UID", "")).strip() in uids
        ):
            small.add_component(component)
    return small


def occurrences(
    calendar: icalendar.Calendar, uid: str, *, start: datetime, end: datetime, default_zone: str = "UTC"
) -> list[Occurrence]:
    """The meetings of event ``uid`` starting in ``[start, end)``, earliest first, cancelled ones left out.

    Raises :class:`CalendarError` when the event is no longer in the feed or has become all-day.
    """
    small = _only(calendar, uid)
    entries = small.walk("VEVENT")
    if not entries:
        raise CalendarError("The meeting you follow is no longer in that calendar (deleted, or the address changed).")
    if any(not isinstance(_when(e, "DTSTART"), datetime) for e in entries if "DTSTART" in e):
        raise CalendarError("The meeting you follow has become an all-day event; it has no start time any more.")
    try:
        found = recurring_ical_events.of(small).between(start, end)
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise CalendarError("The meeting you follow has a repeat rule I cannot read.") from exc
    result: list[Occurrence] = []
    for entry in found:
        if str(entry.get("STATUS", "")).upper() == "CANCELLED":
            continue
        when = _when(entry, "DTSTART")
        if not isinstance(when, datetime):
            continue
        zone = _zone_name(when, default_zone) if when.tzinfo is not None else default_zone
        original = _when(entry, "RECURRENCE-ID")
        moment = _utc(when, zone)
        result.append(Occurrence(moment, zone, _utc(original, zone) if original is not None else moment))
    result.sort(key=lambda o: (o.start, o.original))
    return [o for o in result if start <= o.start < end]


def extract(calendar: icalendar.Calendar, *uids: str) -> bytes:
    """The followed events' own entries (with the time zones), small enough to keep between reads."""
    return bytes(_only(calendar, *uids).to_ical())


# Google's "this and following events" ends the event's rule and continues it as a new event whose UID is
# the old one's with ``_R<first start>`` added before the ``@``: ``abc@google.com`` → ``abc_R20261208T090000@…``.
_SPLIT = re.compile(r"^(?P<base>.+?)(?:_R(?P<since>\d{8}(?:T\d{6}Z?)?))?$")


def _split_key(uid: str) -> tuple[str, str, str]:
    """``(base, since, domain)`` of a UID: ``since`` is empty for an event that was not split off another."""
    local, at, domain = uid.rpartition("@") if "@" in uid else (uid, "", "")
    found = _SPLIT.match(local)
    assert found is not None  # the pattern matches any non-empty text
    return found.group("base"), found.group("since") or "", at + domain


def continuation(calendar: icalendar.Calendar, uid: str, title: str) -> str | None:
    """The event that continues ``uid`` after it was split in two (Google's ``<uid>_R<date>``), same title.

    The nearest continuation is returned; a later split of that one is its own continuation.
    """
    base, since, domain = _split_key(uid)
    later: list[tuple[str, str]] = []
    for event in events(calendar):
        other_base, other_since, other_domain = _split_key(event.uid)
        if (other_base, other_domain) != (base, domain) or other_since <= since or event.all_day:
            continue
        if event.title.casefold() == title.casefold():
            later.append((other_since, event.uid))
    return min(later)[1] if later else None


@dataclass(frozen=True, slots=True)
class Reading:
    """What a later read of a feed says about the followed event.

    ``uid`` is the event to follow from now on: the followed one, or its continuation once the followed one
    has no meeting left (``continued`` is then True). ``occurrences`` are the meetings of both in the window.
    """

    uid: str
    continued: bool
    occurrences: tuple[Occurrence, ...]
    entries: bytes  # the followed events' own entries, kept for reads that find the feed unchanged


def reread(
    body: bytes, uid: str, title: str, *, now: datetime, start: datetime, end: datetime, default_zone: str = "UTC"
) -> Reading:
    """Read a feed again for the event ``uid`` (titled ``title``) that a series follows.

    A continuation split off the event adds its meetings after the event's own; once the event itself has
    no meeting after ``now``, the continuation is the one followed. Raises :class:`CalendarError` when
    neither can be followed.
    """
    feed = read(body)
    successor = continuation(feed, uid, title)
    try:
        found = occurrences(feed, uid, start=start, end=end, default_zone=default_zone)
    except CalendarError:
        if successor is None:
            raise
        found = []
    if successor is None:
        return Reading(uid, False, tuple(found), extract(feed, uid))
    try:
        later = occurrences(feed, successor, start=start, end=end, default_zone=default_zone)
    except CalendarError:
        return Reading(uid, False, tuple(found), extract(feed, uid))
    taken = {o.start for o in found}
    merged = tuple(sorted([*found, *(o for o in later if o.start not in taken)], key=lambda o: (o.start, o.original)))
    if any(o.start >= now for o in found):
        return Reading(uid, False, merged, extract(feed, uid, successor))
    return Reading(successor, True, merged, extract(feed, successor))


def encode(found: Sequence[Occurrence]) -> list[dict[str, str]]:
    """Occurrences as plain JSON-able rows, for storing with the series."""
    return [{"start": o.start.isoformat(), "original": o.original.isoformat(), "zone": o.zone} for o in found]


def decode(rows: Sequence[dict[str, str]]) -> list[Occurrence]:
    """The stored rows back as occurrences, earliest first."""
    found = [
        Occurrence(
            datetime.fromisoformat(r["start"]).astimezone(UTC),
            r.get("zone", "UTC"),
            datetime.fromisoformat(r["original"]).astimezone(UTC),
        )
        for r in rows
    ]
    return sorted(found, key=lambda o: (o.start, o.original))


def mask_url(url: str) -> str:
    """What may be shown of a secret feed address: scheme and host only, e.g. ``https://calendar.google.com/…``."""
    try:
        parsed = urlsplit(url.strip())
        host = parsed.hostname
    except ValueError:
        return "…"
    if not host:
        return "…"
    return f"{parsed.scheme}://{host}/…"
