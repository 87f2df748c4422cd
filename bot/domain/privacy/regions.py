"""Which countries' phone numbering a team most likely writes in, from its time zone.

A number written without its country code (``030 1234567``) is only a number within a country, so
the phone matcher needs to know which countries to try. A team's time zone names its country well
enough (``Europe/Berlin`` → ``DE``); the IANA time zone database's ``zone.tab``, shipped by the
``tzdata`` package, maps each zone to one country. The regions in :data:`DEFAULT_REGIONS` are tried
for every team, so colleagues abroad and teams on ``UTC`` are covered too.
"""

from __future__ import annotations

import functools
import logging
from importlib import resources

logger = logging.getLogger(__name__)

# Tried for every team, after its own country.
DEFAULT_REGIONS = ("US", "GB", "DE", "FR")


@functools.cache
def _zone_countries() -> dict[str, str]:
    countries: dict[str, str] = {}
    try:
        table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        logger.warning("the time zone table is missing; phone numbers are matched for the default regions only")
        return countries
    for line in table.splitlines():
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) >= 3:
            countries[fields[2]] = fields[0]
    return countries


def country_of_zone(zone: str | None) -> str | None:
    """The ISO 3166 country of an IANA time zone, or None for ``UTC`` and the like."""
    return _zone_countries().get(zone or "")


def regions_for(zone: str | None) -> tuple[str, ...]:
    """The regions to match phone numbers in for a team in ``zone``: its country first, then the defaults."""
    country = country_of_zone(zone)
    return tuple(dict.fromkeys((country, *DEFAULT_REGIONS))) if country else DEFAULT_REGIONS
