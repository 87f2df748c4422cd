"""botbuilder wiring: the CloudAdapter built from settings, and connectors reached from a turn.

Authentication follows the settings: with ``MICROSOFT_APP_ID`` set, every request must carry a valid
Bot Framework token (401 otherwise) and outgoing calls are signed; without it authentication is off —
for local development with the Bot Framework Emulator only.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from botbuilder.core import BotAdapter, CloudAdapterBase, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botframework.connector import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)

from adapters.settings import Settings, SettingsError
from adapters.teams.connector import Backoff, TeamsConnector
from adapters.teams.outbox import Connectors

logger = logging.getLogger(__name__)

RAW_ACTIVITY = "customer_moment.activity"  # turn state key: the activity exactly as Teams sent it


@dataclass(frozen=True, slots=True)
class ConnectorOptions:
    backoff: Backoff = field(default_factory=Backoff)
    timeout: float = 15.0  # seconds per Bot Connector call


class BotConfig:
    """The configuration object ``ConfigurationBotFrameworkAuthentication`` reads (attribute names fixed)."""

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.microsoft_app_id.strip()
        self.APP_PASSWORD = settings.microsoft_app_password
        self.APP_TYPE = settings.microsoft_app_type
        self.APP_TENANTID = settings.microsoft_app_tenant_id.strip()


def check(settings: Settings) -> None:
    """Refuse settings the SDK would only trip over later, naming the variable to fix."""
    app_id, kind = settings.microsoft_app_id.strip(), settings.microsoft_app_type
    if not app_id:
        if kind != "MultiTenant":
            raise SettingsError(f"MICROSOFT_APP_ID: required with MICROSOFT_APP_TYPE={kind}")
        return
    if kind in ("SingleTenant", "UserAssignedMSI") and not settings.microsoft_app_tenant_id.strip():
        raise SettingsError(f"MICROSOFT_APP_TENANT_ID: required with MICROSOFT_APP_TYPE={kind}")
    if kind != "UserAssignedMSI" and not settings.microsoft_app_password:
        raise SettingsError(f"MICROSOFT_APP_PASSWORD: required with MICROSOFT_APP_ID and MICROSOFT_APP_TYPE={kind}")


def _app_id(claims: ClaimsIdentity | None) -> str:
    """The bot's own app id a turn acts as (the token's audience; the emulator's appid claim)."""
    if claims is None:
        return ""
    value = claims.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM) or claims.get_claim_value(
        AuthenticationConstants.APP_ID_CLAIM
    )
    return str(value or "")


class _Clients:
    """Connector clients by (app id, service URL, audience), least recently used dropped first."""

    def __init__(self, capacity: int) -> None:
        self._clients: OrderedDict[tuple[str, str, str], ConnectorClient] = OrderedDict()
        self._capacity = capacity

    def get(self, key: tuple[str, str, str]) -> ConnectorClient | None:
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
        return client

    def put(self, key: tuple[str, str, str], client: ConnectorClient) -> None:
        self._clients[key] = client
        while len(self._clients) > self._capacity:
            self._clients.popitem(last=False)


class _ReusedConnectors(ConnectorFactory):  # type: ignore[misc]
    def __init__(self, inner: ConnectorFactory, *, app_id: str, clients: _Clients) -> None:
        self._inner = inner
        self._app_id = app_id
        self._clients = clients

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        # No audience means the factory's own default one: a key of its own, never mixed with an explicit one.
        key = (self._app_id, service_url.rstrip("/"), audience or "")
        client = self._clients.get(key)
        if client is None:
            client = await self._inner.create(service_url, audience)
            self._clients.put(key, client)
        return client


class ReusingAuthentication(ConfigurationBotFrameworkAuthentication):  # type: ignore[misc]
    """The SDK's authentication, keeping the outgoing clients it builds instead of building them per activity.

    ``CloudAdapter`` makes a new ``ConnectorClient`` and a new ``UserTokenClient`` for every incoming
    activity; each builds an msrest configuration and a ``requests`` session, which costs milliseconds of
    CPU and a fresh TCP connection per reply. The clients hold only the app's credentials (which renew
    their own tokens) and the service URL, so one per app id, service URL and audience serves every
    turn — as botbuilder's older ``BotFrameworkAdapter`` cached them too.
    """

    def __init__(self, config: BotConfig, *, capacity: int = 64) -> None:
        super().__init__(config)
        self._clients = _Clients(capacity)
        self._token_clients: dict[str, UserTokenClient] = {}

    def _reusing(self, factory: ConnectorFactory | None, claims: ClaimsIdentity | None) -> ConnectorFactory | None:
        if factory is None:
            return None
        return _ReusedConnectors(factory, app_id=_app_id(claims), clients=self._clients)

    async def authenticate_request(self, activity: Any, auth_header: str) -> AuthenticateRequestResult:
        result = await super().authenticate_request(activity, auth_header)
        result.connector_factory = self._reusing(result.connector_factory, result.claims_identity)
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self._reusing(super().create_connector_factory(claims_identity), claims_identity)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        key = _app_id(claims_identity)
        client = self._token_clients.get(key)
        if client is None:
            client = await super().create_user_token_client(claims_identity)
            self._token_clients[key] = client
        return client


def make_adapter(settings: Settings) -> Any:
    check(settings)
    if not settings.microsoft_app_id.strip():
        logger.warning("Teams authentication is OFF (no MICROSOFT_APP_ID): use this only for local development")
    return CloudAdapter(ReusingAuthentication(BotConfig(settings)))


def turn_connectors(turn_context: TurnContext, options: ConnectorOptions) -> Connectors:
    """Connectors with this turn's credentials: its own service URL, or another one when needed."""
    client = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
    factory = turn_context.turn_state.get(CloudAdapterBase.CONNECTOR_FACTORY_KEY)
    audience = turn_context.turn_state.get(BotAdapter.BOT_OAUTH_SCOPE_KEY)
    made: dict[str, TeamsConnector] = {}

    async def connector(service_url: str) -> TeamsConnector:
        key = service_url.rstrip("/")
        if key not in made:
            if client is not None and str(client.config.base_url).rstrip("/") == key:
                raw = client
            elif factory is not None:
                raw = await factory.create(service_url, audience)
            else:
                raise ValueError("this turn has no way to reach the Bot Connector")
            made[key] = TeamsConnector(raw, backoff=options.backoff, timeout=options.timeout)
        return made[key]

    return connector


def raw_activity(turn_context: TurnContext) -> dict[str, Any]:
    raw = turn_context.turn_state.get(RAW_ACTIVITY)
    if isinstance(raw, dict):
        return raw
    # A turn the endpoint did not start (a proactive one): the SDK's view is all there is.
    serialized: dict[str, Any] = turn_context.activity.serialize()
    return serialized
