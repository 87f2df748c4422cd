"""The Teams tab: what makes the app addable to meetings, the two small pages it shows there, and the page an
in-meeting notification opens.

Teams adds an app to a scheduled meeting (its chat, details and side panel) or a channel meeting through a
configurable tab (``configurableTabs`` in the manifest). Adding it opens the **configuration page**, which
tells Teams, through the Teams JavaScript library, which page the tab shows: the **meeting page** of this
same server. Adding the app this way also brings the bot into the meeting's chat, where the moment's card
is posted at meeting start.

The pages are static and the same for everyone: they explain the Customer Moment and the commands to use
in the meeting, and hold no stories or other data (the tab signs nobody in, so it shows nothing private);
the notification's page shows only the moment's title, which its address carries.
They are framed by Teams only (``frame-ancestors``), run no inline script, and load nothing but their own
files and the Teams JavaScript library, pinned by version and integrity hash.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from importlib import resources

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.commands import BY_NAME

logger = logging.getLogger(__name__)

PREFIX = "/teams/tab"
CONFIG_PATH = f"{PREFIX}/config"
CONTENT_PATH = f"{PREFIX}/meeting"  # config.js hands Teams this page, as "meeting" relative to CONFIG_PATH
NOTICE_PATH = f"{PREFIX}/notice"  # what an in-meeting notification opens (adapters/teams/meetings.py)
ASSETS = {
    "config.js": "text/javascript",
    "meeting.js": "text/javascript",
    "notice.js": "text/javascript",
    "tab.css": "text/css",
}

# The Teams JavaScript library from Microsoft's CDN; the hash is the one Microsoft publishes for this version
# (and that of the file in the npm package of the same version).
TEAMS_JS = "https://res.cdn.office.net/teams-js/2.58.0/js/MicrosoftTeams.min.js"
TEAMS_JS_INTEGRITY = "sha384-sMo/EOqQPa1OCup2/VBRum7oFeOS22kvs8WGDc45xK53tUVZzFR5WwFYDUYN1LO4"

# Where Teams (desktop, web, mobile) and the Microsoft 365 hosts frame a tab, as Microsoft's tab requirements
# list them; nobody else may frame these pages.
FRAME_ANCESTORS = (
    "https://teams.microsoft.com",
    "https://*.teams.microsoft.com",
    "https://*.teams.microsoft.us",  # GCC High and DoD
    "https://*.cloud.microsoft",
    "https://*.microsoft365.com",
    "https://*.office.com",
)
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self' https://res.cdn.office.net",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors " + " ".join(FRAME_ANCESTORS),
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

# The commands the meeting page explains, in this order, with their usage and help from the command table.
MEETING_COMMANDS = ("request", "pool", "swap", "skip", "done", "story", "shoutout", "schedule", "help")


def _page(title: str, script: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n"
        '<link rel="stylesheet" href="tab.css">\n'
        f'<script src="{TEAMS_JS}" integrity="{TEAMS_JS_INTEGRITY}" crossorigin="anonymous"></script>\n'
        f'<script src="{script}" defer></script>\n'
        f"</head>\n<body>\n{body}</body>\n</html>\n"
    )


def config_page() -> str:
    body = (
        "<h1>Customer Moment</h1>\n"
        "<p>Ten minutes about the customer at the start of the meeting: a real customer story, a short exercise "
        "or a shout-out for a colleague who did it right.</p>\n"
        "<p>Adding Customer Moment here brings its bot into the meeting chat. When the meeting starts, the bot "
        "posts the meeting's moment there and points everyone to it.</p>\n"
        '<p id="status" class="note">Loading…</p>\n'
    )
    return _page("Customer Moment", "config.js", body)  # file names relative to the page: behind any prefix


def _command_lines(names: Sequence[str]) -> str:
    items = []
    for name in names:
        spec = BY_NAME[name]
        items.append(f"<li><code>{html.escape(spec.usage)}</code> — {html.escape(spec.help)}</li>\n")
    return "<ul>\n" + "".join(items) + "</ul>\n"


def meeting_page() -> str:
    body = (
        "<h1>Customer Moment in this meeting</h1>\n"
        "<p>The meeting opens with ten minutes about the customer: a real customer story from a colleague, "
        "a short exercise or role play, or a shout-out for someone who did it right.</p>\n"
        "<h2>How it works here</h2>\n"
        "<ul>\n"
        "<li>When the meeting starts, the moment's card is posted in the meeting chat, and a notification "
        "points the people of the meeting to it. A meeting whose start is known ahead may get its card before.</li>\n"
        "<li>The card has <b>Swap</b>, <b>Skip</b>, <b>Presented</b> and <b>👍 Helpful</b>: the meeting's "
        "organizer (or a manager) can swap or skip the moment, and anyone can say it helped.</li>\n"
        "<li>The moment comes from this chat's own pool, or from a team channel's pool: use "
        "<b>Use a team's pool</b> on the card, or <code>pool #channel</code>.</li>\n"
        "<li>If the moment was neither presented nor skipped, its presenter is asked after the meeting, "
        "so the stats stay true.</li>\n"
        "</ul>\n"
        "<h2>Commands in the meeting chat</h2>\n"
        "<p>Mention the bot: <code>@Customer Moment request</code>.</p>\n"
        f"{_command_lines(MEETING_COMMANDS)}"
        '<p class="note">This page shows no stories. Stories are about real customers: they appear only on the '
        "card in the meeting chat, with obvious personal details masked.</p>\n"
    )
    return _page("Customer Moment", "meeting.js", body)


def notice_page() -> str:
    """The in-meeting notification's page: the moment's title (from its address, shown as text) and a button
    that opens the card in the meeting chat."""
    body = (
        '<h1 id="title">Customer Moment</h1>\n'
        "<p>The meeting's Customer Moment is in the meeting chat: a few minutes about the customer.</p>\n"
        '<p><button id="open" type="button" hidden>Open the card in the chat</button></p>\n'
        '<p id="status" class="note"></p>\n'
    )
    return _page("Customer Moment", "notice.js", body)


def _asset(name: str) -> bytes:
    return resources.files("adapters.teams.pages").joinpath(name).read_bytes()


def _html(text: str) -> Handler:
    body = text.encode("utf-8")

    async def handler(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="text/html", charset="utf-8", headers=HEADERS)

    return handler


def _file(name: str, content_type: str) -> Handler:
    body = _asset(name)

    async def handler(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type=content_type, charset="utf-8", headers=HEADERS)

    return handler


def routes() -> list[web.AbstractRouteDef]:
    """The tab's pages and files; read once, when the surface is built."""
    pages: list[web.AbstractRouteDef] = [
        web.get(CONFIG_PATH, _html(config_page())),
        web.get(CONTENT_PATH, _html(meeting_page())),
        web.get(NOTICE_PATH, _html(notice_page())),
    ]
    return pages + [web.get(f"{PREFIX}/{name}", _file(name, kind)) for name, kind in ASSETS.items()]
