"""OAuth installs: the install round trip, tokens per workspace, uninstall, and tenant isolation."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import text

from adapters.runtime import Runtime
from adapters.slack import auth
from bot.ports import ChannelGone
from bot.replies import Audience, Reply
from bot.secrets import SecretBox
from tests.integration.slack.conftest import ENCRYPTION_KEY
from tests.integration.slack.driver import SlackDriver, all_text

STATE_COOKIE = "slack-app-oauth-state"


async def install(slack: SlackDriver, team: str, code: str) -> str:
    """Walk the install flow for ``team``; returns the bot token Slack handed out."""
    slack.fake.oauth_codes[code] = slack.fake.add_workspace(f"unused-{team}", team, team.lower())
    async with slack.session.get(slack.base_url + "slack/install") as response:
        assert response.status == 200
        page = await response.text()
        cookie = response.headers["Set-Cookie"]
    match = re.search(r"state=([^&\"]+)", page)
    assert match and "client_id=111.222" in page
    state = match.group(1)
    assert cookie.startswith(f"{STATE_COOKIE}={state}")
    async with slack.session.get(
        slack.base_url + "slack/oauth_redirect",
        params={"code": code, "state": state},
        headers={"Cookie": f"{STATE_COOKIE}={state}"},
    ) as response:
        assert response.status == 200, await response.text()
    return f"xoxb-{team}-installed"


async def installations(runtime: Runtime) -> list[tuple[str, str]]:
    async with runtime.engine.connect() as connection:
        rows = await connection.execute(text("SELECT team_id, bot_token FROM slack_installations ORDER BY team_id"))
        return [(r[0], r[1]) for r in rows]


async def test_install_round_trip_stores_the_installation_and_uses_its_token(
    slack_oauth: SlackDriver, runtime: Runtime
) -> None:
    token = await install(slack_oauth, "T7", "code-7")
    [exchange] = slack_oauth.fake.calls_to("oauth.v2.access")
    assert exchange.params["code"] == "code-7"
    [(team, stored)] = await installations(runtime)
    assert team == "T7" and stored != token and SecretBox.from_setting(ENCRYPTION_KEY).open(stored) == token  # type: ignore[union-attr]
    slack_oauth.fake.add_user("U70", "Gina", team_id="T7")
    name = await slack_oauth.command("help", team="T7", user="U70")
    assert "story" in slack_oauth.said(name)
    assert {c.token for c in slack_oauth.fake.calls_to("users.info")} == {token}


async def test_install_with_a_forged_state_is_refused(slack_oauth: SlackDriver, runtime: Runtime) -> None:
    slack_oauth.fake.oauth_codes["code-8"] = slack_oauth.fake.add_workspace("unused", "T8")
    async with slack_oauth.session.get(
        slack_oauth.base_url + "slack/oauth_redirect",
        params={"code": "code-8", "state": "forged"},
        headers={"Cookie": f"{STATE_COOKIE}=forged"},
    ) as response:
        assert response.status == 401
    assert slack_oauth.fake.calls_to("oauth.v2.access") == []
    assert await installations(runtime) == []


async def test_a_command_from_a_workspace_that_never_installed_is_turned_away(slack_oauth: SlackDriver) -> None:
    name = await slack_oauth.command("help", team="T404")
    assert "installation" in slack_oauth.said(name).lower()
    assert slack_oauth.fake.calls_to("users.info") == []


async def test_uninstall_deletes_the_installation(slack_oauth: SlackDriver, runtime: Runtime) -> None:
    await install(slack_oauth, "T7", "code-7")
    status = await slack_oauth.event({"type": "app_uninstalled"}, team="T7")
    assert status == 200
    assert await installations(runtime) == []
    reply = Reply(text="hello", audience=Audience.CHANNEL, to_team="C7")
    try:
        await slack_oauth.surface.deliver(workspace_id="T7", channel_id="C7", replies=[reply])
    except ChannelGone:
        pass
    else:
        raise AssertionError("delivery to an uninstalled workspace must fail with ChannelGone")


async def test_tokens_revoked_deletes_the_bot(slack_oauth: SlackDriver, runtime: Runtime) -> None:
    await install(slack_oauth, "T7", "code-7")
    await slack_oauth.event({"type": "tokens_revoked", "tokens": {"bot": ["UBT7"]}}, team="T7")
    async with runtime.engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM slack_bots"))).scalar() == 0


async def test_two_workspaces_see_and_change_nothing_of_each_other(slack_oauth: SlackDriver) -> None:
    one = await install(slack_oauth, "TA", "code-a")
    two = await install(slack_oauth, "TB", "code-b")
    slack_oauth.fake.add_user("UA", "Ann", team_id="TA")
    slack_oauth.fake.add_user("UB", "Ben", team_id="TB")
    await slack_oauth.command("story Secret of A | Fixed | Lesson of A", team="TA", user="UA", channel="CA")
    await slack_oauth.command("request", team="TA", user="UA", channel="CA")
    card = slack_oauth.fake.posted("CA")[-1]
    item = next(e["value"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"])
    slack_oauth.fake.reset()

    pressed = await slack_oauth.press("agenda.swap", item, team="TB", user="UB", channel="CB", message_ts=card["ts"])
    assert f"no agenda item #{item}" in slack_oauth.said(pressed)
    mine = await slack_oauth.command("mine", team="TB", user="UB", channel="CB")
    queue = await slack_oauth.command("queue", team="TB", user="UB", channel="CB")
    approve = await slack_oauth.command("approve 1", team="TB", user="UB", channel="CB")
    seen = slack_oauth.said(mine) + slack_oauth.said(queue) + slack_oauth.said(approve)
    assert "Secret of A" not in seen
    assert slack_oauth.fake.calls_to("chat.update") == []
    assert {c.token for c in slack_oauth.fake.calls} == {two}
    assert all_text(card["blocks"]) == all_text(slack_oauth.fake.posted("CA")[-1]["blocks"])
    assert one != two


async def states(runtime: Runtime) -> list[tuple[int, str]]:
    async with runtime.engine.connect() as connection:
        rows = await connection.execute(text("SELECT id, state FROM slack_oauth_states ORDER BY id"))
        return [(r[0], r[1]) for r in rows]


async def test_visits_to_the_install_page_keep_the_state_table_bounded_and_the_newest_states_valid(
    slack_oauth: SlackDriver, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "MAX_STATES", 5)
    async with runtime.engine.begin() as connection:  # an install abandoned long ago
        await connection.execute(
            text("INSERT INTO slack_oauth_states (state, expire_at) VALUES ('stale', :at)"),
            {"at": datetime(2020, 1, 1)},
        )
    for _ in range(12):  # anyone may visit the page, as often as they like
        async with slack_oauth.session.get(slack_oauth.base_url + "slack/install") as response:
            assert response.status == 200
    kept = await states(runtime)
    assert "stale" not in [state for _, state in kept]
    assert len(kept) <= 6  # the bound, and the state just issued
    token = await install(slack_oauth, "T7", "code-7")  # the newest visit still installs
    assert [team for team, _ in await installations(runtime)] == ["T7"] and token
