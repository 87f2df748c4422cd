"""Socket Mode: receive Slack over an outgoing WebSocket instead of a public Request URL.

For development behind a firewall. Needs an app-level token (``SLACK_APP_TOKEN``, ``xapp-…`` with
``connections:write``) and ``socket_mode_enabled: true`` in the app's manifest. The same Bolt app,
listeners and delivery path serve both modes; Bolt skips signature checks for socket requests.
"""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from adapters.settings import SettingsError
from adapters.slack.surface import SlackSurface

logger = logging.getLogger(__name__)


async def run_socket_mode(surface: SlackSurface, *, app_token: str) -> None:
    """Stay connected over Socket Mode until cancelled; then disconnect.

    ``surface`` is the one ``serve`` mounted (and closes), so that the scheduler and Socket Mode share it.
    """
    if not app_token.startswith("xapp-"):
        raise SettingsError("SLACK_APP_TOKEN: Socket Mode needs an app-level token starting with xapp-")
    handler = AsyncSocketModeHandler(surface.app, app_token=app_token, web_client=surface.app.client)
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]  # Bolt leaves it unannotated
        logger.info("connected to Slack over Socket Mode")
        await asyncio.Event().wait()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
        logger.info("Socket Mode connection closed")
