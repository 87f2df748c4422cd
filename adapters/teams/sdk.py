"""botbuilder wiring: the CloudAdapter built from settings, and connectors reached from a turn.

Authentication follows the settings: with ``MICROSOFT_APP_ID`` set, every request must carry a valid
Bot Framework token (401 otherwise) and outgoing calls are signed; without it authentication is off —
for local development with the Bot Framework Emulator only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from botbuilder.core import BotAdapter, CloudAdapterBase, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

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


def make_adapter(settings: Settings) -> Any:
    check(settings)
    if not settings.microsoft_app_id.strip():
        logger.warning("Teams authentication is OFF (no MICROSOFT_APP_ID): use this only for local development")
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(BotConfig(settings)))


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
