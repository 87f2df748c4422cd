"""`customer-moment check` names the surfaces `serve` would really run, and says when one cannot be loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.cli import check
from adapters.settings import Settings

APP_ID = "9b1c0f55-1d55-4e1b-8f0a-2d5f3e9c7a10"


def settings(**env: str) -> Settings:
    return Settings.model_validate(env)


def test_nothing_configured_runs_the_console_only() -> None:
    running, problems = check.surfaces(settings())
    assert running == ["console"]
    assert problems == []


def test_slack_alone_does_not_serve_teams() -> None:
    running, _ = check.surfaces(settings(SLACK_SIGNING_SECRET="0" * 32))
    assert running == ["console", "slack"]


def test_teams_without_authentication_needs_the_explicit_switch_and_fails_check() -> None:
    emulator = settings(TEAMS_DEV_NO_AUTH="true")
    running, _ = check.surfaces(emulator)
    assert running == ["console", "teams (authentication off, local development only)"]
    problems = list(check.credential_problems(emulator))
    assert any(p.startswith("TEAMS_DEV_NO_AUTH: on;") for p in problems)


PUBLIC_URL = "https://moment.example.com"


def test_the_switch_next_to_an_app_id_is_a_problem_too() -> None:
    both = settings(
        MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="secret", TEAMS_DEV_NO_AUTH="true", PUBLIC_URL=PUBLIC_URL
    )
    assert check.surfaces(both)[0] == ["console", "teams"]
    assert any("ignored while MICROSOFT_APP_ID" in p for p in check.credential_problems(both))


def test_configured_slack_and_teams_both_run() -> None:
    configured = settings(
        SLACK_SIGNING_SECRET="0" * 32, MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="secret", PUBLIC_URL=PUBLIC_URL
    )
    running, problems = check.surfaces(configured)
    assert running == ["console", "slack", "teams"]
    assert problems == []


def test_teams_without_a_public_address_runs_and_says_what_it_lacks() -> None:
    running, problems = check.surfaces(settings(MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="secret"))
    assert running == ["console", "teams (without PUBLIC_URL: no in-meeting notifications, no tab pages)"]
    assert problems == []


@pytest.mark.parametrize("value", ["http://moment.example.com", "moment.example.com", "https://", "https://x/?a=1"])
def test_a_public_address_that_is_not_https_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="https://"):
        settings(PUBLIC_URL=value)


def test_a_surface_whose_sdk_is_missing_is_a_problem_not_a_surface(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A stand-in for the Teams surface module on an install that lacks its SDK.
    (tmp_path / "teams_without_sdk.py").write_text("import botbuilder_missing_here\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(check.SURFACE_MODULES, "teams", "teams_without_sdk")

    running, problems = check.surfaces(settings(SLACK_SIGNING_SECRET="0" * 32, TEAMS_DEV_NO_AUTH="true"))

    assert running == ["console", "slack"]
    assert problems == [
        "Teams support cannot be loaded (No module named 'botbuilder_missing_here'); "
        "reinstall: pip install customer-moment"
    ]


def test_an_http_service_url_origin_is_a_problem_and_an_https_host_is_not() -> None:
    base = {"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "secret"}
    local = settings(**base, TEAMS_SERVICE_URL_HOSTS="http://127.0.0.1:8123")
    assert any(p.startswith("TEAMS_SERVICE_URL_HOSTS:") for p in check.credential_problems(local))
    gcc_high = settings(**base, TEAMS_SERVICE_URL_HOSTS="smba.infra.gov.teams.microsoft.us")
    assert not any(p.startswith("TEAMS_SERVICE_URL_HOSTS:") for p in check.credential_problems(gcc_high))
