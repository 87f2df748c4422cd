"""Bot Framework credentials whose tokens are issued here instead of by Entra ID.

Given to the Teams surface through botbuilder's own extension point (a ``ServiceClientCredentialsFactory``),
so everything between the SDK's credentials and the fake connector runs as in production: the surface
asks the credentials for a token, and the fake connector sees what was sent. :class:`TokenIssuer`
records every request for a token (and whether it forced a refresh) and can hold requests back until
the test lets them through.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from botframework.connector.auth import AppCredentials, ServiceClientCredentialsFactory


@dataclass(slots=True)
class TokenIssuer:
    app_id: str
    requests: list[bool] = field(default_factory=list)  # force_refresh of each token request
    open: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.open.set()

    def issue(self, force_refresh: bool) -> str:
        """Blocks (as msal does) while the issuer is held back; every token is new."""
        self.open.wait(timeout=30)
        with self._lock:
            self.requests.append(force_refresh)
            return f"token-{len(self.requests)}"

    @property
    def latest(self) -> str:
        return f"token-{len(self.requests)}"


class IssuedCredentials(AppCredentials):  # type: ignore[misc]
    def __init__(self, issuer: TokenIssuer, app_id: str, oauth_scope: str | None) -> None:
        super().__init__(app_id=app_id, oauth_scope=oauth_scope)
        self._issuer = issuer

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self._issuer.issue(force_refresh)


class IssuedCredentialsFactory(ServiceClientCredentialsFactory):  # type: ignore[misc]
    def __init__(self, issuer: TokenIssuer) -> None:
        self.issuer = issuer

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == self.issuer.app_id

    async def is_authentication_disabled(self) -> bool:
        return False

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        return IssuedCredentials(self.issuer, app_id, oauth_scope)
