"""`customer-moment check`: settings, database, migrations and credential shapes, one line per problem."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator

from sqlalchemy.engine import make_url

from adapters.settings import Settings, service_url_hosts
from bot.runtime import schema_state
from bot.secrets import GENERATE

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
SLACK_CLIENT_ID = re.compile(r"^\d+\.\d+$")


def credential_problems(settings: Settings) -> Iterator[str]:
    """Shape checks that need no network: catch pasted-into-the-wrong-variable mistakes."""
    s = settings
    if s.slack_signing_secret and not HEX32.match(s.slack_signing_secret):
        yield "SLACK_SIGNING_SECRET: expected 32 hex characters; copy it from Basic Information → App Credentials."
    if (s.slack_bot_token or s.slack_client_id or s.slack_app_token) and not s.slack_signing_secret:
        yield "SLACK_SIGNING_SECRET: missing; serve refuses Slack over HTTP without it (only --socket-mode does not)."
    if s.slack_bot_token and not s.slack_bot_token.startswith("xoxb-"):
        yield "SLACK_BOT_TOKEN: expected a bot token starting with xoxb- (OAuth & Permissions → Bot User OAuth Token)."
    if s.slack_app_token and not s.slack_app_token.startswith("xapp-"):
        yield "SLACK_APP_TOKEN: expected an app-level token starting with xapp- with the connections:write scope."
    if bool(s.slack_client_id) != bool(s.slack_client_secret):
        yield "SLACK_CLIENT_ID / SLACK_CLIENT_SECRET: set both for multi-workspace install (Basic Information)."
    if s.slack_client_id and not SLACK_CLIENT_ID.match(s.slack_client_id):
        yield "SLACK_CLIENT_ID: expected digits.digits, e.g. 1234567890.1234567890 (Basic Information)."
    if s.slack_client_secret and not HEX32.match(s.slack_client_secret):
        yield "SLACK_CLIENT_SECRET: expected 32 hex characters (Basic Information → App Credentials)."
    if s.slack_bot_token and s.slack_client_id:
        yield "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: choose single-workspace (token) or OAuth install."
    if s.slack_client_id and not s.encryption_key:
        yield f"ENCRYPTION_KEY: missing; OAuth installs keep Slack tokens encrypted with it. Generate one: {GENERATE}"
    if s.microsoft_app_id and not GUID.match(s.microsoft_app_id):
        yield "MICROSOFT_APP_ID: expected a GUID, the Azure Bot's Microsoft App ID."
    if s.microsoft_app_id and not s.microsoft_app_password and s.microsoft_app_type != "UserAssignedMSI":
        yield "MICROSOFT_APP_PASSWORD: missing; create a client secret for the bot's app registration."
    if s.microsoft_app_password and not s.microsoft_app_id:
        yield "MICROSOFT_APP_ID: missing while MICROSOFT_APP_PASSWORD is set; without an id, Teams is not served."
    if s.teams_dev_no_auth:
        yield (
            "TEAMS_DEV_NO_AUTH: on; Teams is served without authentication (Emulator only). "
            "Never in production: set MICROSOFT_APP_ID instead."
        )
    if s.microsoft_app_id and s.teams_dev_no_auth:
        yield "TEAMS_DEV_NO_AUTH: ignored while MICROSOFT_APP_ID is set (authentication stays on); remove it."
    if any(scheme == "http" for scheme, _, _ in service_url_hosts(s.teams_service_url_hosts)[1]):
        yield (
            "TEAMS_SERVICE_URL_HOSTS: lists an http:// origin; Teams tokens would go to it unencrypted. "
            "Tests only: list https hosts in production."
        )
    if s.calendar_allow_insecure:
        yield "CALENDAR_ALLOW_INSECURE: on; feeds may be read over http:// and from this machine. Never in production."
    if s.microsoft_app_type == "SingleTenant" and not GUID.match(s.microsoft_app_tenant_id or ""):
        yield "MICROSOFT_APP_TENANT_ID: a SingleTenant bot needs its directory (tenant) id, a GUID."


async def database_problems(settings: Settings) -> list[str]:
    url = make_url(settings.database_url)
    where = url.database if url.get_backend_name() == "sqlite" else f"{url.host}:{url.port or 5432}/{url.database}"
    try:
        state = await schema_state(settings.database_url)
    except Exception as exc:  # any connection failure is reported, not raised
        return [f"DATABASE_URL: cannot reach the database at {where} ({type(exc).__name__}); is it running?"]
    if not state.up_to_date:
        return [
            f"DATABASE_URL: schema is at {state.current or 'nothing'}, this version needs {state.head}; "
            "run `customer-moment migrate`."
        ]
    return []


# The modules `serve` imports for each surface; a broken install shows up here instead of as a traceback there.
SURFACE_MODULES = {"slack": "adapters.slack.surface", "teams": "adapters.teams.surface"}


def _missing(module: str) -> str | None:
    """Why ``module`` cannot be imported, or None when it can."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        return str(exc)
    return None


def surfaces(settings: Settings) -> tuple[list[str], list[str]]:
    """The surfaces `serve` runs with these settings, and one problem line for each that cannot run here."""
    wanted = ["slack"] if settings.slack_enabled else []
    if settings.teams_enabled:  # MICROSOFT_APP_ID, or TEAMS_DEV_NO_AUTH for the Emulator
        wanted.append("teams")
    running, problems = ["console"], []
    for surface in wanted:
        reason = _missing(SURFACE_MODULES[surface])
        if reason is None:
            running.append(surface)
        else:
            problems.append(
                f"{surface.title()} support cannot be loaded ({reason}); reinstall: pip install customer-moment"
            )
    if "teams" in running and not settings.microsoft_app_id.strip():
        running[running.index("teams")] = "teams (authentication off, local development only)"
    elif "teams" in running and not settings.public_url:
        running[running.index("teams")] = "teams (without PUBLIC_URL: no in-meeting notifications, no tab pages)"
    return running, problems


async def check(settings: Settings) -> int:
    running, surface_problems = surfaces(settings)
    problems = [*credential_problems(settings), *surface_problems, *await database_problems(settings)]
    for problem in problems:
        print(problem)
    if not problems:
        print(f"All good: database reachable and migrated; surfaces: {', '.join(running)}.")
    return 1 if problems else 0
