"""Metric labels for Slack calls stay few: Web API methods by name, everything else as one label."""

from __future__ import annotations

from yarl import URL

from adapters.slack.metering import _method


def test_web_api_calls_are_labelled_by_method() -> None:
    assert _method(URL("https://slack.com/api/chat.postMessage")) == "chat.postMessage"
    assert _method(URL("http://127.0.0.1:4000/api/views.open/")) == "views.open"


def test_response_urls_and_uploads_share_one_label() -> None:
    assert _method(URL("https://hooks.slack.com/commands/T1/123/abcdef")) == "other"
    assert _method(URL("https://files.slack.com/upload/v1/ABC")) == "other"
