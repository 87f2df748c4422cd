"""The Teams tab's pages through the real HTTP server: what Teams frames when the app is added to a meeting."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from adapters.teams.package import build_package
from adapters.teams.tab import CONFIG_PATH, CONTENT_PATH, NOTICE_PATH, TEAMS_JS
from tests.integration.teams.conftest import TeamsApp

BASE_URL = "https://moment.contoso.example"
APP_ID = "9b1c0f55-1d55-4e1b-8f0a-2d5f3e9c7a10"
TEAMS_HOSTS = ("https://teams.microsoft.com", "https://*.teams.microsoft.com", "https://*.cloud.microsoft")


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def sources(page: str, tag: str, attribute: str) -> list[str]:
    return re.findall(rf'<{tag}\b[^>]*\b{attribute}="([^"]+)"', page)


async def test_the_configuration_and_meeting_pages_are_served_for_teams_to_frame(teams: TeamsApp) -> None:
    for path in (CONFIG_PATH, CONTENT_PATH, NOTICE_PATH):
        response = await teams.client.get(path)
        assert response.status == 200
        assert response.content_type == "text/html" and response.charset == "utf-8"
        policy = directives(response.headers["Content-Security-Policy"])
        assert set(TEAMS_HOSTS) <= set(policy["frame-ancestors"])
        assert "*" not in policy["frame-ancestors"] and "'self'" not in policy["frame-ancestors"]
        assert policy["default-src"] == ["'none'"]
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        page = await response.text()
        assert page.count("<script") == len(sources(page, "script", "src")), "no inline script"
        assert not re.search(r"<[^>]*\son[a-z]+=", page), "no inline event handlers"
        assert all(src == TEAMS_JS or "/" not in src for src in sources(page, "script", "src"))
        assert TEAMS_JS in sources(page, "script", "src")
        assert 'integrity="sha384-' in page and 'crossorigin="anonymous"' in page


async def test_every_file_a_page_loads_from_this_server_is_served(teams: TeamsApp) -> None:
    for path in (CONFIG_PATH, CONTENT_PATH, NOTICE_PATH):
        page = await (await teams.client.get(path)).text()
        own = [src for src in sources(page, "script", "src") + sources(page, "link", "href") if src != TEAMS_JS]
        assert own, "the page's own script and style sheet"
        for src in own:
            response = await teams.client.get(urljoin(path, src))
            assert response.status == 200, src
            assert response.content_type in ("text/javascript", "text/css")
            assert "Content-Security-Policy" in response.headers


async def test_saving_the_configuration_points_the_tab_at_the_meeting_page_of_the_same_server(
    teams: TeamsApp,
) -> None:
    script = await (await teams.client.get(urljoin(CONFIG_PATH, "config.js"))).text()
    for call in (
        "microsoftTeams.app.initialize()",
        "microsoftTeams.pages.config.registerOnSaveHandler(",
        ".setConfig(",
        "microsoftTeams.pages.config.setValidityState(true)",
        "saveEvent.notifySuccess()",
    ):
        assert call in script
    (relative,) = re.findall(r'var CONTENT_PAGE = "([^"]+)"', script)
    assert "contentUrl: new URL(CONTENT_PAGE, window.location.href).href" in script
    content_url = urljoin(BASE_URL + CONFIG_PATH, relative)
    assert urlsplit(content_url).netloc == urlsplit(BASE_URL).netloc and urlsplit(content_url).path == CONTENT_PATH
    assert re.search(r'entityId: "[^"]+"', script) and re.search(r'suggestedDisplayName: "[^"]+"', script)
    assert (await teams.client.get(CONTENT_PATH)).status == 200


async def test_the_manifest_points_at_pages_the_server_serves(teams: TeamsApp, tmp_path: Path) -> None:
    with zipfile.ZipFile(build_package(app_id=APP_ID, output=tmp_path, base_url=BASE_URL)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    (tab,) = manifest["configurableTabs"]
    url = urlsplit(tab["configurationUrl"])
    assert url.hostname in manifest["validDomains"]
    assert (await teams.client.get(url.path)).status == 200


async def test_the_meeting_page_explains_the_moment_and_its_commands_and_shows_no_stories(teams: TeamsApp) -> None:
    page = await (await teams.client.get(CONTENT_PATH)).text()
    assert "meeting chat" in page
    for usage in ("request [in &lt;15m|2h|1h 30m&gt;]", "pool [#channel | off]", "help [command]"):
        assert usage in page, "usage lines come from the command table, escaped"
    assert "shows no stories" in page


async def test_the_notification_page_takes_its_title_and_link_from_its_address_and_opens_only_teams_messages(
    teams: TeamsApp,
) -> None:
    page = await (
        await teams.client.get(NOTICE_PATH + "?title=%3Cb%3EHi%3C%2Fb%3E&link=https%3A%2F%2Fevil.example")
    ).text()
    assert "&lt;b&gt;" not in page and "<b>Hi" not in page, "the address is read by the script, not put in the page"
    script = await (await teams.client.get(urljoin(NOTICE_PATH, "notice.js"))).text()
    assert "textContent" in script and "innerHTML" not in script, "the title is shown as text"
    assert '"https://teams.microsoft.com/l/message/"' in script and "app.openLink(link)" in script
