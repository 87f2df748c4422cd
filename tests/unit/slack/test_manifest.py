"""manifest.yml is a valid Slack app manifest that grants every scope the adapter's Web API calls need."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from adapters.slack.listeners import SHORTCUT, SlackListeners
from adapters.slack.scopes import BOT_SCOPES, EVENT_SCOPES, METHOD_SCOPES

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
            method = f"{family}.{name.replace('_', '.')}"  # Slack's method names have no underscores
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
    assert home["messages_tab_read_only_enabled"] is False  # people write commands to the bot there
    assert all(u.endswith("/slack/oauth_redirect") for u in data["oauth_config"]["redirect_urls"])
    events = data["settings"]["event_subscriptions"]
    assert events["request_url"].endswith("/slack/events")
    assert set(events["bot_events"]) == set(EVENT_SCOPES)
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


def test_every_subscribed_event_has_a_listener() -> None:
    listened = set(SlackListeners.events(SlackListeners.__new__(SlackListeners)))
    subscribed = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    # Slack names the subscription to direct messages "message.im"; the event it delivers is "message".
    assert {event.split(".", 1)[0] for event in subscribed} == listened


def test_scopes_cover_every_subscribed_event() -> None:
    granted = set(manifest()["oauth_config"]["scopes"]["bot"])
    needed = {
        scope for event in manifest()["settings"]["event_subscriptions"]["bot_events"] for scope in EVENT_SCOPES[event]
    }
    assert "im:history" in needed and needed <= granted, needed - granted


def test_the_message_shortcut_is_the_one_listened_to() -> None:
    [shortcut] = manifest()["features"]["shortcuts"]
    assert shortcut["type"] == "message" and shortcut["callback_id"] == SHORTCUT
    assert shortcut["name"] == "Make it a Customer Moment"
    assert len(shortcut["description"]) <= 80
