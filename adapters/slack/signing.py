"""Is this HTTP request from Slack? The signature check, done before anything reads the body.

Bolt checks signatures too, but it hands the timestamp header to ``int()`` unchecked (``abc`` or
``1e3`` raised, and the request got a 500 with a traceback) and it logs the whole body of every
request whose signature fails. This check runs first: a request that is not signed by Slack gets a
401 and a log line naming only what was wrong, never anything it carried. Bolt's own check then
runs on requests that passed this one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Mapping

from slack_sdk.signature import SignatureVerifier

logger = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
# Whole seconds since the epoch, in ASCII digits; twelve digits reach the year 33658.
TIMESTAMP = re.compile(r"[0-9]{1,12}")
MAX_AGE_SECONDS = 5 * 60  # as slack_sdk
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class SlackSignature:
    """Verifies ``v0`` signatures with the app's signing secret; an empty secret verifies nothing."""

    def __init__(self, signing_secret: str) -> None:
        self._secret = signing_secret
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None

    def problem(self, body: bytes, headers: Mapping[str, str]) -> str | None:
        """Why the request is not from Slack (for the log), or None when its signature holds."""
        if self._verifier is None:
            return "no signing secret is configured"
        timestamp = headers.get(TIMESTAMP_HEADER, "")
        signature = headers.get(SIGNATURE_HEADER, "")
        if not TIMESTAMP.fullmatch(timestamp):
            return "the timestamp header is missing or not a whole number"
        if not SIGNATURE.fullmatch(signature):
            return "the signature header is missing or malformed"
        try:
            text: str | bytes = body.decode("utf-8")
        except UnicodeDecodeError:
            # slack_sdk decodes bytes as UTF-8 to sign them; such a body is refused later (400) if signed.
            return _raw_problem(self._secret, body, timestamp, signature)
        # slack_sdk compares in constant time and refuses timestamps more than five minutes off.
        if not self._verifier.is_valid(text, timestamp, signature):
            return "the signature does not match, or the timestamp is too old"
        return None


def _raw_problem(secret: str, body: bytes, timestamp: str, signature: str) -> str | None:
    """The same check over bytes that are not text: Slack's v0 scheme is an HMAC over the raw body."""
    if abs(time.time() - int(timestamp)) > MAX_AGE_SECONDS:
        return "the timestamp is too old"
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "the signature does not match"
    return None
