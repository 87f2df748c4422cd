"""The token cache: one fetch for everyone waiting, kept for its lifetime, replaced once when refused."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

import pytest
from yarl import URL

from adapters.teams.tokens import TokenCache
from adapters.teams.transport import ServiceUrls, Transport


@dataclass(slots=True)
class Issuer:
    """A blocking token source (as msal is) that the test can hold back."""

    asked: list[bool] = field(default_factory=list)
    open: threading.Event = field(default_factory=threading.Event)

    def __call__(self, force_refresh: bool) -> str:
        self.open.wait(timeout=30)
        self.asked.append(force_refresh)
        return f"token-{len(self.asked)}"


@dataclass(slots=True)
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


async def waiting(cache: TokenCache, issuer: Issuer, count: int, *, rejected: str | None = None) -> list[str]:
    """``count`` callers asking at once, all of them waiting before the issuer answers."""
    callers = [asyncio.create_task(cache.token("app", issuer, rejected=rejected)) for _ in range(count)]
    await asyncio.sleep(0)  # every caller runs up to its wait
    issuer.open.set()
    return await asyncio.gather(*callers)


async def test_callers_asking_at_once_share_one_fetch() -> None:
    cache, issuer = TokenCache(), Issuer()
    assert await waiting(cache, issuer, 5) == ["token-1"] * 5
    assert issuer.asked == [False]


async def test_a_token_is_kept_for_its_lifetime_then_fetched_again() -> None:
    clock, issuer = Clock(), Issuer()
    issuer.open.set()
    cache = TokenCache(lifetime=240.0, clock=clock)
    assert await cache.token("app", issuer) == "token-1"
    clock.now += 239.0
    assert await cache.token("app", issuer) == "token-1"
    clock.now += 2.0
    assert await cache.token("app", issuer) == "token-2"
    assert issuer.asked == [False, False]


async def test_a_refused_token_is_replaced_by_one_forced_refresh_for_all_who_saw_it_refused() -> None:
    cache, issuer = TokenCache(), Issuer()
    issuer.open.set()
    assert await cache.token("app", issuer) == "token-1"
    issuer.open.clear()
    assert await waiting(cache, issuer, 3, rejected="token-1") == ["token-2"] * 3
    assert issuer.asked == [False, True]
    assert await cache.token("app", issuer) == "token-2"
    assert await cache.token("app", issuer, rejected="token-1") == "token-2"  # already replaced
    assert issuer.asked == [False, True]


async def test_each_set_of_credentials_has_its_own_token() -> None:
    cache, issuer = TokenCache(), Issuer()
    issuer.open.set()
    assert await cache.token(("app", "scope-a"), issuer) == "token-1"
    assert await cache.token(("app", "scope-b"), issuer) == "token-2"
    assert await cache.token(("app", "scope-a"), issuer) == "token-1"


async def test_a_failed_fetch_is_not_kept() -> None:
    cache = TokenCache()
    calls: list[bool] = []

    def failing(force_refresh: bool) -> str:
        calls.append(force_refresh)
        if len(calls) == 1:
            raise RuntimeError("Entra ID did not answer")
        return "token-2"

    with pytest.raises(RuntimeError):
        await cache.token("app", failing)
    assert await cache.token("app", failing) == "token-2"


def test_the_environment_s_proxy_applies_except_for_hosts_it_exempts(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    transport = Transport(service_urls=ServiceUrls(loopback_only=False))
    assert transport.proxy(URL("https://smba.trafficmanager.net/amer/")) == "http://proxy.internal:3128"
    assert transport.proxy(URL("https://127.0.0.1:8443/")) is None
    assert transport.proxy(URL("http://smba.trafficmanager.net/")) is None
