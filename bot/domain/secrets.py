"""Secrets kept in the database (calendar feed addresses, tokens): encrypted with Fernet, shown masked.

``ENCRYPTION_KEY`` holds one or more comma-separated Fernet keys: the first encrypts, every one of them
decrypts, so a new key can be put first and the old one kept until everything was re-encrypted.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["SecretBox", "SecretError", "mask_url"]


class SecretError(ValueError):
    """A key is malformed, or a stored secret cannot be decrypted with any of the keys."""


class SecretBox:
    """Encrypts and decrypts short secrets with the keys of ``ENCRYPTION_KEY``."""

    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise SecretError("ENCRYPTION_KEY is empty; generate a key with cryptography's Fernet.generate_key().")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in parts])
        except (ValueError, TypeError):
            raise SecretError("ENCRYPTION_KEY: each key must be a Fernet key (32 url-safe base64 bytes).") from None

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretError("a stored secret cannot be decrypted with any key of ENCRYPTION_KEY") from None

    def rotate(self, token: str) -> str:
        """The same secret, encrypted with the first key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise SecretError("a stored secret cannot be decrypted with any key of ENCRYPTION_KEY") from None


def mask_url(url: str) -> str:
    """What may be shown of a secret address: scheme and host only, e.g. ``https://calendar.google.com/…``."""
    try:
        parsed = urlsplit(url.strip())
        host = parsed.hostname
    except ValueError:
        return "…"
    if not host:
        return "…"
    return f"{parsed.scheme}://{host}/…"
