"""A form refused in a shared conversation is sent back to the person's 1:1 chat, never shown to the others.

Action.Submit values are seen only by the person typing; a form shown again with them (and its problems)
goes to their 1:1 chat with the bot, and the channel, group chat or meeting chat is told only that it was.
Submitted from the 1:1 chat, it acts in the conversation it started in; an altered origin is refused.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from adapters.runtime import Runtime
from adapters.teams.origins import REFUSED
from adapters.teams.routing import FORM_NOTE, FORM_RETRY_NOTE
from bot import commands
from bot.storage.models import CalendarFeed, MeetingSeries, Moment, Team
from tests.integration.calendars.conftest import LUNCH, FeedServer, feed, settings, weekly_feed  # noqa: F401
from tests.integration.teams.builders import ALICE, BOB, CAROL, CHANNEL, CHAT, TEAM, aad, message, submit
from tests.integration.teams.conftest import TeamsApp
from tests.integration.teams.reading import cards, content, inputs
from tests.support.fake_connector import Call

JsonDict = dict[str, Any]

EMAIL = "jane.doe@example.com"
PHONE = "+49 170 555 0199"
STORY = {
    "field.situation": f"Jane Doe ({EMAIL}, {PHONE}) waited three weeks for a refund.",
    "field.action": "I pushed the refund through finance the same afternoon.",
    "field.reaction": "She stayed with us.",
    "field.lesson": "",
    "field.anonymous": "true",
}
LESSON = "Chase finance ourselves instead of making the customer wait."
SHORT_REASON = "nice"
REASON = "stayed on the call with Jane until her refund went through, then wrote up the fix"
PERSONAL = "a:personal-"  # how the fake connector names a 1:1 chat it opened
SHARED = {"channel": CHANNEL, "chat": CHAT}


async def send(teams: TeamsApp, activity: JsonDict) -> list[Call]:
    teams.connector.clear()
    response = await teams.post(activity)
    assert response.status == 200, await response.text()
    return [c for c in teams.connector.calls if c.method in ("POST", "PUT")]


async def ask(teams: TeamsApp, text: str, where: str) -> tuple[str, JsonDict]:
    """A command answered with a form card in the shared conversation: the card's id and the card."""
    for call in await send(teams, message(text, teams.service_url, where=where)):
        if call.method == "POST" and cards(call):
            return call.posted_id, cards(call)[-1]
    raise AssertionError(f"no form in answer to {text!r}")


def leaked(calls: list[Call], typed: list[str]) -> list[str]:
    """Typed values found in anything sent anywhere but a 1:1 chat."""
    found = []
    for call in calls:
        if call.conversation_id.startswith(PERSONAL) or call.body is None:
            continue
        body = json.dumps(call.body, ensure_ascii=False)
        found += [f"{value!r} in {call.method} {call.conversation_id}" for value in typed if value in body]
    return found


def sent_back(calls: list[Call], shared: str, note: str = FORM_NOTE) -> Call:
    """The form posted in the 1:1 chat; the shared conversation got only the note, and its card was left."""
    in_shared = [c for c in calls if c.conversation_id.startswith(shared)]
    assert [(c.method, content(c).strip()) for c in in_shared] == [("POST", note)]
    (private,) = [c for c in calls if c.conversation_id.startswith(PERSONAL) and c.method == "POST"]
    return private


def from_personal_chat(teams: TeamsApp, card: Call, data: JsonDict, *, sender: JsonDict = ALICE) -> JsonDict:
    """A submit of a card in the person's 1:1 chat (the chat the bot opened and posted the card to)."""
    activity = submit(data, teams.service_url, card_id=card.posted_id, where="personal", sender=sender)
    activity["conversation"]["id"] = card.conversation_id
    return activity


def form_of(call: Call) -> JsonDict:
    (card,) = cards(call)
    return card


def problems(card: JsonDict) -> str:
    return "\n".join(e["text"] for e in card["body"] if e.get("color") == "Attention")


async def moments(runtime: Runtime, kind: str) -> list[tuple[Moment, str]]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(Moment, Team.external_id).join(Team, Team.id == Moment.team_id).where(Moment.kind == kind)
        )
        return [(row[0], row[1]) for row in rows.all()]


