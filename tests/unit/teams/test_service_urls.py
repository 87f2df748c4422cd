"""Where Bot Connector calls may go: the service URL rule, its setting, and the connector that obeys it."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.settings import Settings, SettingsError, load_settings, service_url_hosts
from adapters.teams.connector import Backoff, TeamsConnector
from adapters.teams.transport import ServiceUrls
from bot.ports import ChannelGone

APP_ID = "9b1c0f55-1d55-4e1b-8f0a-2d5f3e9c7a10"


def rule(**env: str) -> ServiceUrls:
    return ServiceUrls.from_settings(Settings.model_validate({"MICROSOFT_APP_ID": APP_ID, **env}))


@pytest.mark.parametrize(
    "url",
    [
        "https://smba.trafficmanager.net/amer/",
        "https://smba.trafficmanager.net/emea/",
        "https://SMBA.trafficmanager.net./teams/",
        "https://smba.infra.gcc.teams.microsoft.com/teams",
        "https://europe.webchat.botframework.com/",
    ],
)
def test_the_public_cloud_s_hosts_over_https_are_allowed(url: str) -> None:
    assert rule().allows(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://smba.trafficmanager.net/amer/",  # a token over plain http
        "https://smba.trafficmanager.net.attacker.example/",
        "https://attacker-smba.trafficmanager.net.example/",
        "https://evilbotframework.com/",  # a suffix, but not a subdomain
        "https://user:pw@smba.trafficmanager.net/",
        "https://169.254.169.254/",
        "https://127.0.0.1/",
        "https://smba.infra.gov.teams.microsoft.us/teams",  # GCC High: only when configured
        "ftp://smba.trafficmanager.net/",
        "/v3/conversations",
        "",
        "not a url at all",
    ],
)
def test_anything_else_is_refused(url: str) -> None:
    assert not rule().allows(url)


def test_sovereign_clouds_are_added_by_setting_over_https_only() -> None:
    gcc_high = rule(TEAMS_SERVICE_URL_HOSTS="*.gov.teams.microsoft.us, smba.infra.dod.teams.microsoft.us")
    assert gcc_high.allows("https://smba.infra.gov.teams.microsoft.us/teams")
    assert gcc_high.allows("https://smba.infra.dod.teams.microsoft.us/teams")
    assert not gcc_high.allows("http://smba.infra.gov.teams.microsoft.us/teams")
    assert gcc_high.allows("https://smba.trafficmanager.net/amer/")  # the defaults stay


def test_an_origin_entry_allows_exactly_that_origin() -> None:
    local = rule(TEAMS_SERVICE_URL_HOSTS="http://127.0.0.1:8123")
    assert local.allows("http://127.0.0.1:8123/v3/")
    assert not local.allows("http://127.0.0.1:8124/")
    assert not local.allows("https://127.0.0.1:8123/")
    assert not local.allows("http://localhost:8123/")


@pytest.mark.parametrize(
    "entry",
    ["http://10.0.0.5:8080", "http://smba.trafficmanager.net", "https://x.example/path", "not a host!", "ftp://h"],
)
def test_unsafe_or_unreadable_entries_stop_start_up_with_one_line(entry: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAMS_SERVICE_URL_HOSTS", entry)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert str(refused.value).startswith("Invalid setting TEAMS_SERVICE_URL_HOSTS:")
    assert "\n" not in str(refused.value)


def test_without_authentication_only_this_machine_is_allowed() -> None:
    emulator = ServiceUrls.from_settings(Settings.model_validate({"TEAMS_DEV_NO_AUTH": "true"}))
    for url in ("http://127.0.0.1:9000/", "http://127.8.9.1/", "http://localhost:3978/", "http://[::1]:9000/"):
        assert emulator.allows(url), url
    for url in ("https://smba.trafficmanager.net/amer/", "http://169.254.169.254/", "http://localhost.example/"):
        assert not emulator.allows(url), url


@given(st.text(max_size=80))
def test_any_host_text_is_either_a_clean_entry_or_refused(text: str) -> None:
    try:
        hosts, _ = service_url_hosts(text)
    except ValueError:
        return
    assert all(h and h == h.strip().lower() and "," not in h and "/" not in h for h in hosts)


async def test_the_connector_sends_nothing_and_asks_for_no_token_for_a_refused_url() -> None:
    signed: list[Any] = []

    async def sign(rejected: str | None) -> str:
        signed.append(rejected)
        return "secret-token"

    def no_session() -> aiohttp.ClientSession:
        raise AssertionError("no request may be made")

    connector = TeamsConnector(
        service_url="http://169.254.169.254/",
        session=no_session,
        proxy=lambda _url: None,
        sign=sign,
        allowed=rule().allows,
        user_agent="test",
        backoff=Backoff(),
        timeout=1.0,
    )
    with pytest.raises(ChannelGone) as refused:
        await connector.send("19:general@thread.tacv2", {"type": "message", "text": "hi"})
    assert refused.value.retryable is False
    assert await connector.member("19:general@thread.tacv2", "29:bob") is None
    assert signed == []
