"""`POST /api/messages`: authentication, and malformed or hostile input never becoming a 500 or a half-save."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from adapters.runtime import Runtime
from bot.storage.models import Moment, Team, Workspace
from tests.integration.teams.builders import OTHER_TENANT, TENANT, installed, message
from tests.integration.teams.conftest import MAX_BODY, TeamsApp, authenticated, start
from tests.integration.teams.reading import content
from tests.support.clock import FakeClock
from tests.support.fake_connector import FakeConnector


async def rows(teams: TeamsApp) -> tuple[int, int, int]:
    async with teams.runtime.sessions() as session:
        counts = []
        for table in (Workspace, Team):
            counts.append(await session.scalar(select(func.count()).select_from(table)) or 0)
        own = select(func.count()).select_from(Moment).where(Moment.library_key.is_(None))
        counts.append(await session.scalar(own) or 0)
    return counts[0], counts[1], counts[2]


async def test_without_an_app_id_authentication_is_off(teams: TeamsApp) -> None:
    response = await teams.post(message("help", teams.service_url))
    assert response.status == 200 and teams.connector.posts()


async def test_with_an_app_id_a_request_without_a_token_is_refused(secured: TeamsApp) -> None:
    response = await secured.post(message("help", secured.service_url))
    assert response.status == 401
    assert secured.connector.calls == []
    assert await rows(secured) == (0, 0, 0)


async def test_with_an_app_id_a_forged_token_is_refused(secured: TeamsApp) -> None:
    forged = "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJhdWQiOiI5YjFjMGY1NSJ9."
    response = await secured.post(message("help", secured.service_url), headers={"Authorization": forged})
    assert response.status == 401
    assert await rows(secured) == (0, 0, 0)


async def test_with_an_app_id_an_install_without_a_token_stores_nothing(secured: TeamsApp) -> None:
    response = await secured.post(installed(secured.service_url))
    assert response.status == 401 and await rows(secured) == (0, 0, 0)


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, b'{"type": "message"}', 400),
        ({"Content-Type": "text/plain"}, b"help", 415),
        ({"Content-Type": "application/json"}, b"{not json", 400),
        ({"Content-Type": "application/json"}, b"\xff\xfe\x00", 400),
        ({"Content-Type": "application/json"}, b"[1, 2, 3]", 400),
        ({"Content-Type": "application/json"}, b'"message"', 400),
        ({"Content-Type": "application/json"}, b"{}", 400),
        ({"Content-Type": "application/json"}, b'{"type": 7}', 400),
    ],
)
async def test_unusable_bodies_are_400s(teams: TeamsApp, headers: dict[str, str], body: bytes, status: int) -> None:
    response = await teams.client.post("/api/messages", data=body, headers=headers, skip_auto_headers=["Content-Type"])
    assert response.status == status
    assert "error" in await response.json()


def broken(service_url: str, change: Any) -> dict[str, Any]:
    activity = message("story A customer called twice lesson: call back first", service_url)
    change(activity)
    return activity


@pytest.mark.parametrize(
    "change",
    [
        lambda a: a.pop("from"),
        lambda a: a.pop("conversation"),
        lambda a: a.pop("serviceUrl"),
        lambda a: a.update(serviceUrl="ftp://example.org"),
        lambda a: a.update({"from": {"name": "No id"}}),
        lambda a: a.update(conversation="19:abc"),
        lambda a: a.update(text=["story", "x"]),
        lambda a: a.update(entities={"type": "mention"}),
        lambda a: a.update(entities=["mention"]),
        lambda a: a.update(channelData="tenant"),
        lambda a: (a["conversation"].pop("tenantId"), a["channelData"].pop("tenant")),
        lambda a: a["conversation"].update(tenantId="t" * 100),
        lambda a: a["channelData"]["channel"].update(id="19:" + "c" * 200),
        lambda a: a.update(timestamp="not a time"),
        lambda a: a.update(replyToId={"id": 1}),
    ],
    ids=[
        "no-from",
        "no-conversation",
        "no-service-url",
        "service-url-not-http",
        "from-without-id",
        "conversation-not-object",
        "text-not-string",
        "entities-not-list",
        "entity-not-object",
        "channel-data-not-object",
        "no-tenant",
        "tenant-too-long",
        "channel-id-too-long",
        "bad-timestamp",
        "reply-to-not-string",
    ],
)
async def test_malformed_activities_are_refused_and_nothing_is_saved(teams: TeamsApp, change: Any) -> None:
    response = await teams.post(broken(teams.service_url, change))
    assert response.status == 400, await response.text()
    assert await rows(teams) == (0, 0, 0)
    assert teams.connector.calls == []


@pytest.mark.parametrize("kind", ["typing", "messageReaction", "event", "endOfConversation", "somethingNew"])
async def test_other_activity_types_are_acknowledged_and_ignored(teams: TeamsApp, kind: str) -> None:
    activity = message("help", teams.service_url)
    activity["type"] = kind
    response = await teams.post(activity)
    assert response.status == 200
    assert teams.connector.calls == [] and await rows(teams) == (0, 0, 0)


async def test_an_unknown_invoke_is_answered_not_implemented(teams: TeamsApp) -> None:
    activity = message("", teams.service_url)
    activity.update(type="invoke", name="composeExtension/query", value={})
    response = await teams.post(activity)
    assert response.status in (200, 501)


async def test_huge_text_gets_a_friendly_answer_and_saves_nothing(teams: TeamsApp) -> None:
    text = "story " + "the customer waited " * 2_000 + " lesson: answer sooner"
    response = await teams.post(message(text, teams.service_url))
    assert response.status == 200
    (answer,) = teams.connector.posts()
    assert "That is too long for one command" in content(answer)
    assert (await rows(teams))[2] == 0


async def test_a_body_over_the_size_limit_is_413(teams: TeamsApp) -> None:
    activity = message("x" * (MAX_BODY + 10), teams.service_url)
    response = await teams.client.post(
        "/api/messages", data=json.dumps(activity), headers={"Content-Type": "application/json"}
    )
    assert response.status == 413
    assert await rows(teams) == (0, 0, 0)


async def test_an_empty_message_gets_help(teams: TeamsApp) -> None:
    response = await teams.post(message("", teams.service_url))
    assert response.status == 200
    assert "help [command]" in content(teams.connector.posts()[0])


async def test_a_redelivered_activity_is_handled_once(teams: TeamsApp) -> None:
    activity = message("story A customer called twice about a parcel lesson: call back first", teams.service_url)
    first = await teams.post(activity)
    second = await teams.post(activity)
    assert (first.status, second.status) == (200, 200)
    assert (await rows(teams))[2] == 1 and len(teams.connector.posts()) == 1


async def test_someone_without_an_entra_id_is_told_the_bot_cannot_act(teams: TeamsApp) -> None:
    stranger = {"id": "29:" + "x" * 120, "name": "Guest"}
    response = await teams.post(message("help", teams.service_url, sender=stranger))
    assert response.status == 200
    assert "I can't tell who you are" in content(teams.connector.posts()[0])
    assert await rows(teams) == (0, 0, 0)


async def test_a_submit_with_junk_values_is_answered_not_crashed(teams: TeamsApp) -> None:
    activity = message("", teams.service_url, to_bot=False)
    activity.update(value={"form": "story", "context": ["x"], "field.situation": {"deep": [1, 2]}}, replyToId="1")
    response = await teams.post(activity)
    assert response.status == 200
    assert not teams.connector.updates("1")  # a form shown again goes to the person's 1:1 chat alone
    (shown_again,) = [c for c in teams.connector.posts() if c.conversation_id.startswith("a:personal-")]
    assert "What happened?" in content(shown_again)
    assert await rows(teams) == (0, 0, 0)


async def test_an_authenticated_single_tenant_app_refuses_other_tenants_and_other_channels(
    runtime: Runtime, connector: FakeConnector, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    single_tenant = authenticated(runtime, connector, microsoft_app_type="SingleTenant", microsoft_app_tenant_id=TENANT)
    client, surface = await start(single_tenant, clock)
    try:

        async def token_accepted(_activity: Any, _header: str) -> object:
            return object()  # stands in for a valid Bot Framework token

        authentication = surface._adapter.bot_framework_authentication
        monkeypatch.setattr(authentication, "authenticate_request", token_accepted)
        response = await client.post(
            "/api/messages", json=message("help", connector.url, tenant=OTHER_TENANT), headers={"Authorization": "x"}
        )
        assert response.status == 403
        web_chat = {**message("help", connector.url, tenant=TENANT), "channelId": "webchat"}
        response = await client.post("/api/messages", json=web_chat, headers={"Authorization": "x"})
        assert response.status == 403
        assert connector.calls == []
    finally:
        await client.close()


async def test_a_turn_that_fails_unexpectedly_is_a_500_and_teams_may_redeliver_it(
    teams: TeamsApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = teams.surface._handler
    original = handler.message
    failures = [RuntimeError("boom")]

    async def flaky(activity: Any, connectors: Any) -> None:
        if failures:
            raise failures.pop()
        await original(activity, connectors)

    monkeypatch.setattr(handler, "message", flaky)
    activity = message("help", teams.service_url)
    assert (await teams.post(activity)).status == 500
    assert (await teams.post(activity)).status == 200
    assert "help [command]" in content(teams.connector.posts()[0])
