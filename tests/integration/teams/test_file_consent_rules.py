"""A file consent answer does only what its card was offered for: that export, for that person, there.

The answer (``fileConsent/invoke``) comes back from the person's client with the card's context and an
upload URL; here they are made up or changed as an attacker would. A refused answer runs nothing,
stores nothing, updates no card, opens no connection to the upload address, and tells the person why.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.runtime import Runtime
from tests.integration.hostile.support import table_counts
from tests.integration.teams.builders import ALICE, CAROL, CHANNEL, TENANT, base, message
from tests.integration.teams.conftest import APP_ID, TeamsApp, signed_app
from tests.integration.teams.reading import content
from tests.integration.teams.test_files import CHATS, answer, offered
from tests.support.channel_tokens import ChannelKeys
from tests.support.clock import FakeClock
from tests.support.fake_connector import FakeConnector

PRIVATE = "19:0f0e0d0c0b0a09080706050403020100@thread.tacv2"  # a channel Carol was never in


def own_chat(person: dict[str, Any]) -> str:
    return f"a:1personal{person['aadObjectId'][:8]}"


def invoke(teams: TeamsApp, context: Any, *, sender: dict[str, Any], chat: str, url: str | None = None) -> Any:
    value: dict[str, Any] = {"type": "fileUpload", "action": "accept", "context": context}
    value["uploadInfo"] = {"uploadUrl": url or f"{teams.service_url}upload/stolen.csv", "name": "stolen.csv"}
    activity = base(
        "invoke",
        teams.service_url,
        where="personal",
        sender=sender,
        tenant=TENANT,
        name="fileConsent/invoke",
        value=value,
        replyToId="1000",
    )
    activity["conversation"]["id"] = chat
    return activity


async def refused(teams: TeamsApp, activity: Any, *, told: str = "didn't run anything") -> None:
    """Posts the answer; it must change nothing anywhere and be answered with a sentence in its chat."""
    before = await table_counts(teams.runtime.engine)
    teams.connector.clear()
    response = await teams.post(activity)
    assert response.status == 200
    assert await table_counts(teams.runtime.engine) == before
    assert teams.connector.uploads == {}
    assert teams.connector.updates() == []
    (said,) = teams.connector.posts()
    assert said.conversation_id == activity["conversation"]["id"]
    assert told in content(said)


@pytest.mark.parametrize(
    "context",
    [
        {"command": "story Bob was here", "channelId": PRIVATE},
        {"command": "request", "channelId": PRIVATE, "channelName": "Secret"},
        {"command": "export csv", "channelId": PRIVATE},
        {"command": "export csv", "channelId": CHANNEL, "signature": "AAAA"},
        "export csv",
        None,
    ],
)
async def test_a_made_up_context_runs_nothing(teams: TeamsApp, context: Any) -> None:
    await teams.post(message("help", teams.service_url))  # the workspace exists, Alice its admin
    await refused(teams, invoke(teams, context, sender=CAROL, chat=own_chat(CAROL)))


CHANGES: dict[str, dict[str, Any]] = {
    "another offer": {"offerId": "AAAAAAAAAAAAAAAA"},
    "another command": {"command": "story Bob was here"},
    "a request": {"command": "request"},
    "another channel": {"channelId": PRIVATE},
    "another channel name": {"channelName": "Secret"},
    "another person": {"person": CAROL["id"]},
    "another chat": {"conversation": own_chat(CAROL)},
    "a longer life": {"expires": 4_102_444_800},
}


@pytest.mark.parametrize("change", list(CHANGES))
async def test_a_signed_context_changed_in_any_way_runs_nothing(teams: TeamsApp, change: str) -> None:
    card_id, consent = await offered(teams)
    context = {**consent["content"]["acceptContext"], **CHANGES[change]}
    await refused(teams, invoke(teams, context, sender=ALICE, chat=CHATS[card_id]))


async def test_someone_else_answering_the_card_runs_nothing_in_its_chat_or_their_own(teams: TeamsApp) -> None:
    card_id, consent = await offered(teams)
    for chat in (CHATS[card_id], own_chat(CAROL)):
        await refused(teams, answer(teams, card_id, consent, "accept", sender=CAROL, chat=chat))
    await refused(teams, answer(teams, card_id, consent, "decline", sender=CAROL, chat=own_chat(CAROL)))


async def test_the_card_answered_from_another_conversation_runs_nothing(teams: TeamsApp) -> None:
    card_id, consent = await offered(teams)
    for chat in (CHANNEL, own_chat(ALICE) + "x"):
        await refused(teams, answer(teams, card_id, consent, "accept", chat=chat), told="another chat")


async def test_a_context_for_another_command_than_export_is_refused_even_when_offered(teams: TeamsApp) -> None:
    """Only an export is ever offered; were another command's context signed, it still would not run."""
    card_id, _ = await offered(teams)
    surface_consents = teams.surface._handler._consents  # signing as the server would
    offer = surface_consents.offer(
        tenant=TENANT,
        person=ALICE["id"],
        conversation=CHATS[card_id],
        command="story Bob was here",
        channel_id=CHANNEL,
        channel_name="Support",
    )
    context = surface_consents.context(offer)
    await refused(teams, invoke(teams, context, sender=ALICE, chat=CHATS[card_id]), told="not for an export")


class Sink:
    """A TCP listener on this machine that counts the connections made to it."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Sink:
        async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            writer.close()

        self._server = await asyncio.start_server(accepted, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


async def test_without_authentication_only_plain_http_to_this_machine_is_used(teams: TeamsApp) -> None:
    async with Sink() as sink:
        for url in (f"https://127.0.0.1:{sink.port}/upload/x.csv", f"https://localhost:{sink.port}/upload/x.csv"):
            card_id, consent = await offered(teams)
            await teams.post(answer(teams, card_id, consent, "accept", url=url))
            assert "upload address is not a OneDrive or SharePoint one" in content(teams.connector.updates(card_id)[-1])
        assert sink.connections == 0
    assert teams.connector.uploads == {}


@pytest.fixture
async def signed(
    runtime: Runtime, connector: FakeConnector, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[TeamsApp, ChannelKeys]]:
    async with signed_app(runtime, connector, clock, monkeypatch) as app:
        yield app


async def test_with_authentication_only_a_microsoft_upload_host_is_used(
    signed: tuple[TeamsApp, ChannelKeys],
) -> None:
    teams, keys = signed
    token = {"Authorization": keys.token(audience=APP_ID, service_url=teams.service_url)}
    async with Sink() as sink:
        await teams.post(message("help", teams.service_url), headers=token)
        teams.connector.clear()
        await teams.post(message("export csv", teams.service_url), headers=token)
        card = next(call for call in teams.connector.posts() if call.body.get("attachments"))
        consent = card.body["attachments"][0]
        CHATS[card.posted_id] = card.conversation_id
        for url in (
            f"https://127.0.0.1:{sink.port}/upload/x.csv",
            f"http://127.0.0.1:{sink.port}/upload/x.csv",
            f"{teams.service_url}upload/{consent['name']}",  # plain http to this machine: development only
        ):
            response = await teams.post(answer(teams, card.posted_id, consent, "accept", url=url), headers=token)
            assert response.status == 200
            assert "not a OneDrive or SharePoint" in content(teams.connector.updates(card.posted_id)[-1])
        assert sink.connections == 0
    assert teams.connector.uploads == {}
