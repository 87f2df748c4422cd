"""The message action "Make it a Customer Moment": its task module, and sending it, through the real server."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from adapters.teams.capture import COMMAND_ID, FETCH_TASK, SUBMIT_ACTION
from adapters.teams.package import manifest
from bot.domain.validation import MAX_REASON, MAX_TEXT
from bot.storage.models import Member, Moment, Team
from tests.integration.teams.builders import ALICE, BOB, CHANNEL, TEAM, TENANT, JsonDict, aad, base
from tests.integration.teams.conftest import TeamsApp
from tests.integration.teams.reading import content, inputs
from tests.unit.teams.test_card_schema import VALIDATOR

WORDS = "Called the customer back within the hour &amp; she ordered again"
TEXT = "Called the customer back within the hour & she ordered again"
LESSON = "Call back before they have to chase us."


def payload(html: str, *, author: JsonDict | None, bot: bool = False) -> JsonDict:
    """``messagePayload`` as Teams sends it with a message action (HTML body, the author's user)."""
    sent: JsonDict = {
        "id": "1700000000999",
        "messageType": "message",
        "body": {"contentType": "html", "content": html},
        "attachments": [],
        "mentions": [],
    }
    if bot:
        sent["from"] = {"application": {"id": "28:other-bot", "displayName": "Build Bot"}}
    elif author is not None:
        sent["from"] = {
            "user": {
                "id": author["id"],
                "displayName": author["name"],
                "aadObjectId": author["aadObjectId"],
                "userIdentityType": "aadUser",
            }
        }
    return sent


def invoke(teams: TeamsApp, name: str, value: Any, *, sender: JsonDict = ALICE, where: str = "channel") -> JsonDict:
    return base("invoke", teams.service_url, where=where, sender=sender, tenant=TENANT, name=name, value=value)


def fetch_value(message: JsonDict | None) -> JsonDict:
    value: JsonDict = {"commandId": COMMAND_ID, "commandContext": "message", "context": {"theme": "default"}}
    if message is not None:
        value["messagePayload"] = message
    return value


async def answer(teams: TeamsApp, activity: JsonDict) -> Any:
    teams.connector.clear()
    response = await teams.post(activity)
    assert response.status == 200, await response.text()
    return await response.json()


async def open_task(teams: TeamsApp, message: JsonDict, *, sender: JsonDict = ALICE) -> JsonDict:
    """The card the task module shows."""
    task = (await answer(teams, invoke(teams, FETCH_TASK, fetch_value(message), sender=sender)))["task"]
    assert task["type"] == "continue" and task["value"]["title"] == "Make it a Customer Moment"
    attachment = task["value"]["card"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card: JsonDict = attachment["content"]
    assert valid(card)
    return card


def valid(card: JsonDict) -> bool:
    """Against the Adaptive Cards 1.5 schema, as Teams renders it."""
    return not [error.message for error in VALIDATOR.iter_errors(card)]


def sent(card: JsonDict, values: dict[str, Any], message: JsonDict) -> JsonDict:
    """``composeExtension/submitAction``: the card's submit data and inputs, and the message again."""
    data = {**card["actions"][0]["data"], **values}
    return {"commandId": COMMAND_ID, "commandContext": "message", "data": data, "messagePayload": message}


async def stored(teams: TeamsApp, kind: str) -> int:
    async with teams.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Moment).where(Moment.kind == kind)) or 0)


async def test_someone_elses_message_opens_the_shout_out_form_for_its_author(teams: TeamsApp) -> None:
    card = await open_task(teams, payload(f"<p>{WORDS}</p>", author=BOB))
    fields = inputs(card)
    picker = fields["field.recipients"]
    assert picker["type"] == "Input.ChoiceSet"
    assert picker["value"] == aad(BOB) and aad(BOB) in {c["value"] for c in picker["choices"]}
    assert fields["field.reason"]["value"] == TEXT
    assert card["actions"][0]["data"]["form"] == "shoutout"


async def test_your_own_message_opens_the_story_form_with_its_words(teams: TeamsApp) -> None:
    card = await open_task(teams, payload(f"<div>{WORDS}</div>", author=ALICE))
    assert card["actions"][0]["data"]["form"] == "story"
    assert inputs(card)["field.situation"]["value"] == TEXT


async def test_a_bots_message_opens_the_story_form(teams: TeamsApp) -> None:
    card = await open_task(teams, payload(WORDS, author=None, bot=True), sender=BOB)
    assert card["actions"][0]["data"]["form"] == "story"


async def test_an_author_outside_the_roster_is_still_offered_and_recognised(teams: TeamsApp) -> None:
    dave = {"id": "29:1dave", "name": "Dave", "aadObjectId": "0f6c2d3e-4b5a-4c6d-8e9f-a0b1c2d3e4f5"}
    message = payload(WORDS, author=dave)
    card = await open_task(teams, message)
    picker = inputs(card)["field.recipients"]
    assert picker["value"] == dave["aadObjectId"]
    assert {"title": "Dave", "value": dave["aadObjectId"]} in picker["choices"]
    values = {"field.recipients": picker["value"], "field.reason": TEXT, "field.private": "false"}
    assert await answer(teams, invoke(teams, SUBMIT_ACTION, sent(card, values, message))) is None
    async with teams.runtime.sessions() as session:
        names = set(await session.scalars(select(Member.name)))
    assert "Dave" in names and await stored(teams, "shoutout") == 1


