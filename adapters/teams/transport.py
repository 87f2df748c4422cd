"""What every outgoing Teams call of one surface shares: one HTTP session and the token cache.

The session is opened on first use, inside the running loop (an aiohttp session belongs to the loop
it was made in), and closed with the surface. Its connection pool keeps the TCP (and TLS)
connections to the Bot Connector open between turns.

It also holds the rule for where Bot Connector calls may go (:class:`ServiceUrls`): a service URL comes
from an activity or from a conversation reference stored long ago, so it is checked on every call
(:class:`adapters.teams.connector.TeamsConnector` refuses before any token is fetched or sent).

``HTTP(S)_PROXY`` / ``NO_PROXY`` apply as they did when botbuilder sent through ``requests``, worked out
once per host here: aiohttp's own ``trust_env`` reads ``~/.netrc`` in a thread on every request.
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass

import aiohttp
from yarl import URL

from adapters.settings import Settings, is_loopback, service_url_hosts
from adapters.teams.tokens import TokenCache

# Where the public cloud's Bot Connector answers Teams: smba.trafficmanager.net (one host, regional paths),
# GCC's smba.infra.gcc.teams.microsoft.com, and the Bot Framework's own *.botframework.com. GCC High
# (smba.infra.gov.teams.microsoft.us) and DoD (smba.infra.dod.teams.microsoft.us) are added by setting.
DEFAULT_SERVICE_HOSTS = ("smba.trafficmanager.net", "smba.infra.gcc.teams.microsoft.com", "botframework.com")


@dataclass(frozen=True, slots=True)
class ServiceUrls:
    """Which service URLs Bot Connector calls may go to.

    With authentication on: ``https`` on a known host (or a subdomain of one), or one of the exact
    ``origins`` the operator listed. Without authentication (the Emulator): only this machine.
    """

    loopback_only: bool
    hosts: tuple[str, ...] = DEFAULT_SERVICE_HOSTS
    origins: frozenset[tuple[str, str, int]] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceUrls:
        if not settings.microsoft_app_id.strip():
            return cls(loopback_only=True, hosts=())
        extra_hosts, origins = service_url_hosts(settings.teams_service_url_hosts)
        return cls(loopback_only=False, hosts=(*DEFAULT_SERVICE_HOSTS, *extra_hosts), origins=origins)

    def allows(self, service_url: str) -> bool:
        try:
            url = URL(service_url)
        except (TypeError, ValueError):
            return False
        host = (url.host or "").lower().rstrip(".")
        if not url.absolute or not host or url.user or url.password or url.scheme not in ("http", "https"):
            return False
        if self.loopback_only:
            return is_loopback(host)
        if (url.scheme, host, url.port) in self.origins:
            return True
        return url.scheme == "https" and any(host == h or host.endswith("." + h) for h in self.hosts)


class Transport:
    def __init__(self, *, service_urls: ServiceUrls, tokens: TokenCache | None = None) -> None:
        self.service_urls = service_urls
        self.tokens = tokens or TokenCache()
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}

    def session(self) -> aiohttp.ClientSession:
        """The shared session (call from a coroutine: it is made in the running loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    def proxy(self, url: URL) -> str | None:
        """The proxy the environment names for this URL's scheme and host, if any."""
        key = (url.scheme, url.host or "")
        if key not in self._proxies:
            proxy = urllib.request.getproxies().get(url.scheme)
            bypass = not key[1] or bool(urllib.request.proxy_bypass(key[1]))
            self._proxies[key] = None if bypass else proxy
        return self._proxies[key]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
