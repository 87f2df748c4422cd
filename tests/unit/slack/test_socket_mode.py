"""Socket Mode refuses to start without an app-level token."""

from __future__ import annotations

from typing import Any, cast

import pytest

from adapters.settings import SettingsError
from adapters.slack.socket_mode import run_socket_mode


async def test_socket_mode_needs_an_app_level_token() -> None:
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN"):
        await run_socket_mode(cast(Any, None), app_token="xoxb-not-an-app-token")
