"""Bot Framework channel tokens (the ones Teams sends *to* the bot), signed here with a local key set.

botbuilder validates an incoming token against the signing keys its OpenID metadata names, fetched from
``login.botframework.com`` and cached per metadata URL (``JwtTokenExtractor.metadataCache``). A
:class:`ChannelKeys` puts a key set of its own in that cache for the test's duration, so everything
after the header — issuer, signature, expiry, endorsements, audience, ``serviceurl`` claim — is checked by
the SDK exactly as in production, without the network. Each key carries the channels that endorse it,
as Microsoft's key set does.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from botframework.connector.auth import AuthenticationConstants, JwtTokenExtractor
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CHANNEL_ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
METADATA_URL = AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL


@dataclass(frozen=True, slots=True)
class _SigningKey:
    public_key: Any
    endorsements: list[str]


@dataclass(slots=True)
class _LocalMetadata:
    """Stands where botbuilder keeps the fetched key set: ``get(kid)`` → key and its endorsements."""

    keys: dict[str, _SigningKey] = field(default_factory=dict)

    async def get(self, key_id: str) -> _SigningKey | None:
        return self.keys.get(key_id)


class ChannelKeys:
    """Local signing keys, each endorsed by some channels; :meth:`token` issues a signed channel token."""

    def __init__(self) -> None:
        self._private: dict[str, rsa.RSAPrivateKey] = {}
        self._metadata = _LocalMetadata()

    def add(self, kid: str, *, endorsements: tuple[str, ...] = ("msteams",)) -> None:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._private[kid] = private
        jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
        self._metadata.keys[kid] = _SigningKey(RSAAlgorithm.from_jwk(json.dumps(jwk)), list(endorsements))

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make botbuilder validate channel tokens against these keys (undone with the monkeypatch)."""
        monkeypatch.setitem(JwtTokenExtractor.metadataCache, METADATA_URL, self._metadata)

    def token(
        self,
        *,
        audience: str,
        service_url: str,
        kid: str = "teams",
        issuer: str = CHANNEL_ISSUER,
        lifetime: float = 3600.0,
        **claims: Any,
    ) -> str:
        """``Bearer …`` for the Authorization header; a negative ``lifetime`` issues an expired token."""
        now = int(time.time())
        payload = {
            "iss": issuer,
            "aud": audience,
            "serviceurl": service_url,
            "iat": now - 60,
            "nbf": now - 60,
            "exp": now + int(lifetime),
            **claims,
        }
        signed = jwt.encode(payload, self._private[kid], algorithm="RS256", headers={"kid": kid})
        return f"Bearer {signed}"
