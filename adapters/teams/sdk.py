"""botbuilder wiring: the CloudAdapter built from settings, and connectors reached from a turn.

Authentication follows the settings: with ``MICROSOFT_APP_ID`` set, every request must carry a valid
Bot Framework token (401 otherwise) and outgoing calls are signed; without it (and with
``TEAMS_DEV_NO_AUTH``) authentication is off — for local development with the Bot Framework Emulator only.

The SDK still decides the service URL and the credentials a turn acts with (the ``ConnectorClient`` it
hands the turn); the calls themselves go through :class:`TeamsConnector` over the surface's aiohttp
session, signed with tokens from those credentials.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from botbuilder.core import BotAdapter, CloudAdapterBase, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botframework.connector import ConnectorClient
from botframework.connector.about import __version__ as CONNECTOR_VERSION
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    ClaimsIdentity,
    ConnectorFactory,
    ServiceClientCredentialsFactory,
    UserTokenClient,
)

from adapters.settings import Settings, SettingsError
from adapters.teams.connector import Backoff, Sign, TeamsConnector
from adapters.teams.outbox import Connectors
from adapters.teams.tokens import TokenCache
from adapters.teams.transport import Transport

logger = logging.getLogger(__name__)

RAW_ACTIVITY = "customer_moment.activity"  # turn state key: the activity exactly as Teams sent it
# What botbuilder's connector factory announces, minus msrest (which no longer carries the calls).
USER_AGENT = f"Microsoft-BotFramework/3.1 (BotBuilder Python/{CONNECTOR_VERSION}) aiohttp/{aiohttp.__version__}"


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
    activity; each builds an msrest configuration and credentials, which costs milliseconds of CPU per
    turn. The clients hold only the app's credentials and the service URL, so one per app id, service
    URL and audience serves every turn — as botbuilder's older ``BotFrameworkAdapter`` cached them too.
    ``credentials`` replaces the factory the settings imply (another token source).
    """

    def __init__(
        self, config: BotConfig, *, capacity: int = 64, credentials: ServiceClientCredentialsFactory | None = None
    ) -> None:
        super().__init__(config, credentials_factory=credentials)
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


def make_adapter(settings: Settings, *, credentials: ServiceClientCredentialsFactory | None = None) -> Any:
    check(settings)
    if not settings.microsoft_app_id.strip():
        logger.warning(
            "Teams authentication is OFF (TEAMS_DEV_NO_AUTH, no MICROSOFT_APP_ID): anyone who can reach "
            "/api/messages can talk to the bot; replies go only to this machine. Local development only."
        )
    return CloudAdapter(ReusingAuthentication(BotConfig(settings), credentials=credentials))


def signer(credentials: Any, tokens: TokenCache) -> Sign | None:
    """Bearer tokens from a botframework ``AppCredentials``; None when it signs nothing (auth off)."""
    app_id = getattr(credentials, "microsoft_app_id", None)
    # As AppCredentials._should_set_token: no app id (emulator) or an anonymous skill sends no token.
    if not app_id or app_id == AuthenticationConstants.ANONYMOUS_SKILL_APP_ID:
        return None
    key: Hashable = (
        type(credentials).__qualname__,
        app_id,
        str(getattr(credentials, "oauth_endpoint", "")),
        str(getattr(credentials, "oauth_scope", "")),
    )

    def fetch(force_refresh: bool) -> str:
        return str(credentials.get_access_token(force_refresh=force_refresh))

    async def sign(rejected: str | None) -> str | None:
        return await tokens.token(key, fetch, rejected=rejected)

    return sign


def connector_for(client: ConnectorClient, options: ConnectorOptions, transport: Transport) -> TeamsConnector:
    """A connector to the client's service URL, acting with the client's credentials."""
    return TeamsConnector(
        service_url=str(client.config.base_url),
        session=transport.session,
        proxy=transport.proxy,
        sign=signer(client.config.credentials, transport.tokens),
        allowed=transport.service_urls.allows,
        user_agent=USER_AGENT,
        backoff=options.backoff,
        timeout=options.timeout,
    )


def turn_connectors(turn_context: TurnContext, options: ConnectorOptions, transport: Transport) -> Connectors:
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
            made[key] = connector_for(raw, options, transport)
        return made[key]

    return connector


def raw_activity(turn_context: TurnContext) -> dict[str, Any]:
    raw = turn_context.turn_state.get(RAW_ACTIVITY)
    if isinstance(raw, dict):
        return raw
    # A turn the endpoint did not start (a proactive one): the SDK's view is all there is.
    serialized: dict[str, Any] = turn_context.activity.serialize()
    return serialized
