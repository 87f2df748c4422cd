"""Noticing when a text seems to name someone: a title such as "Mrs" or "Herr" followed by a name.

Stories are about real customers, and a story that names one can be read by the whole team. This is
only a hint for the author — names are not masked, since a colleague's name is often the point —
so it errs towards silence: a title must be followed by a capitalised word.
"""

from __future__ import annotations

import re

# Titles of address in English, German, French, Spanish and Italian; longer forms first.
_TITLES = (
    "Mrs",
    "Mr",
    "Ms",
    "Miss",
    "Mx",
    "Dr",
    "Prof",
    "Herr",
    "Frau",
    "Hr",
    "Fr",
    "Madame",
    "Mme",
    "Mlle",
    "Monsieur",
    "M(?=\\.)",
    "Señora",
    "Señor",
    "Srta",
    "Sra",
    "Sr",
    "Signora",
    "Signor",
    "Sig\\.ra",
    "Sig",
)
_TITLED_NAME = re.compile(r"(?<![\w.])(?:" + "|".join(_TITLES) + r")\.?[ \t\u00a0]{1,3}([^\W\d_][\w'’-]{0,40})")


def names_someone(text: str) -> bool:
    """Whether ``text`` has a title of address followed by a capitalised name (``Mrs Jones``, ``Herr Müller``)."""
    return any(match.group(1)[0].isupper() for match in _TITLED_NAME.finditer(text))
