"""Following a calendar through the real `customer-moment console` process, fed by a feed on this machine."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.e2e.test_console import project_on_path, run_console

FEEDS = Path(__file__).parents[1] / "data" / "calendars"
__all__ = ["project_on_path"]  # the fixture, used below


@pytest.fixture
def feed_base(tmp_path: Path) -> Iterator[str]:
    """The test calendars served over http on loopback; the Outlook one made open-ended, so it never runs out."""
    served = tmp_path / "feeds"
    served.mkdir()
    for feed in FEEDS.glob("*.ics"):
        (served / feed.name).write_bytes(feed.read_bytes().replace(b"UNTIL=20270329T073000Z;", b""))

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.usefixtures("project_on_path")
def test_a_console_channel_follows_an_outlook_calendar(tmp_path: Path, feed_base: str) -> None:
    env = {"ENCRYPTION_KEY": Fernet.generate_key().decode(), "CALENDAR_ALLOW_INSECURE": "true"}
    session = "".join(
        f"{line}\n"
        for line in (
            f"schedule from {feed_base}/google_support.ics",
            f"schedule from {feed_base}/outlook_service_review.ics",
            "meetings",
        )
    )
    result = run_console(tmp_path, session, env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "• Lunch & Learn" in out and "• Support team weekly" in out
    assert "now follows “Service review” from 127.0.0.1" in out
    assert "in the calendar on 127.0.0.1" in out
    assert "outlook_service_review.ics" not in out.split("now follows", 1)[1]
    assert "CALENDAR_ALLOW_INSECURE" in result.stderr  # the start-up warning


@pytest.mark.usefixtures("project_on_path")
def test_without_a_key_following_is_refused_politely(tmp_path: Path, feed_base: str) -> None:
    result = run_console(tmp_path, f"schedule from {feed_base}/outlook_service_review.ics\n", env={})
    assert result.returncode == 0, result.stderr
    assert "needs ENCRYPTION_KEY" in result.stdout
