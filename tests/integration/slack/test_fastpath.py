"""Through the real server: ``/moment`` and button presses are answered without Bolt's dispatch, with the
workspace's own token, in token mode and in OAuth mode; other requests, and workspaces the app is not
installed in, still go through Bolt."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack.home import NOTICE_BLOCK
from adapters.slack.listeners import SlackListeners
from tests.integration.slack.conftest import TOKEN
from tests.integration.slack.driver import SlackDriver, all_text
from tests.integration.slack.test_oauth import install


def dispatched(driver: SlackDriver, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The bodies that reach Bolt's dispatch from now on."""
    seen: list[dict[str, Any]] = []
    original = driver.surface.app.async_dispatch

    async def counted(request: Any) -> Any:
        seen.append(request.body)
        return await original(request)

    monkeypatch.setattr(driver.surface.app, "async_dispatch", counted)
    return seen


def agenda_item(driver: SlackDriver, channel: str) -> str:
    card = driver.fake.posted(channel)[-1]
    return next(e["value"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"])


async def test_token_mode_commands_and_presses_skip_bolts_dispatch(
    slack: SlackDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = dispatched(slack, monkeypatch)
    story = await slack.command("story Lost parcel | Rebooked it | Call first")
    assert "Thanks!" in slack.said(story)
    await slack.command("request")
    pressed = await slack.press("agenda.swap", agenda_item(slack, "C1"))
    assert slack.said(pressed) or slack.fake.calls_to("chat.update")
    assert seen == []
    assert {c.token for c in slack.fake.calls if c.token} == {TOKEN}


async def test_a_form_and_an_event_still_go_through_bolt(slack: SlackDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = dispatched(slack, monkeypatch)
    await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    assert [body.get("type") for body in seen] == ["event_callback"]


async def test_oauth_mode_commands_use_the_installations_token_and_skip_bolts_dispatch(
    slack_oauth: SlackDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = await install(slack_oauth, "TA", "code-a")
    slack_oauth.fake.add_user("UA", "Ann", team_id="TA")
    seen = dispatched(slack_oauth, monkeypatch)
    slack_oauth.fake.reset()
    mine = await slack_oauth.command("mine", team="TA", user="UA", channel="CA")
    assert slack_oauth.said(mine)
    assert seen == []
    assert {c.token for c in slack_oauth.fake.calls if c.token} <= {token}


async def test_oauth_mode_a_workspace_that_never_installed_is_left_to_bolt(
    slack_oauth: SlackDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = dispatched(slack_oauth, monkeypatch)
    name = await slack_oauth.command("help", team="T404")
    assert "installation" in slack_oauth.said(name).lower()
    assert [body.get("team_id") for body in seen] == ["T404"]


def failing(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """A bug in the listener's own code, outside the core, before anything is stored."""

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a customer's private words")

    monkeypatch.setattr(f"adapters.slack.listeners.{name}", broken)


async def test_a_command_whose_listener_fails_is_told_so_in_its_acknowledgement_and_the_failure_is_logged(
    slack: SlackDriver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    failing(monkeypatch, "command_incoming")
    name = await slack.command("story Lost parcel | Rebooked it | Call first", user="U7")
    assert name in slack.fake.carried, "the failure notice comes in the acknowledgement"
    said = slack.said(name)
    assert "Something went wrong" in said and "may have gone through" in said and "Thanks!" not in said
    assert len(slack.responses(name)) == 1, "told once"
    logged = [r for r in caplog.records if "failed in a listener" in r.getMessage()]
    assert len(logged) == 1 and "U7" in logged[0].getMessage() and "T1" in logged[0].getMessage()
    assert "private words" not in caplog.text, "the log names the error's kind and place, not its text"


async def test_a_press_whose_listener_fails_is_told_so_on_its_response_url(
    slack: SlackDriver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await slack.command("request")
    item = agenda_item(slack, "C1")
    failing(monkeypatch, "pressed")
    name = await slack.press("agenda.swap", item)
    (notice,) = slack.responses(name)
    assert "Something went wrong" in notice["text"] and notice.get("replace_original") is False
    assert any("failed in a listener" in r.getMessage() for r in caplog.records)


async def test_a_message_to_the_bot_whose_listener_fails_is_told_so_in_that_conversation(
    slack: SlackDriver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    failing(monkeypatch, "message_incoming")
    await slack.direct_message("story Lost parcel | Rebooked it | Call first", channel="DU1")
    [notice] = [c.params for c in slack.fake.calls_to("chat.postMessage") if c.params.get("channel") == "DU1"]
    assert "Something went wrong" in notice["text"] and "may have gone through" in notice["text"]
    assert any("failed in a listener" in r.getMessage() for r in caplog.records)


async def test_a_press_in_the_home_tab_whose_listener_fails_is_told_so_on_the_tab(
    slack: SlackDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    await slack.command("review on")
    await slack.command("story Lost parcel | Rebooked it | Call first", user="U2")
    await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    before = slack.fake.homes["U1"]
    [number] = [
        e["value"]
        for b in before["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "review.approve"
    ]
    failing(monkeypatch, "action_incoming")
    await slack.press("review.approve", number, in_home=True)
    told = slack.fake.homes["U1"]
    [notice] = [b for b in told["blocks"] if b.get("block_id") == NOTICE_BLOCK]
    assert "Something went wrong" in all_text(notice) and "may have gone through" in all_text(notice)
    rest = [b for b in told["blocks"] if b.get("block_id") != NOTICE_BLOCK]
    assert rest == [b for b in before["blocks"] if b.get("block_id") != NOTICE_BLOCK], "else as it was"


async def test_a_visit_to_the_home_tab_that_fails_shows_so_there(
    slack: SlackDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a customer's private words")

    monkeypatch.setattr(SlackListeners, "_home_view", broken)
    await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    tab = slack.fake.homes["U1"]
    [notice] = [b for b in tab["blocks"] if b.get("block_id") == NOTICE_BLOCK]
    assert "Something went wrong" in all_text(notice) and "try again" in all_text(notice)
