"""The Teams app package: ``manifest.json`` (from the template, with the app id filled in) and two icons, zipped.

Upload the zip in Teams (Apps → Manage your apps → Upload an app) or in the Teams admin center.
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
from importlib import metadata, resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from adapters.teams.tab import CONFIG_PATH

logger = logging.getLogger(__name__)

PACKAGE_NAME = "customer-moment-teams.zip"
ICONS = ("color.png", "outline.png")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # the same inputs give byte-identical packages
DEVELOPMENT_SITE = "https://localhost"  # without a base URL: sideloading for development


def _asset(name: str) -> bytes:
    return resources.files("adapters.teams.manifest").joinpath(name).read_bytes()


def _app_version(template_version: str) -> str:
    """The installed project version when it is plain semver (Teams accepts nothing else)."""
    try:
        version = metadata.version("customer-moment")
    except metadata.PackageNotFoundError:
        return template_version
    return version if _SEMVER.match(version) else template_version


def manifest(*, app_id: str, base_url: str | None) -> dict[str, Any]:
    """The manifest for this bot. ``base_url`` (the server's public https address) becomes the developer
    links, the address of the tab's configuration page (how the app is added to meetings) and the one valid
    domain; without it they point at ``https://localhost`` (sideloading for development)."""
    if not _GUID.match(app_id.strip()):
        raise ValueError(
            "app_id must be the bot's Microsoft App ID, a GUID such as 9b1c0f55-1d55-4e1b-8f0a-2d5f3e9c7a10"
        )
    app_id = app_id.strip().lower()
    template: dict[str, Any] = json.loads(_asset("manifest.json"))
    head = {key: template.pop(key) for key in ("$schema", "manifestVersion", "version")}
    head["version"] = _app_version(str(head["version"]))
    document = {**head, "id": app_id, **template}
    document["bots"] = [{"botId": app_id, **document["bots"][0]}]
    # The message action ("Make it a Customer Moment") is served by the same bot.
    document["composeExtensions"] = [{"botId": app_id, **extension} for extension in document["composeExtensions"]]
    # Resource-specific permissions (meeting details, meeting events, in-meeting notifications) are granted
    # to the app's Entra application, which is the bot's.
    document["webApplicationInfo"] = {"id": app_id}
    site = DEVELOPMENT_SITE
    if base_url is not None:
        parts = urlsplit(base_url.strip())
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("base_url must be the server's public https:// address")
        site = base_url.strip().rstrip("/")
    document["developer"].update(websiteUrl=site, privacyUrl=site, termsOfUseUrl=site)
    # The tab that makes the app addable to meetings: its pages are served by this server (adapters/teams/tab.py).
    document["configurableTabs"] = [
        {**tab, "configurationUrl": site + CONFIG_PATH} for tab in document["configurableTabs"]
    ]
    document["validDomains"] = [urlsplit(site).hostname]
    return document


def build_package(*, app_id: str, output: Path, base_url: str | None) -> Path:
    """Write the app package and return its path.

    ``output`` is the zip to write, or an existing directory to write ``customer-moment-teams.zip`` into.
    Raises ``ValueError`` for an app id that is not a GUID or a base URL that is not https.
    """
    content = json.dumps(manifest(app_id=app_id, base_url=base_url), indent=2, ensure_ascii=False) + "\n"
    target = output / PACKAGE_NAME if output.is_dir() else output
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in (("manifest.json", content.encode("utf-8")), *((icon, _asset(icon)) for icon in ICONS)):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    logger.info("Teams app package for %s written to %s", app_id, target)
    return target