@pytest.mark.parametrize("where", ["channel", "chat"])
async def test_an_anonymous_story_without_a_lesson_goes_back_to_the_1_1_chat_and_is_saved_in_the_channel(
    teams: TeamsApp, where: str
) -> None:
    card_id, card = await ask(teams, "story", where)
    typed = [EMAIL, PHONE, "Jane Doe", STORY["field.action"], STORY["field.reaction"]]
    calls = await send(
        teams, submit({**card["actions"][0]["data"], **STORY}, teams.service_url, card_id=card_id, where=where)
    )
    assert leaked(calls, typed) == []
    assert not teams.connector.updates(card_id)
    private = sent_back(calls, SHARED[where])
    again = form_of(private)
    fields = inputs(again)
    assert fields["field.situation"]["value"] == STORY["field.situation"]
    assert fields["field.anonymous"]["value"] == "true"
    assert "lesson" in problems(again).lower()
    assert await moments(teams.runtime, "story") == []

    data = {**again["actions"][0]["data"], **STORY, "field.lesson": LESSON}
    saved = await send(teams, from_personal_chat(teams, private, data))
    assert leaked(saved, [*typed, LESSON]) == []
    assert [(c.method, c.conversation_id, c.activity_id) for c in saved] == [
        ("PUT", private.conversation_id, private.posted_id)
    ]
    assert "Thanks! Your customer story #" in content(saved[0])
    ((story, team),) = await moments(teams.runtime, "story")
    assert team == SHARED[where] and story.anonymous is True


async def test_a_private_shout_out_with_a_short_reason_names_no_one_in_the_channel(teams: TeamsApp) -> None:
    card_id, card = await ask(teams, "shoutout", "channel")
    values = {"field.recipients": aad(BOB), "field.reason": SHORT_REASON, "field.private": "true"}
    calls = await send(teams, submit({**card["actions"][0]["data"], **values}, teams.service_url, card_id=card_id))
    assert leaked(calls, [aad(BOB), BOB["id"], "Bob", SHORT_REASON]) == []
    private = sent_back(calls, CHANNEL)
    again = form_of(private)
    picker = inputs(again)["field.recipients"]
    assert picker["value"] == aad(BOB) and {c["title"] for c in picker["choices"]} == {"Alice", "Bob", "Carol"}
    assert inputs(again)["field.reason"]["value"] == SHORT_REASON and "at least" in problems(again)

    data = {**again["actions"][0]["data"], **values, "field.reason": REASON}
    saved = await send(teams, from_personal_chat(teams, private, data))
    assert leaked(saved, [aad(BOB), "Bob", REASON]) == []
    assert "Thanks! Your shout-out #" in content(saved[0])
    ((shout_out, team),) = await moments(teams.runtime, "shoutout")
    assert team == CHANNEL and shout_out.private is True


async def test_a_calendar_problem_keeps_the_secret_feed_address_out_of_the_channel(
    teams: TeamsApp,
    feed: FeedServer,  # noqa: F811
) -> None:
    feed.body = weekly_feed(extra=LUNCH)  # two events: the form asks which one
    card_id, card = await ask(teams, "schedule", "channel")
    values = {
        "field.repeat": "calendar",
        "field.time": "10:00",
        "field.zone": "Europe/Berlin",
        "field.lead": "30m",
        "field.feed": feed.url,
        "field.match": "",
    }
    calls = await send(teams, submit({**card["actions"][0]["data"], **values}, teams.service_url, card_id=card_id))
    assert leaked(calls, ["private-5f3c9a0b7e", feed.url]) == []
    private = sent_back(calls, CHANNEL)
    again = form_of(private)
    assert inputs(again)["field.feed"]["value"] == feed.url
    assert "Support team weekly" in problems(again)

    data = {**again["actions"][0]["data"], **values, "field.match": "Support team weekly"}
    followed = await send(teams, from_personal_chat(teams, private, data))
    assert leaked(followed, ["private-5f3c9a0b7e"]) == []
    async with teams.runtime.sessions() as session:
        teams_of_series = await session.scalars(select(Team.external_id).join(MeetingSeries))
        assert list(teams_of_series) == [CHANNEL]
        assert await session.scalar(select(CalendarFeed.event_title)) == "Support team weekly"


async def test_a_form_refused_again_in_the_1_1_chat_is_shown_again_there_still_acting_in_the_channel(
    teams: TeamsApp,
) -> None:
    card_id, card = await ask(teams, "story", "channel")
    first = await send(teams, submit({**card["actions"][0]["data"], **STORY}, teams.service_url, card_id=card_id))
    private = sent_back(first, CHANNEL)
    again = await send(teams, from_personal_chat(teams, private, {**form_of(private)["actions"][0]["data"], **STORY}))
    assert [(c.method, c.activity_id) for c in again] == [("PUT", private.posted_id)]
    third = form_of(again[0])
    assert (
        inputs(third)["field.situation"]["value"] == STORY["field.situation"]
        and "origin" in third["actions"][0]["data"]
    )
    data = {**third["actions"][0]["data"], **STORY, "field.lesson": LESSON}
    await send(teams, from_personal_chat(teams, private, data))
    ((_, team),) = await moments(teams.runtime, "story")
    assert team == CHANNEL


