"""The shape check in front of Bolt: every kind of payload Slack sends passes; what Bolt would crash on does not."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack.requests import problem

SLACK_SENDS: list[dict[str, Any]] = [
    {"token": "t", "team_id": "T1", "user_id": "U1", "command": "/moment", "text": "", "trigger_id": "1.2.3"},
    {"token": "t", "challenge": "abc", "type": "url_verification"},
    {"ssl_check": "1", "token": "t"},
    {  # an event with authorizations, an org that is not one, and a user object (user_change)
        "token": "t",
        "team_id": "T1",
        "enterprise_id": None,
        "context_enterprise_id": None,
        "api_app_id": "A1",
        "event": {"type": "user_change", "user": {"id": "U1", "team_id": "T1"}, "event_ts": "1.2"},
        "type": "event_callback",
        "event_id": "Ev1",
        "event_time": 1700000000,
        "authorizations": [{"enterprise_id": None, "team_id": "T1", "user_id": "U9", "is_bot": True}],
        "is_ext_shared_channel": False,
    },
    {  # a button in a message of an org-wide install: no team, an enterprise
        "type": "block_actions",
        "team": None,
        "enterprise": {"id": "E1", "name": "Org"},
        "is_enterprise_install": True,
        "user": {"id": "U1", "username": "u", "name": "u", "team_id": "T1"},
        "api_app_id": "A1",
        "container": {"type": "message", "message_ts": "1.2", "channel_id": "C1", "is_ephemeral": False},
        "trigger_id": "1.2.3",
        "channel": {"id": "C1", "name": "support"},
        "message": {"type": "message", "ts": "1.2", "text": "x", "blocks": []},
        "state": {"values": {}},
        "response_url": "https://hooks.slack.com/actions/T1/1/x",
        "actions": [{"type": "button", "action_id": "agenda.swap", "block_id": "b", "value": "1", "action_ts": "1"}],
    },
    {  # a select in the App Home: a view, no value
        "type": "block_actions",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": "U1"},
        "container": {"type": "view", "view_id": "V1"},
        "view": {"id": "V1", "type": "home", "team_id": "T1", "private_metadata": "", "callback_id": ""},
        "actions": [{"type": "static_select", "action_id": "pick", "block_id": "b", "selected_option": None}],
    },
    {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": "U1", "team_id": "T1"},
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "customer_moment.form",
            "private_metadata": "{}",
            "team_id": "T1",
            "app_installed_team_id": "T1",
            "state": {"values": {"lesson": {"lesson": {"type": "plain_text_input", "value": None}}}},
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    },
    {"type": "view_closed", "team": {"id": "T1"}, "user": {"id": "U1"}, "view": {"id": "V1"}, "is_cleared": False},
    {"type": "block_suggestion", "action_id": "pick", "block_id": "b", "value": "ab", "team": {"id": "T1"}},
    {
        "type": "message_action",
        "callback_id": "share",
        "trigger_id": "1.2.3",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "channel": {"id": "C1", "name": "support"},
        "message": {"type": "message", "ts": "1.2", "text": "hi"},
        "response_url": "https://hooks.slack.com/app/x",
    },
]

BOLT_WOULD_CRASH: list[Any] = [
    [],
    "text",
    {"type": ["event_callback"]},
    {"type": "event_callback", "event": None},
    {"type": "event_callback", "event": ["app_home_opened"]},
    {"type": "event_callback", "event": {"type": 7}},
    {"type": "block_actions", "actions": None},
    {"type": "block_actions", "actions": []},
    {"type": "block_actions", "actions": ["agenda.swap"]},
    {"type": "block_actions", "actions": [{"value": "1"}]},
    {"type": "block_actions", "actions": [{"action_id": ["agenda.swap"]}]},
    {"type": "view_submission", "view": "modal"},
    {"type": "view_submission", "view": None},
    {"type": "view_submission", "view": {"callback_id": {"id": 1}}},
    {"type": "interactive_message", "callback_id": 7},
    {"team": ["T1"]},
    {"user": {"id": 1}},
    {"channel": 7},
    {"type": "block_actions", "actions": [{"action_id": "a"}], "container": "message"},
]


@pytest.mark.parametrize("body", SLACK_SENDS, ids=lambda b: str(b.get("type") or b.get("command") or "form"))
def test_what_slack_sends_passes(body: dict[str, Any]) -> None:
    assert problem(body) is None


@pytest.mark.parametrize("body", BOLT_WOULD_CRASH)
def test_shapes_bolt_would_crash_on_are_named(body: Any) -> None:
    assert problem(body)
