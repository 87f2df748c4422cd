"""Meeting recurrence: parse a schedule, describe it, and find the next meeting starts.

A meeting series is an RFC 5545 RRULE body (no ``DTSTART``), a local wall-clock time, an IANA
time zone and an anchor date (the local day the rule counts from). Everything a chat user can
type is checked here, and every problem is a :class:`ScheduleError` whose message is a friendly
sentence that can be shown to the user as it is.

Pure and synchronous: standard library, ``dateutil`` and ``zoneinfo`` only. The modules, each
importing only the ones listed before it:

* ``errors``: :class:`ScheduleError`, :class:`UnknownZone` and the message helpers;
* ``zones``: IANA zone lookup and suggestions (:func:`zone`);
* ``rules``: reading, validating and normalising RRULE bodies;
* ``expansion``: the naive dateutil expander and :func:`parse_rrule`;
* ``series``: the :class:`Recurrence` value and its occurrences (DST gaps and folds), plus
  :func:`post_time` and :func:`format_local`;
* ``grammar``: the ``schedule …`` text (:class:`ScheduleSpec`, :func:`parse_schedule`,
  :func:`parse_duration`).
"""

from __future__ import annotations

from .errors import ScheduleError, UnknownZone
from .expansion import parse_rrule
from .grammar import DEFAULT_LEAD, EXAMPLE, MAX_LEAD, ScheduleSpec, parse_duration, parse_schedule
from .series import Recurrence, format_local, post_time
from .zones import zone

__all__ = [
    "DEFAULT_LEAD",
    "EXAMPLE",
    "MAX_LEAD",
    "Recurrence",
    "ScheduleError",
    "ScheduleSpec",
    "UnknownZone",
    "format_local",
    "parse_duration",
    "parse_rrule",
    "parse_schedule",
    "post_time",
    "zone",
]
