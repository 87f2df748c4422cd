"""Handing a file (an export) to someone in Teams: consent card, upload to their OneDrive, file card.

The Bot APIs can hand over files only in the 1:1 chat, and only after the person accepts a file
consent card; Teams then gives an upload URL in their OneDrive. The card carries the command that
made the file, not the file: on "Allow" the command runs again (with the same permission checks) and
the fresh result is uploaded, so nothing is kept in memory between the two steps.

What the card carries comes back from the person's client, so it is signed (:class:`Consents`): the
answer can only run the export the card was offered for, by the person it was offered to, in the
chat it was sent to, in the channel it was asked in. Each card is one offer with an id of its own, and is
answered once: the first answer (Allow or Decline) claims the offer's id in the database
(:attr:`Offer.claim_key`), so a second one — pressed again, replayed, or reaching another server — runs
nothing. The upload goes only to a Microsoft upload host over ``https`` (:func:`upload_allowed`), checked
before any connection is opened.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from adapters.settings import is_loopback
from adapters.teams.activities import text_of
from adapters.teams.outgoing import message
from bot.replies import Attachment

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]

CONSENT = "application/vnd.microsoft.teams.card.file.consent"
INFO = "application/vnd.microsoft.teams.card.file.info"
UPLOAD_TIMEOUT = aiohttp.ClientTimeout(total=60)

# Where Teams opens upload sessions: the person's OneDrive for Business, a SharePoint site, in the public
# cloud and GCC (sharepoint.com), GCC High (sharepoint.us), DoD (sharepoint-mil.us) and 21Vianet
# (sharepoint.cn); OneDrive's own hosts (onedrive.com). A host is allowed with its subdomains.
UPLOAD_HOSTS = ("sharepoint.com", "sharepoint.us", "sharepoint-mil.us", "sharepoint.cn", "onedrive.com")
OFFER_LIFETIME = 7 * 24 * 3600  # seconds an offer can be answered; then it is asked for again
_KEY_LABEL = b"customer-moment/teams/file-consent/v1"
SIGNATURE = "signature"  # the entry of a sealed dict that carries its signature


@dataclass(frozen=True, slots=True)
class Offer:
    """What one consent card was sent for: whose it is, where it is, and what it runs."""

    offer_id: str  # random, one per card: what answering the card uses up
    tenant: str
    person: str  # the Teams account (29:…) of the person asked, as the invoke's ``from.id`` names them
    conversation: str  # the chat the card was posted in (their 1:1 chat with the bot)
    command: str  # the export command, as it was written
    channel_id: str  # the channel or group chat the export was asked in ("" for the 1:1 chat)
    channel_name: str
    expires: int  # Unix time after which an answer is refused

    def fields(self) -> JsonDict:
        """The card's JSON for it (the names Teams shows in ``value.context``)."""
        return {
            "offerId": self.offer_id,
            "tenant": self.tenant,
            "person": self.person,
            "conversation": self.conversation,
            "command": self.command,
            "channelId": self.channel_id,
            "channelName": self.channel_name,
            "expires": self.expires,
        }

    @property
    def claim_key(self) -> str:
        """What answering this offer claims, once (:class:`bot.ports.OneTimeClaims`)."""
        return f"teams:{self.tenant}:file-offer:{self.offer_id}"


class Refusal(enum.Enum):
    """Why a consent answer is not acted on (logged by name, told to the person by :data:`TOLD`)."""

    UNSIGNED = "unsigned or altered"
    EXPIRED = "expired"
    ELSEWHERE = "answered in another conversation or tenant"
    SOMEONE_ELSE = "answered by someone else"
    NOT_EXPORT = "not an export"
    ANSWERED = "answered before"


