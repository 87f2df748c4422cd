"""Tokens stored in clear by an earlier version are sealed when an OAuth server starts; a key list with a
new first key re-seals them and the old key still opens them; and OAuth mode does not start without a key.
"""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from adapters.runtime import Runtime
from adapters.settings import SettingsError
from adapters.slack.installations import seal_stored_tokens
from adapters.slack.surface import build_slack_surface
from bot.secrets import SecretBox
from tests.integration.hostile.test_tokens_at_rest import stored_bytes
from tests.integration.slack.conftest import ENCRYPTION_KEY, clear_slack_tables, slack_runtime
from tests.support.fake_slack import FakeSlack

LEGACY_TOKEN = "xoxb-T9-stored-in-clear-by-an-earlier-version"


async def insert_legacy_bot(runtime: Runtime, token: str = LEGACY_TOKEN) -> None:
    await clear_slack_tables(runtime)
    async with runtime.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO slack_bots (client_id, app_id, team_id, bot_token, bot_id, bot_user_id,"
                " is_enterprise_install, installed_at) VALUES ('111.222', 'A1', 'T9', :token, 'B9', 'U9', false,"
                " '2026-01-01 00:00:00')"
            ),
            {"token": token},
        )


async def test_tokens_stored_in_clear_are_sealed_when_the_server_starts(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    await insert_legacy_bot(runtime)
    configured = slack_runtime(
        runtime,
        fake_slack,
        SLACK_CLIENT_ID="111.222",
        SLACK_CLIENT_SECRET="client-secret",
        ENCRYPTION_KEY=ENCRYPTION_KEY,
    )
    surface = await build_slack_surface(
        configured.settings,
        core=configured.core,
        engine=configured.engine,
        claims=configured.backend.claims(),
        foreground=configured.foreground,
    )
    try:
        assert LEGACY_TOKEN.encode() not in await stored_bytes(runtime)
        assert await surface._tokens.for_workspace("T9") == LEGACY_TOKEN
    finally:
        await surface.close()


async def test_a_new_first_key_reseals_and_the_old_one_still_opens(runtime: Runtime) -> None:
    await insert_legacy_bot(runtime)
    old = SecretBox([ENCRYPTION_KEY])
    assert await seal_stored_tokens(runtime.engine, old) == 1
    assert await seal_stored_tokens(runtime.engine, old) == 0  # nothing left to do
    new_key = Fernet.generate_key().decode()
    rotated = SecretBox([new_key, ENCRYPTION_KEY])
    assert await seal_stored_tokens(runtime.engine, rotated) == 1
    async with runtime.engine.connect() as connection:
        stored = str(await connection.scalar(text("SELECT bot_token FROM slack_bots WHERE team_id = 'T9'")))
    assert SecretBox([new_key]).open(stored) == LEGACY_TOKEN


async def test_oauth_mode_does_not_start_without_a_key(runtime: Runtime, fake_slack: FakeSlack) -> None:
    await insert_legacy_bot(runtime)
    configured = slack_runtime(runtime, fake_slack, SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET="client-secret")
    with pytest.raises(SettingsError, match="ENCRYPTION_KEY is required"):
        await build_slack_surface(
            configured.settings,
            core=configured.core,
            engine=configured.engine,
            claims=configured.backend.claims(),
            foreground=configured.foreground,
        )
    assert LEGACY_TOKEN.encode() in await stored_bytes(runtime)  # untouched
