"""Slack errors → delivery port errors; users.info → who someone is; which channels the Home shows."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.channels import Channel, shared
from adapters.slack.delivery import delivery_error
from adapters.slack.people import Directory, profile_from_user
from bot.ports import ChannelGone


def api_error(
    error: str, status: int = 200, headers: dict[str, Any] | None = None, *, page: str | None = None
) -> SlackApiError:
    """Slack's JSON error ``error``; or, with ``page``, a body that is not JSON, which the client keeps as text."""
    response = AsyncSlackResponse(
        client=None,  # type: ignore[arg-type]
        http_verb="POST",
        api_url="https://slack.test/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": error} if page is None else page,  # type: ignore[arg-type]
        headers=headers or {},
        status_code=status,
    )
    return SlackApiError(error, response)


GATEWAY_PAGE = "<html><body><h1>502 Bad Gateway</h1></body></html>"


@pytest.mark.parametrize(
    "error", ["is_archived", "channel_not_found", "not_in_channel", "account_inactive", "invalid_auth"]
)
def test_gone(error: str) -> None:
    assert isinstance(delivery_error(api_error(error), what="post"), ChannelGone)


def test_rate_limited_carries_retry_after() -> None:
    mapped = delivery_error(api_error("ratelimited", 429, {"Retry-After": "30"}), what="post")
    assert mapped.retryable and mapped.retry_after == 30.0


def test_server_errors_and_timeouts_are_retryable() -> None:
    assert delivery_error(api_error("fatal_error", 500), what="post").retryable
    assert delivery_error(TimeoutError(), what="post").retryable


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_whose_body_is_not_json_is_retryable(status: int) -> None:
    mapped = delivery_error(api_error("", status, page=GATEWAY_PAGE), what="post")
    assert mapped.retryable and not isinstance(mapped, ChannelGone)
    assert str(mapped) == "post: unknown_error"


@pytest.mark.parametrize("page", [GATEWAY_PAGE, "", "Method Not Allowed"])
def test_a_client_error_whose_body_is_not_json_is_final(page: str) -> None:
    mapped = delivery_error(api_error("", 405, page=page), what="post")
    assert not mapped.retryable and not isinstance(mapped, ChannelGone)


def test_bad_requests_are_final() -> None:
    mapped = delivery_error(api_error("invalid_blocks"), what="post")
    assert not mapped.retryable and not isinstance(mapped, ChannelGone)


def test_profile_from_users_info(users_info: dict[str, Any]) -> None:
    profile = profile_from_user(users_info["user"])
    assert (profile.user_id, profile.name, profile.admin, profile.zone) == (
        "W012A3CDE",
        "spengler",
        True,
        "America/Los_Angeles",
    )


class CountingClient:
    def __init__(self, user: dict[str, Any]) -> None:
        self.user = user
        self.calls = 0

    async def users_info(self, *, user: str) -> dict[str, Any]:
        self.calls += 1
        return {"ok": True, "user": self.user}


async def test_the_directory_caches_briefly(users_info: dict[str, Any]) -> None:
    now = [0.0]
    directory = Directory(ttl=60, clock=lambda: now[0])
    client = CountingClient(users_info["user"])
    for _ in range(3):
        await directory.profile(client, workspace_id="T1", user_id="W012A3CDE")  # type: ignore[arg-type]
    assert client.calls == 1
    now[0] = 61
    await directory.profile(client, workspace_id="T1", user_id="W012A3CDE")  # type: ignore[arg-type]
    assert client.calls == 2


class FailingClient:
    def __init__(self, error: SlackApiError) -> None:
        self.error = error

    async def users_info(self, *, user: str) -> dict[str, Any]:
        raise self.error


@pytest.mark.parametrize("error", [api_error("", 503, page=GATEWAY_PAGE), api_error("internal_error", 500)])
async def test_a_person_slack_cannot_tell_about_is_known_by_the_name_the_payload_gave(error: SlackApiError) -> None:
    directory = Directory(ttl=60)
    client = FailingClient(error)
    profile = await directory.profile(client, workspace_id="T1", user_id="U9", fallback="carol")  # type: ignore[arg-type]
    assert (profile.user_id, profile.name) == ("U9", "carol")


def test_home_channels_are_the_ones_shared_with_the_bot() -> None:
    mine = [Channel("C2", "sales"), Channel("C1", "support"), Channel("C3", "random")]
    bots = [Channel("C1", "support"), Channel("C2", "sales"), Channel("C9", "ops")]
    assert [c.id for c in shared(mine, bots)] == ["C2", "C1"]
