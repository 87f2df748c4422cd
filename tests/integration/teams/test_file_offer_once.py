"""A file consent card is one offer, answered once: pressing "Allow" again, answering after "Decline", or the
same invoke replayed — to this server or another one on the same database — runs and uploads nothing, leaves
the card as the first answer made it, and tells the person in their chat to ask for the export again."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from adapters.runtime import Runtime
from adapters.teams.exports import AGAIN
from adapters.teams.files import INFO
from tests.integration.teams.conftest import TeamsApp, emulator, start
from tests.integration.teams.reading import attachments, content
from tests.integration.teams.test_files import answer, offered
from tests.support.clock import FakeClock
from tests.support.fake_connector import FakeConnector

ANSWERED = "This file offer was already answered, so I didn't run anything. To get a new one, ask for the export again."
SHARED_KEY = "3PTmvb8qY1AoFm7hDSUgbGJjv52J9i1xzETGNUmz3aE="  # every server of a deployment signs with one key


def uploads(connector: FakeConnector) -> int:
    return sum(1 for call in connector.calls if call.method == "PUT" and call.path.startswith("/upload/"))


async def told_answered(teams: TeamsApp, activity: dict[str, Any]) -> None:
    """Posts a second answer: nothing is uploaded or updated, and the person is told in their chat."""
    teams.connector.clear()
    response = await teams.post(activity)
    assert response.status == 200
    assert uploads(teams.connector) == 0
    assert teams.connector.updates() == []
    (said,) = teams.connector.posts()
    assert said.conversation_id == activity["conversation"]["id"]
    assert content(said) == ANSWERED


async def test_allow_pressed_again_uploads_nothing_and_says_the_offer_was_answered(teams: TeamsApp) -> None:
    card_id, consent = await offered(teams)
    teams.connector.clear()
    await teams.post(answer(teams, card_id, consent, "accept"))
    assert uploads(teams.connector) == 1
    assert attachments(teams.connector.updates(card_id)[-1], INFO)  # the card became the file card
    await told_answered(teams, answer(teams, card_id, consent, "accept"))


async def test_after_decline_neither_allow_nor_decline_runs_anything(teams: TeamsApp) -> None:
    card_id, consent = await offered(teams)
    await teams.post(answer(teams, card_id, consent, "decline"))
    await told_answered(teams, answer(teams, card_id, consent, "accept"))
    await told_answered(teams, answer(teams, card_id, consent, "decline"))
    assert teams.connector.uploads == {}


async def test_declining_an_uploaded_offer_leaves_its_file_card(teams: TeamsApp) -> None:
    card_id, consent = await offered(teams)
    await teams.post(answer(teams, card_id, consent, "accept"))
    await told_answered(teams, answer(teams, card_id, consent, "decline"))


async def test_each_card_is_its_own_offer(teams: TeamsApp) -> None:
    """The same export asked for twice, at once: two cards, each answered once."""
    first_id, first = await offered(teams)
    second_id, second = await offered(teams, story=False)
    assert first["content"]["acceptContext"]["offerId"] != second["content"]["acceptContext"]["offerId"]
    teams.connector.clear()
    await teams.post(answer(teams, first_id, first, "accept"))
    await teams.post(answer(teams, second_id, second, "accept"))
    assert uploads(teams.connector) == 2
    await told_answered(teams, answer(teams, second_id, second, "accept"))


async def test_two_answers_at_once_upload_once(teams: TeamsApp) -> None:
    card_id, consent = await offered(teams)
    teams.connector.clear()
    responses = await asyncio.gather(*(teams.post(answer(teams, card_id, consent, "accept")) for _ in range(4)))
    assert [r.status for r in responses] == [200] * 4
    assert uploads(teams.connector) == 1
    assert [content(call) for call in teams.connector.posts()] == [ANSWERED] * 3


@contextlib.asynccontextmanager
async def server(runtime: Runtime, clock: FakeClock, connector: FakeConnector) -> AsyncIterator[TeamsApp]:
    """One server process of a deployment: its own surface, on the shared database and key."""
    shared = emulator(runtime)
    settings = shared.settings.model_copy(update={"encryption_key": SHARED_KEY})
    client, surface = await start(dataclasses.replace(shared, settings=settings), clock)
    try:
        yield TeamsApp(client, surface, connector, runtime)
    finally:
        await client.close()


@pytest.fixture
async def servers(
    runtime: Runtime, clock: FakeClock, connector: FakeConnector
) -> AsyncIterator[tuple[TeamsApp, TeamsApp]]:
    async with server(runtime, clock, connector) as first, server(runtime, clock, connector) as second:
        yield first, second


async def test_the_same_answer_replayed_to_another_server_runs_nothing(servers: tuple[TeamsApp, TeamsApp]) -> None:
    first, second = servers
    card_id, consent = await offered(first)
    accepted = answer(first, card_id, consent, "accept")
    first.connector.clear()
    await first.post(copy.deepcopy(accepted))
    assert uploads(first.connector) == 1
    await told_answered(second, copy.deepcopy(accepted))  # same activity id: only the database knows


async def test_answers_racing_on_two_servers_upload_once(servers: tuple[TeamsApp, TeamsApp]) -> None:
    first, second = servers
    card_id, consent = await offered(first)
    first.connector.clear()
    await asyncio.gather(*(app.post(answer(app, card_id, consent, "accept")) for app in (first, second, first, second)))
    assert uploads(first.connector) == 1
    assert [content(call) for call in first.connector.posts()] == [ANSWERED] * 3


@contextlib.asynccontextmanager
async def claims_unreadable(runtime: Runtime) -> AsyncIterator[None]:
    """The record of answered offers cannot be reached (its table moved away for the while)."""
    async with runtime.engine.begin() as connection:
        await connection.execute(text("ALTER TABLE one_time_claims RENAME TO one_time_claims_away"))
    try:
        yield
    finally:
        async with runtime.engine.begin() as connection:
            await connection.execute(text("ALTER TABLE one_time_claims_away RENAME TO one_time_claims"))


async def test_an_offer_that_cannot_be_checked_runs_nothing_and_stays_open(teams: TeamsApp) -> None:
    card_id, consent = await offered(teams)
    teams.connector.clear()
    async with claims_unreadable(teams.runtime):
        response = await teams.post(answer(teams, card_id, consent, "accept"))
    assert response.status == 200
    assert uploads(teams.connector) == 0 and teams.connector.updates() == []
    (said,) = teams.connector.posts()
    assert content(said) == "I couldn't check this file offer just now, so I didn't run anything. " + AGAIN
    await teams.post(answer(teams, card_id, consent, "accept"))  # nothing was used up: it still works
    assert uploads(teams.connector) == 1
