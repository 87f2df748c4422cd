"""`customer-moment check` names the surfaces `serve` would really run, and says when one cannot be loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.cli import check
from adapters.settings import Settings

APP_ID = "9b1c0f55-1d55-4e1b-8f0a-2d5f3e9c7a10"


def settings(**env: str) -> Settings:
    return Settings.model_validate(env)


def test_nothing_configured_runs_console_and_teams_with_auth_off() -> None:
    running, problems = check.surfaces(settings())
    assert running == ["console", "teams (authentication off, local development only)"]
    assert problems == []


def test_configured_slack_and_teams_both_run() -> None:
    configured = settings(SLACK_SIGNING_SECRET="0" * 32, MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="secret")
    running, problems = check.surfaces(configured)
    assert running == ["console", "slack", "teams"]
    assert problems == []


def test_a_surface_whose_sdk_is_missing_is_a_problem_not_a_surface(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A stand-in for the Teams surface module on an install that lacks its SDK.
    (tmp_path / "teams_without_sdk.py").write_text("import botbuilder_missing_here\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(check.SURFACE_MODULES, "teams", "teams_without_sdk")

    running, problems = check.surfaces(settings(SLACK_SIGNING_SECRET="0" * 32))

    assert running == ["console", "slack"]
    assert problems == [
        "Teams support cannot be loaded (No module named 'botbuilder_missing_here'); "
        "reinstall: pip install customer-moment"
    ]
