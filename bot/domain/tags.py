"""The fixed tag vocabulary for stories and exercises, plus normalisation of free tags."""

from __future__ import annotations

import re

# Slug -> label shown to people. The slugs are stored; never rename one once shipped.
VOCABULARY: dict[str, str] = {
    "bad-news": "Bad news delivered well",
    "upset-customer": "Upset customer",
    "first-contact-resolution": "First contact resolution",
    "escalation": "Escalation",
    "policy": "Explaining a policy",
    "internal-customer": "Internal customer",
    "prevention": "Preventing a problem",
    "personal-touch": "Personal touch",
    "nps-turnaround": "NPS detractor to promoter",
    "follow-up": "Follow-up",
    "listening": "Listening",
    "ownership": "Ownership",
    "expectations": "Setting expectations",
    "coaching": "Coaching behaviour",
}

MAX_FREE_TAGS = 5
MAX_TAG_LENGTH = 30
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Lower-case, hyphen-separated form of a tag; empty when nothing usable is left."""
    return _SLUG_JUNK.sub("-", text.strip().lower()).strip("-")[:MAX_TAG_LENGTH].strip("-")


def resolve(text: str) -> str:
    """Map a tag as typed (slug, label or close spelling) to its vocabulary slug, or to a free slug."""
    slug = slugify(text)
    if slug in VOCABULARY:
        return slug
    for key, label in VOCABULARY.items():
        if slugify(label) == slug:
            return key
    return slug


def label(slug: str) -> str:
    """Human label of a tag: the vocabulary label, or the free tag itself."""
    return VOCABULARY.get(slug, slug)