class Consents:
    """Signs what a consent card carries, and reads an answer's back only if it is unaltered and current;
    other uses (``origins.py``) seal and check their own fields with the same key, expiry and signature.

    ``key``: shared by every replica (derived from a server secret, :meth:`from_secrets`), so an answer
    may reach any of them.
    """

    def __init__(self, key: bytes, *, clock: Callable[[], float] = time.time, lifetime: int = OFFER_LIFETIME) -> None:
        self._key = key
        self._clock = clock
        self._lifetime = lifetime

    @classmethod
    def from_secrets(cls, *candidates: str, clock: Callable[[], float] = time.time) -> Consents:
        """A key derived from the first secret set; without one, a key of this process alone."""
        secret = next((c.strip() for c in candidates if c and c.strip()), "")
        if not secret:
            logger.info("teams: file offers are signed with a key of this process only")
            return cls(secrets.token_bytes(32), clock=clock)
        return cls(hmac.new(secret.encode("utf-8"), _KEY_LABEL, hashlib.sha256).digest(), clock=clock)

    def offer(
        self, *, tenant: str, person: str, conversation: str, command: str, channel_id: str | None, channel_name: str
    ) -> Offer:
        return Offer(
            offer_id=secrets.token_urlsafe(12),
            tenant=tenant,
            person=person,
            conversation=conversation,
            command=command[:500],
            channel_id=channel_id or "",
            channel_name=channel_name[:200],
            expires=self.expiry(),
        )

    def context(self, offer: Offer) -> JsonDict:
        """The card's ``acceptContext``/``declineContext``: the offer and its signature."""
        return self.seal(offer.fields())

    def read(self, value: object) -> Offer | Refusal:
        """The offer an answer (``value`` of the ``fileConsent/invoke``) carries back, if it is untouched."""
        context = value.get("context") if isinstance(value, Mapping) else None
        if not isinstance(context, Mapping):
            return Refusal.UNSIGNED
        fields: dict[str, Any] = {name: context.get(name) for name in _FIELDS}
        if not _typed(fields) or not self.unaltered(context, fields):
            return Refusal.UNSIGNED
        offer = Offer(
            offer_id=fields["offerId"],
            tenant=fields["tenant"],
            person=fields["person"],
            conversation=fields["conversation"],
            command=fields["command"],
            channel_id=fields["channelId"],
            channel_name=fields["channelName"],
            expires=fields["expires"],
        )
        if self.expired(offer.expires):
            return Refusal.EXPIRED
        return offer

    def seal(self, fields: Mapping[str, Any], *, purpose: str | None = None) -> JsonDict:
        """``fields`` with their signature added (under :data:`SIGNATURE`).

        ``purpose``: another use than a file offer signs under a key of that use alone (derived from the
        same server key), so that no signature made for one use passes for another.
        """
        return {**fields, SIGNATURE: self._sign(fields, key=self._key_of(purpose))}

    def unaltered(self, sealed: Mapping[str, Any], fields: Mapping[str, Any], *, purpose: str | None = None) -> bool:
        """Whether ``sealed`` carries :meth:`seal`'s signature for exactly these ``fields`` and ``purpose``."""
        signature = sealed.get(SIGNATURE)
        if not isinstance(signature, str):
            return False
        expected = self._sign(fields, key=self._key_of(purpose))
        return hmac.compare_digest(signature.encode("utf-8"), expected.encode("ascii"))

    def expiry(self) -> int:
        """The Unix time until which something signed now may be used."""
        return int(self._clock()) + self._lifetime

    def expired(self, expires: int) -> bool:
        return expires < self._clock()

    def _key_of(self, purpose: str | None) -> bytes:
        if purpose is None:
            return self._key
        return hmac.new(self._key, purpose.encode("utf-8"), hashlib.sha256).digest()

    def _sign(self, fields: Mapping[str, Any], *, key: bytes | None = None) -> str:
        canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        digest = hmac.new(key or self._key, canonical.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


_FIELDS = ("offerId", "tenant", "person", "conversation", "command", "channelId", "channelName", "expires")


def _typed(fields: Mapping[str, Any]) -> bool:
    expires = fields["expires"]
    strings = all(isinstance(value, str) for name, value in fields.items() if name != "expires")
    return strings and isinstance(expires, int) and not isinstance(expires, bool)


def upload_allowed(url: str, *, local_http: bool) -> bool:
    """Whether a file may be put at ``url``: ``https`` on a Microsoft upload host (:data:`UPLOAD_HOSTS`).

    ``local_http``: with authentication off (local development) also plain ``http`` to this machine;
    never anywhere else, and never an address (loopback, private, link-local or public) in place of a host.
    """
    try:
        parsed = URL(url)
    except (TypeError, ValueError):
        return False
    host = (parsed.host or "").lower().rstrip(".")
    if not parsed.absolute or not host or parsed.user is not None or parsed.password is not None:
        return False
    if parsed.scheme == "http":
        return local_http and is_loopback(host)
    if parsed.scheme != "https" or parsed.port not in (None, 443):
        return False
    return any(host.endswith("." + allowed) for allowed in UPLOAD_HOSTS)


def consent_activity(text: str, attachment: Attachment, *, offer: Offer, consents: Consents) -> JsonDict:
    """The message asking to save the file to the person's OneDrive."""
    context = consents.context(offer)
    card = {
        "contentType": CONSENT,
        "name": attachment.filename,
        "content": {
            "description": f"{attachment.filename} — your Customer Moment export",
            "sizeInBytes": len(attachment.content.encode("utf-8")),
            "acceptContext": context,
            "declineContext": context,
        },
    }
    return message(text, [card])


def upload_info(value: object) -> JsonDict:
    info = value.get("uploadInfo") if isinstance(value, Mapping) else None
    return dict(info) if isinstance(info, Mapping) else {}


def info_activity(info: Mapping[str, Any]) -> JsonDict:
    """The card that opens the uploaded file."""
    card = {
        "contentType": INFO,
        "contentUrl": text_of(info, "contentUrl"),
        "name": text_of(info, "name"),
        "content": {"uniqueId": text_of(info, "uniqueId"), "fileType": text_of(info, "fileType")},
    }
    return message(attachments=[card])


async def upload(session: aiohttp.ClientSession, url: str, content: bytes) -> None:
    """Put the file into the upload session Teams opened in the person's OneDrive (never following a redirect)."""
    headers = {"Content-Length": str(len(content)), "Content-Range": f"bytes 0-{len(content) - 1}/{len(content)}"}
    async with session.put(
        url, data=content, headers=headers, timeout=UPLOAD_TIMEOUT, allow_redirects=False
    ) as response:
        if response.status >= 300:
            raise aiohttp.ClientResponseError(
                response.request_info, response.history, status=response.status, message="upload refused"
            )
