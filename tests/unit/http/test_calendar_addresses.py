"""Which addresses a calendar feed may be fetched from: checked on addresses alone, no connections."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from adapters.http.calendar_fetch import HttpCalendarFetcher, PublicOnlyResolver, is_public
from adapters.settings import Settings
from bot.ports import FeedUnavailable

NOT_PUBLIC = [
    "127.0.0.1",
    "127.8.9.1",
    "::1",
    "10.1.2.3",
    "172.16.0.9",
    "192.168.1.1",
    "100.64.0.1",  # carrier-grade NAT
    "169.254.169.254",  # cloud metadata
    "fe80::1",
    "fc00::1",
    "0.0.0.0",
    "::",
    "224.0.0.1",
    "ff02::1",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.10",  # documentation
    "198.18.0.1",  # benchmarking
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:10.0.0.1",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
]
PUBLIC = ["8.8.8.8", "142.250.185.78", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("text", NOT_PUBLIC)
def test_non_public_addresses_are_refused(text: str) -> None:
    assert not is_public(ipaddress.ip_address(text))


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses_are_allowed(text: str) -> None:
    assert is_public(ipaddress.ip_address(text))


def test_insecure_mode_allows_loopback_but_still_not_private_networks() -> None:
    assert is_public(ipaddress.ip_address("127.0.0.1"), allow_loopback=True)
    assert is_public(ipaddress.ip_address("::1"), allow_loopback=True)
    assert not is_public(ipaddress.ip_address("10.0.0.1"), allow_loopback=True)
    assert not is_public(ipaddress.ip_address("169.254.169.254"), allow_loopback=True)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://calendar.example.com/basic.ics", "https://"),
        ("ftp://calendar.example.com/basic.ics", "https://"),
        ("file:///etc/passwd", "https://"),
        ("https://user:secret@calendar.example.com/basic.ics", "user name"),
        ("https://127.0.0.1/basic.ics", "private"),
        ("https://[::1]/basic.ics", "private"),
        ("https://169.254.169.254/latest", "private"),
        ("https://10.0.0.5:8443/feed.ics", "private"),
        ("not a url", "https://"),
    ],
)
def test_urls_refused_before_any_connection(url: str, problem: str) -> None:
    refusal = HttpCalendarFetcher().refusal(url)
    assert refusal is not None and problem in refusal


def test_public_https_and_webcal_addresses_are_accepted() -> None:
    fetcher = HttpCalendarFetcher()
    assert fetcher.refusal("https://calendar.google.com/calendar/ical/x%40group/private-abc/basic.ics") is None
    assert fetcher.refusal("webcal://outlook.office365.com/owa/calendar/abc/reachcalendar.ics") is None
    assert fetcher.refusal("https://8.8.8.8/feed.ics") is None


def test_insecure_mode_accepts_http_and_loopback() -> None:
    fetcher = HttpCalendarFetcher(allow_insecure=True)
    assert fetcher.refusal("http://127.0.0.1:8080/feed.ics") is None
    assert fetcher.refusal("http://192.168.0.2/feed.ics") is not None


class FixedAnswers(AbstractResolver):
    """A resolver that answers from a table, so the check runs on addresses without DNS or sockets."""

    def __init__(self, addresses: list[str]) -> None:
        self.addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(hostname=host, host=a, port=port, family=family, proto=0, flags=0) for a in self.addresses
        ]

    async def close(self) -> None:
        return None


async def test_a_name_resolving_only_to_private_addresses_is_refused() -> None:
    resolver = PublicOnlyResolver(allow_loopback=False, inner=FixedAnswers(["10.0.0.7", "127.0.0.1"]))
    with pytest.raises(FeedUnavailable, match="private"):
        await resolver.resolve("rebinding.example.com", 443)


async def test_only_the_public_answers_of_a_mixed_name_are_connected_to() -> None:
    resolver = PublicOnlyResolver(allow_loopback=False, inner=FixedAnswers(["10.0.0.7", "93.184.215.14"]))
    assert [r["host"] for r in await resolver.resolve("mixed.example.com", 443)] == ["93.184.215.14"]


def test_insecure_calendar_setting_makes_check_fail() -> None:
    from adapters.cli.check import credential_problems

    problems = list(credential_problems(Settings(CALENDAR_ALLOW_INSECURE="true")))  # type: ignore[call-arg]
    assert any(p.startswith("CALENDAR_ALLOW_INSECURE") for p in problems)
    assert not any("CALENDAR" in p for p in credential_problems(Settings()))
