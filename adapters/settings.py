"""Settings for every surface, read from environment variables and an optional `.env` file."""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.secrets import parse_keys

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./customer_moment.db"
METRICS_TOKEN_MIN = 24
_HOST_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")


class SettingsError(Exception):
    """Settings that cannot be used; the message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    log_format: Literal["text", "json"] = Field(default="text", alias="LOG_FORMAT")

    host: str = Field(default="0.0.0.0", alias="HOST")
    port: int = Field(default=3000, alias="PORT", ge=1, le=65535)
    max_body_bytes: int = Field(default=512 * 1024, alias="MAX_BODY_BYTES", ge=1024)
    serve_processes: int = Field(default=1, alias="SERVE_PROCESSES", ge=1, le=64)
    # How long an answer may wait for a slot before the person is told the bot is busy
    # (adapters/http/overload.py). An answer sent after its acknowledgement waits after up to 1 s of giving
    # way to acknowledgements, so at most 2 s: the busy answer must reach the person within Slack's 3 s even
    # on a loaded process. A command whose acknowledgement waits to carry its answer waits no longer than
    # that acknowledgement can (under half a second), and never longer than this.
    answer_wait_seconds: float = Field(default=1.0, alias="ANSWER_WAIT_SECONDS", gt=0, le=2.0)

    slack_signing_secret: str = Field(default="", alias="SLACK_SIGNING_SECRET")
    slack_bot_token: str = Field(default="", alias="SLACK_BOT_TOKEN")
    slack_client_id: str = Field(default="", alias="SLACK_CLIENT_ID")
    slack_client_secret: str = Field(default="", alias="SLACK_CLIENT_SECRET")
    slack_state_secret: str = Field(default="", alias="SLACK_STATE_SECRET")
    slack_app_token: str = Field(default="", alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")

    microsoft_app_id: str = Field(default="", alias="MICROSOFT_APP_ID")
    microsoft_app_password: str = Field(default="", alias="MICROSOFT_APP_PASSWORD")
    microsoft_app_tenant_id: str = Field(default="", alias="MICROSOFT_APP_TENANT_ID")
    microsoft_app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = Field(
        default="MultiTenant", alias="MICROSOFT_APP_TYPE"
    )

    # Local development with the Bot Framework Emulator only: serve Teams without authentication (and
    # talk only to service URLs on this machine). `check` fails while it is on.
    teams_dev_no_auth: bool = Field(default=False, alias="TEAMS_DEV_NO_AUTH")
    # Bot Framework service URL hosts beyond the public cloud's, comma-separated (see service_url_hosts).
    teams_service_url_hosts: str = Field(default="", alias="TEAMS_SERVICE_URL_HOSTS")
    # The server's public https:// address, as Teams reaches it: the Teams tab's pages and the page an
    # in-meeting notification opens live there (and `teams-package` puts it in the manifest).
    public_url: str = Field(default="", alias="PUBLIC_URL")

    # `/metrics` is served only with this set, to callers presenting it as `Authorization: Bearer <token>`.
    metrics_token: str = Field(default="", alias="METRICS_TOKEN", repr=False)

    # One Fernet key, or several separated by commas to rotate (the first encrypts, all decrypt).
    encryption_key: str = Field(default="", alias="ENCRYPTION_KEY", repr=False)

    scheduler_enabled: bool = Field(default=True, alias="SCHEDULER_ENABLED")
    scheduler_interval_seconds: float = Field(default=5.0, alias="SCHEDULER_INTERVAL_SECONDS", gt=0)
    scheduler_lease_seconds: float = Field(default=120.0, alias="SCHEDULER_LEASE_SECONDS", ge=1)
    scheduler_batch: int = Field(default=100, alias="SCHEDULER_BATCH", ge=1, le=1000)
    scheduler_concurrency: int = Field(default=50, alias="SCHEDULER_CONCURRENCY", ge=1, le=500)

    # Development and tests only: read calendar feeds over http:// and from loopback addresses.
    calendar_allow_insecure: bool = Field(default=False, alias="CALENDAR_ALLOW_INSECURE")

    @property
    def slack_enabled(self) -> bool:
        """Any Slack setting asks for Slack; a surface that would serve HTTP also needs the signing secret."""
        oauth = self.slack_client_id and self.slack_client_secret
        return bool(self.slack_signing_secret or self.slack_app_token or self.slack_bot_token or oauth)

    @property
    def teams_enabled(self) -> bool:
        """Teams is served with an app id (authentication on), or explicitly without one for the Emulator."""
        return bool(self.microsoft_app_id.strip()) or self.teams_dev_no_auth

    @field_validator("teams_service_url_hosts")
    @classmethod
    def _service_url_hosts(cls, value: str) -> str:
        service_url_hosts(value)
        return value.strip()

    @field_validator("public_url")
    @classmethod
    def _public_https(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value:
            parts = urlsplit(value)
            if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
                raise ValueError("use the server's public https:// address, e.g. https://moment.example.com")
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        value = value.strip()
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+asyncpg://" + value.removeprefix("postgresql://")
        if value.startswith("sqlite:///"):
            value = "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, value: str) -> str:
        value = value.strip()
        if value and (len(value) < METRICS_TOKEN_MIN or not value.isprintable() or " " in value):
            raise ValueError(
                f"use at least {METRICS_TOKEN_MIN} characters without spaces, e.g. from `openssl rand -hex 32`"
            )
        return value

    @field_validator("encryption_key")
    @classmethod
    def _fernet_keys(cls, value: str) -> str:
        parse_keys(value)
        return value.strip()

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError("use DEBUG, INFO, WARNING or ERROR")
        return level


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def service_url_hosts(value: str) -> tuple[tuple[str, ...], frozenset[tuple[str, str, int]]]:
    """``TEAMS_SERVICE_URL_HOSTS`` read: host suffixes (reached over https only) and exact origins.

    A plain entry (``smba.infra.gov.teams.microsoft.us``, ``*.gov.teams.microsoft.us``) allows that host and
    its subdomains over https. An entry with a scheme is one exact origin: ``https://host[:port]`` anywhere,
    ``http://`` only for a loopback host (a local stand-in for the Bot Connector, in tests).
    """
    hosts: list[str] = []
    origins: set[tuple[str, str, int]] = set()
    for raw in value.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if "://" in entry:
            parts = urlsplit(entry)
            try:
                port = parts.port or (443 if parts.scheme == "https" else 80)
            except ValueError:
                raise ValueError(f"{raw.strip()!r} has an invalid port") from None
            host = (parts.hostname or "").rstrip(".")
            if parts.scheme not in ("http", "https") or not host or parts.username or parts.path not in ("", "/"):
                raise ValueError(f"{raw.strip()!r}: write an origin as https://host[:port], nothing more")
            if parts.scheme == "http" and not is_loopback(host):
                raise ValueError(f"{raw.strip()!r}: http:// is allowed only for 127.0.0.1, ::1 or localhost")
            origins.add((parts.scheme, host, port))
            continue
        host = entry.removeprefix("*.").strip(".")
        if not _HOST_NAME.match(host):
            raise ValueError(f"{raw.strip()!r} is not a host name such as smba.infra.gov.teams.microsoft.us")
        hosts.append(host)
    return tuple(hosts), frozenset(origins)


def load_settings() -> Settings:
    """Read the settings, turning a validation failure into one line that names the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "settings"
            field = Settings.model_fields.get(name)
            variable = field.alias if field is not None and field.alias else name.upper()
            problems.append(f"{variable}: {error['msg'].removeprefix('Value error, ')}")
        raise SettingsError("Invalid setting " + "; ".join(problems)) from None