def tampered(origin: JsonDict, case: str) -> JsonDict:
    if case == "other channel":
        return {**origin, "channelId": TEAM}
    if case == "other person":
        return {**origin, "person": CAROL["id"]}
    if case == "no signature":
        return {k: v for k, v in origin.items() if k != "signature"}
    if case == "later expiry":
        return {**origin, "expires": origin["expires"] + 10**6}
    return {"channelId": TEAM, "kind": "channel"}


@pytest.mark.parametrize("case", ["other channel", "other person", "no signature", "later expiry", "forged"])
async def test_a_tampered_origin_is_refused_and_nothing_is_stored(teams: TeamsApp, case: str) -> None:
    card_id, card = await ask(teams, "story", "channel")
    first = await send(teams, submit({**card["actions"][0]["data"], **STORY}, teams.service_url, card_id=card_id))
    private = sent_back(first, CHANNEL)
    data = dict(form_of(private)["actions"][0]["data"])
    data["origin"] = tampered(data["origin"], case)
    refused = await send(teams, from_personal_chat(teams, private, {**data, **STORY, "field.lesson": LESSON}))
    assert [(c.method, c.conversation_id, content(c).strip()) for c in refused] == [
        ("POST", private.conversation_id, REFUSED)
    ]
    assert await moments(teams.runtime, "story") == []


async def test_someone_else_submitting_the_sent_back_form_is_refused(teams: TeamsApp) -> None:
    card_id, card = await ask(teams, "story", "channel")
    first = await send(teams, submit({**card["actions"][0]["data"], **STORY}, teams.service_url, card_id=card_id))
    private = sent_back(first, CHANNEL)
    data = {**form_of(private)["actions"][0]["data"], **STORY, "field.lesson": LESSON}
    refused = await send(teams, from_personal_chat(teams, private, data, sender=BOB))
    assert [content(c).strip() for c in refused] == [REFUSED]
    assert await moments(teams.runtime, "story") == []


async def test_a_sent_back_form_submitted_in_the_channel_is_refused(teams: TeamsApp) -> None:
    card_id, card = await ask(teams, "story", "channel")
    first = await send(teams, submit({**card["actions"][0]["data"], **STORY}, teams.service_url, card_id=card_id))
    data = {**form_of(sent_back(first, CHANNEL))["actions"][0]["data"], **STORY, "field.lesson": LESSON}
    refused = await send(teams, submit(data, teams.service_url, card_id=card_id))
    assert [content(c).strip() for c in refused] == [REFUSED]
    assert await moments(teams.runtime, "story") == []


async def test_a_form_shown_again_after_a_failure_goes_to_the_1_1_chat_too(
    teams: TeamsApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    card_id, card = await ask(teams, "story", "channel")

    async def unavailable(*_: object) -> list[object]:
        raise OSError("database unreachable")

    monkeypatch.setattr(commands, "run_form", unavailable)
    values = {**STORY, "field.lesson": LESSON}
    calls = await send(teams, submit({**card["actions"][0]["data"], **values}, teams.service_url, card_id=card_id))
    assert leaked(calls, [EMAIL, PHONE, LESSON]) == []
    private = sent_back(calls, CHANNEL, FORM_RETRY_NOTE)
    again = form_of(private)
    assert inputs(again)["field.lesson"]["value"] == LESSON
    assert "database" in content(private)


async def test_the_form_without_its_origin_acts_in_the_1_1_chat_alone(teams: TeamsApp) -> None:
    card_id, card = await ask(teams, "story", "channel")
    first = await send(teams, submit({**card["actions"][0]["data"], **STORY}, teams.service_url, card_id=card_id))
    private = sent_back(first, CHANNEL)
    data = {k: v for k, v in form_of(private)["actions"][0]["data"].items() if k != "origin"}
    answered = await send(teams, from_personal_chat(teams, private, {**data, **STORY, "field.lesson": LESSON}))
    assert [(c.method, c.activity_id) for c in answered] == [("PUT", private.posted_id)]
    assert "Run this in your team's channel" in content(answered[0])
    assert await moments(teams.runtime, "story") == []
