"""Operator-facing pieces: credential shape checks and JSON log lines."""

from __future__ import annotations

import io
import json
import logging

import pytest
from pydantic import ValidationError

from adapters.cli import logs
from adapters.cli.check import credential_problems
from adapters.settings import Settings


def problems(**env: str) -> list[str]:
    return list(credential_problems(Settings(**env)))


def test_well_formed_credentials_raise_no_problem() -> None:
    assert (
        problems(
            SLACK_SIGNING_SECRET="0123456789abcdef0123456789abcdef",
            SLACK_BOT_TOKEN="xoxb-1-2-abc",
            MICROSOFT_APP_ID="9b1c0f55-1d55-4e1b-8f0a-2d5f3e9c7a10",
            MICROSOFT_APP_PASSWORD="secret",
        )
        == []
    )
    assert problems() == []


def test_each_misplaced_credential_is_named_with_its_fix() -> None:
    found = problems(
        SLACK_BOT_TOKEN="xoxp-user-token",
        SLACK_APP_TOKEN="xoxb-not-an-app-token",
        SLACK_CLIENT_ID="abc",
        MICROSOFT_APP_ID="not-a-guid",
        MICROSOFT_APP_TYPE="SingleTenant",
    )
    names = [line.split(":", 1)[0] for line in found]
    assert names == [
        "SLACK_SIGNING_SECRET",
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_CLIENT_ID / SLACK_CLIENT_SECRET",
        "SLACK_CLIENT_ID",
        "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set",
        "ENCRYPTION_KEY",
        "MICROSOFT_APP_ID",
        "MICROSOFT_APP_PASSWORD",
        "MICROSOFT_APP_TENANT_ID",
    ]
    assert all(len(line.splitlines()) == 1 for line in found)


def test_json_logs_are_one_object_per_line_with_extra_fields_and_errors() -> None:
    stream = io.StringIO()
    logs.configure("INFO", "json", stream=stream)
    log = logging.getLogger("customer_moment.test")
    log.info("posted agenda item %s", 7, extra={"workspace": "T1"})
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "posted agenda item 7" and first["workspace"] == "T1" and first["level"] == "info"
    assert second["level"] == "error" and "ValueError: boom" in second["error"]
    logging.getLogger().handlers.clear()


@pytest.mark.parametrize("token", ["short", "x" * 23, "has a space in it 0123456789", "tab\tinside-0123456789abcdef"])
def test_a_metrics_token_too_short_or_with_spaces_is_refused(token: str) -> None:
    with pytest.raises(ValidationError, match="METRICS_TOKEN"):
        Settings(METRICS_TOKEN=token)


def test_a_metrics_token_is_kept_out_of_the_settings_repr() -> None:
    token = "a-good-metrics-token-0123456789"
    settings = Settings(METRICS_TOKEN=f"  {token}  ")
    assert settings.metrics_token == token and token not in repr(settings)
    assert Settings().metrics_token == ""
