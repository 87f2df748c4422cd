"""manifest.yml is a valid Slack app manifest that grants every scope the adapter's Web API calls need."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from adapters.slack.scopes import BOT_SCOPES, METHOD_SCOPES

ROOT = Path(__file__).resolve().parents[3]
ADAPTER = ROOT / "adapters" / "slack"
# slack_sdk helpers that call more than one Web API method.
COMPOSITE = {"files.upload.v2": ("files.getUploadURLExternal", "files.completeUploadExternal")}
CALL = re.compile(r"\b(?:client|self\._client|self\.client)\.([a-z]+)_([A-Za-z0-9_]+)\(")


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return data


def called_methods() -> set[str]:
    found: set[str] = set()
    for path in ADAPTER.glob("*.py"):
        for family, name in CALL.findall(path.read_text()):
            method = f"{family}.{name.replace('_', '.') if name == 'upload_v2' else name}"
            found.update(COMPOSITE.get(method, (method,)))
    return found


def test_required_sections() -> None:
    data = manifest()
    assert data["display_information"]["name"]
    assert data["features"]["bot_user"]["display_name"]
    [command] = data["features"]["slash_commands"]
    assert command["command"] == "/moment" and command["should_escape"] is True and command["usage_hint"]
    assert command["url"].endswith("/slack/events")
    home = data["features"]["app_home"]
    assert home["home_tab_enabled"] is True and home["messages_tab_enabled"] is True
    assert all(u.endswith("/slack/oauth_redirect") for u in data["oauth_config"]["redirect_urls"])
    events = data["settings"]["event_subscriptions"]
    assert events["request_url"].endswith("/slack/events")
    assert set(events["bot_events"]) == {"app_home_opened", "app_uninstalled", "tokens_revoked"}
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert data["settings"]["interactivity"]["request_url"].endswith("/slack/events")
    assert data["settings"]["socket_mode_enabled"] is False


def test_every_called_method_is_known() -> None:
    called = called_methods()
    assert {"chat.postMessage", "chat.update", "views.open", "views.publish", "users.info"} <= called
    assert called <= set(METHOD_SCOPES), called - set(METHOD_SCOPES)


def test_scopes_cover_every_called_method_and_nothing_more() -> None:
    granted = set(manifest()["oauth_config"]["scopes"]["bot"])
    needed = {scope for method in called_methods() for scope in METHOD_SCOPES[method]} | {"commands"}
    assert needed <= granted, needed - granted
    assert granted == set(BOT_SCOPES)
