"""Slack is served only when it can verify Slack, and a single-workspace token answers only its own workspace."""

from __future__ import annotations

import dataclasses

import pytest

from adapters.composition import build_surfaces
from adapters.http.foreground import Foreground
from adapters.runtime import Runtime
from adapters.settings import Settings, SettingsError
from adapters.slack.surface import EVENTS_PATH, SlackSurface, build_slack_surface
from tests.integration.core import table_counts
from tests.integration.slack.conftest import TOKEN
from tests.integration.slack.driver import SIGNING_SECRET, SlackDriver
from tests.support.fake_slack import FakeSlack


def with_settings(runtime: Runtime, **values: str) -> Runtime:
    settings = Settings(DATABASE_URL=runtime.settings.database_url, **values)
    return dataclasses.replace(runtime, settings=settings, foreground=Foreground())


@pytest.mark.parametrize(
    "slack",
    [
        {"SLACK_BOT_TOKEN": TOKEN},
        {"SLACK_APP_TOKEN": "xapp-1-A1-1-abc"},
        {"SLACK_CLIENT_ID": "1234567890.1234567890", "SLACK_CLIENT_SECRET": "0" * 32},
    ],
)
async def test_slack_over_http_without_a_signing_secret_stops_start_up_with_one_line(
    runtime: Runtime, fake_slack: FakeSlack, slack: dict[str, str]
) -> None:
    unsafe = with_settings(runtime, SLACK_API_URL=fake_slack.api_url, **slack)
    with pytest.raises(SettingsError) as stopped:
        await build_surfaces(unsafe)
    assert str(stopped.value).startswith("SLACK_SIGNING_SECRET: missing")
    assert "\n" not in str(stopped.value)
    assert fake_slack.calls == []  # nothing was asked of Slack either


async def test_socket_mode_mounts_no_slack_events_endpoint(runtime: Runtime, fake_slack: FakeSlack) -> None:
    socket = with_settings(runtime, SLACK_API_URL=fake_slack.api_url, SLACK_BOT_TOKEN=TOKEN, SLACK_APP_TOKEN="xapp-1")
    surfaces = await build_surfaces(socket, http_events=False)
    try:
        (slack,) = [s for s in surfaces if isinstance(s, SlackSurface)]
        assert EVENTS_PATH not in {route.path for route in slack.routes()}  # type: ignore[attr-defined]
    finally:
        for surface in surfaces:
            await surface.close()


async def test_with_a_signing_secret_the_events_endpoint_is_mounted(runtime: Runtime, fake_slack: FakeSlack) -> None:
    safe = with_settings(
        runtime, SLACK_API_URL=fake_slack.api_url, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET
    )
    surface = await build_slack_surface(
        safe.settings, core=safe.core, engine=safe.engine, claims=safe.backend.claims(), foreground=safe.foreground
    )
    try:
        assert EVENTS_PATH in {route.path for route in surface.routes()}  # type: ignore[attr-defined]
    finally:
        await surface.close()


@pytest.mark.parametrize("team", ["T2", "E1", ""])
async def test_a_signed_request_from_another_workspace_is_refused_and_creates_nothing(
    runtime: Runtime, slack: SlackDriver, team: str
) -> None:
    await slack.command("help")  # the token's own workspace works
    before = await table_counts(runtime)
    name = await slack.command("story The parcel was lost twice | own the problem", team=team, user="U9")
    assert await table_counts(runtime) == before
    assert "Thanks" not in slack.said(name)
