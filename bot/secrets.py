"""Secrets at rest: short texts (tokens, private URLs) sealed with the operator's ``ENCRYPTION_KEY``.

``cryptography``'s Fernet (AES-128-CBC with HMAC-SHA256, authenticated) does the work; this module
only reads the keys and names the operations. ``ENCRYPTION_KEY`` holds one key or several separated
by commas, to rotate: the first seals, every one of them opens, and :meth:`SecretBox.reseal` moves a
value sealed under an older key to the first. Generate a key with :func:`new_key`
(``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``).

Every feature that keeps a secret in the database uses one box built from the setting, so that one
key and one rotation cover them all.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# Fernet tokens are URL-safe base64 of a version byte 0x80 and a timestamp: they all begin so. No
# platform token does (Slack's start with "xox"), which tells a sealed value from one stored in clear.
SEALED_PREFIX = "gAAAAA"
GENERATE = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'


class SecretUnreadable(Exception):
    """A sealed value that none of the configured keys opens (a key was removed too early, or altered data)."""


def new_key() -> str:
    """A fresh random key for ``ENCRYPTION_KEY``."""
    return Fernet.generate_key().decode("ascii")


def parse_keys(value: str) -> list[str]:
    """The keys of an ``ENCRYPTION_KEY`` value, first one first; raises ``ValueError`` naming what is wrong."""
    keys = [part.strip() for part in value.split(",") if part.strip()]
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise ValueError(
                f"key {number} is not a Fernet key (32 url-safe base64-encoded bytes); generate one with: {GENERATE}"
            ) from None
    return keys


class SecretBox:
    """Seals and opens short secrets with the configured keys."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        fernets = [Fernet(key.encode("ascii")) for key in keys]
        self._primary = fernets[0]
        self._all = MultiFernet(fernets)

    @classmethod
    def from_setting(cls, value: str) -> SecretBox | None:
        """The box for an ``ENCRYPTION_KEY`` value, or None when it is empty."""
        keys = parse_keys(value)
        return cls(keys) if keys else None

    @staticmethod
    def is_sealed(value: str) -> bool:
        return value.startswith(SEALED_PREFIX)

    def seal(self, plain: str) -> str:
        """The value sealed with the first key; a value already sealed is returned as it is."""
        if self.is_sealed(plain):
            return plain
        return self._primary.encrypt(plain.encode("utf-8")).decode("ascii")

    def open(self, value: str) -> str:
        """The plain text of a sealed value (a value stored in clear is returned as it is)."""
        if not self.is_sealed(value):
            return value
        try:
            return self._all.decrypt(value.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise SecretUnreadable("a stored secret cannot be opened with any key in ENCRYPTION_KEY") from None

    def reseal(self, value: str) -> str:
        """A value sealed with the first key: clear text is sealed, one sealed under an older key re-sealed."""
        if not self.is_sealed(value):
            return self.seal(value)
        try:
            self._primary.decrypt(value.encode("ascii"))
            return value
        except InvalidToken:
            pass
        try:
            return self._all.rotate(value.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise SecretUnreadable("a stored secret cannot be opened with any key in ENCRYPTION_KEY") from None
