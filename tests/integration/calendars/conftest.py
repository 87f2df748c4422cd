"""A local feed server (loopback only) and a core that may read from it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from cryptography.fernet import Fernet

from adapters.settings import Settings

SECRET_PATH = "/calendar/ical/support.team/private-5f3c9a0b7e/basic.ics"


def weekly_feed(*overrides: str, title: str = "Support team weekly", extra: str = "", rdate: str = "") -> bytes:
    """A Google-shaped feed: every Tuesday 10:00 Berlin from 24 Nov 2026, plus override entries."""
    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        "VERSION:2.0",
        "X-WR-TIMEZONE:Europe/Berlin",
        "BEGIN:VEVENT",
        "DTSTART:20261124T090000Z",
        "DTEND:20261124T094500Z",
        "RRULE:FREQ=WEEKLY;BYDAY=TU",
        f"RDATE:{rdate}" if rdate else "",
        "UID:weekly@google.com",
        f"SUMMARY:{title}",
        "END:VEVENT",
        *overrides,
        extra,
        "END:VCALENDAR",
    ]
    return ("\r\n".join(line for line in lines if line) + "\r\n").encode()


def moved(original: str, start: str) -> str:
    return "\r\n".join(
        [
            "BEGIN:VEVENT",
            f"DTSTART:{start}",
            f"RECURRENCE-ID:{original}",
            "UID:weekly@google.com",
            "SUMMARY:Support team weekly",
            "END:VEVENT",
        ]
    )


def cancelled(original: str) -> str:
    return "\r\n".join(
        [
            "BEGIN:VEVENT",
            f"DTSTART:{original}",
            f"RECURRENCE-ID:{original}",
            "UID:weekly@google.com",
            "STATUS:CANCELLED",
            "SUMMARY:Support team weekly",
            "END:VEVENT",
        ]
    )


LUNCH = "\r\n".join(
    [
        "BEGIN:VEVENT",
        "DTSTART;TZID=Europe/Berlin:20261125T123000",
        "RRULE:FREQ=WEEKLY",
        "UID:lunch@google.com",
        "SUMMARY:Lunch & Learn",
        "END:VEVENT",
    ]
)


@dataclass
class FeedServer:
    url: str = ""
    body: bytes = field(default_factory=weekly_feed)
    status: int = 200
    requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def etag(self) -> str:
        return f'"{hash(self.body) & 0xFFFFFFFF:x}"'


@pytest.fixture
async def feed() -> AsyncIterator[FeedServer]:
    server = FeedServer()

    async def answer(request: web.Request) -> web.Response:
        server.requests.append(dict(request.headers))
        if server.status != 200:
            return web.Response(status=server.status)
        if request.headers.get("If-None-Match") == server.etag:
            return web.Response(status=304, headers={"ETag": server.etag})
        return web.Response(body=server.body, content_type="text/calendar", headers={"ETag": server.etag})

    app = web.Application()
    app.router.add_get(SECRET_PATH, answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}{SECRET_PATH}"
    yield server
    await runner.cleanup()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        DATABASE_URL=database_url, ENCRYPTION_KEY=Fernet.generate_key().decode(), CALENDAR_ALLOW_INSECURE="true"
    )