async def test_a_long_html_message_is_cut_to_the_field_and_has_no_tags_left(teams: TeamsApp) -> None:
    html = "<p><b>Bold</b> <at id='0'>Bob</at> said &lt;script&gt;</p><script>alert(1)</script>" + (
        "<div>the customer waited &amp; waited</div>" * 400
    )
    mine = inputs(await open_task(teams, payload(html, author=ALICE)))["field.situation"]["value"]
    assert len(mine) <= MAX_TEXT and mine.endswith("…")
    assert mine.startswith("Bold Bob said <script>\nthe customer waited & waited")
    assert "<div>" not in mine and "<p>" not in mine and "alert" not in mine and "&amp;" not in mine
    theirs = inputs(await open_task(teams, payload(html, author=BOB)))["field.reason"]["value"]
    assert len(theirs) <= MAX_REASON and theirs.endswith("…") and "<" not in theirs.replace("<script>", "")


async def test_a_sent_shout_out_is_stored_confirmed_and_the_task_module_closes(teams: TeamsApp) -> None:
    message = payload(WORDS, author=BOB)
    card = await open_task(teams, message)
    values = {"field.recipients": aad(BOB), "field.reason": TEXT, "field.private": "false"}
    closed = await answer(teams, invoke(teams, SUBMIT_ACTION, sent(card, values, message)))
    assert closed is None
    assert await stored(teams, "shoutout") == 1
    confirmations = [c for c in teams.connector.posts() if "Thanks! Your shout-out #" in content(c)]
    assert confirmations and confirmations[0].conversation_id.startswith(CHANNEL)
    assert {c.body["members"][0]["id"] for c in teams.connector.created()} == {BOB["id"]}


async def test_a_sent_story_is_stored_and_confirmed(teams: TeamsApp) -> None:
    message = payload(WORDS, author=ALICE)
    card = await open_task(teams, message)
    values = {"field.situation": TEXT, "field.lesson": LESSON, "field.anonymous": "false"}
    closed = await answer(teams, invoke(teams, SUBMIT_ACTION, sent(card, values, message)))
    assert closed is None and await stored(teams, "story") == 1
    assert any("Thanks! Your customer story #" in content(c) for c in teams.connector.posts())


async def test_a_story_saved_from_a_channel_message_stores_the_channel_under_its_name(teams: TeamsApp) -> None:
    teams.connector.team(TEAM, "Support Team", {CHANNEL: "Support"})
    message = payload(WORDS, author=ALICE)
    card = await open_task(teams, message)
    assert not teams.connector.team_lookups(), "the form opens without waiting for names"
    values = {"field.situation": TEXT, "field.lesson": LESSON, "field.anonymous": "false"}
    await answer(teams, invoke(teams, SUBMIT_ACTION, sent(card, values, message)))
    async with teams.runtime.sessions() as session:
        assert await session.scalar(select(Team.name).where(Team.external_id == CHANNEL)) == "Support Team › Support"


async def test_a_story_with_problems_shows_the_task_module_again_and_stores_nothing(teams: TeamsApp) -> None:
    message = payload(WORDS, author=ALICE)
    card = await open_task(teams, message)
    values = {"field.situation": "late", "field.lesson": ""}
    again = await answer(teams, invoke(teams, SUBMIT_ACTION, sent(card, values, message)))
    shown = again["task"]["value"]["card"]["content"]
    assert again["task"]["type"] == "continue" and valid(shown)
    assert inputs(shown)["field.situation"]["value"] == "late"
    assert [e for e in shown["body"] if e.get("color") == "Attention"]
    assert await stored(teams, "story") == 0 and teams.connector.posts() == []


async def test_a_shout_out_for_yourself_shows_the_problem_next_to_the_field(teams: TeamsApp) -> None:
    message = payload(WORDS, author=BOB)
    card = await open_task(teams, message)
    values = {"field.recipients": aad(ALICE), "field.reason": TEXT, "field.private": "false"}
    again = await answer(teams, invoke(teams, SUBMIT_ACTION, sent(card, values, message)))
    shown = again["task"]["value"]["card"]["content"]
    assert valid(shown)
    body = [e.get("id") or e.get("text") for e in shown["body"]]
    assert "A shout-out is for someone else" in str(body[body.index("field.recipients") + 1])
    assert await stored(teams, "shoutout") == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (FETCH_TASK, None),
        (FETCH_TASK, "not an object"),
        (FETCH_TASK, {"commandId": COMMAND_ID}),
        (FETCH_TASK, {"commandId": COMMAND_ID, "messagePayload": "text"}),
        (FETCH_TASK, {"commandId": COMMAND_ID, "messagePayload": {"body": {"content": 5}, "from": {"user": 3}}}),
        (FETCH_TASK, {"commandId": "somethingElse", "messagePayload": {}}),
        (SUBMIT_ACTION, {"commandId": COMMAND_ID}),
        (SUBMIT_ACTION, {"commandId": COMMAND_ID, "data": {"form": "schedule", "field.repeat": "weekly"}}),
        (SUBMIT_ACTION, {"commandId": COMMAND_ID, "data": ["story"]}),
        (SUBMIT_ACTION, None),
    ],
)
async def test_malformed_invokes_get_an_answer_not_an_error(teams: TeamsApp, name: str, value: Any) -> None:
    activity = invoke(teams, name, value)
    if value is None:
        del activity["value"]
    response = await teams.post(activity)
    assert response.status == 200, await response.text()
    found = await response.json()
    assert found is None or "task" in found
    assert await stored(teams, "story") == 0 and await stored(teams, "shoutout") == 0


def test_the_app_package_offers_the_action_on_messages() -> None:
    app_id = "9b1c0f55-1d55-4e1b-8f0a-2d5f3e9c7a10"
    (extension,) = manifest(app_id=app_id, base_url=None)["composeExtensions"]
    (command,) = extension["commands"]
    assert extension["botId"] == app_id
    assert command["id"] == COMMAND_ID and command["title"] == "Make it a Customer Moment"
    assert command["type"] == "action" and command["context"] == ["message"] and command["fetchTask"] is True
