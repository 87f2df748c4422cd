"""Adaptive Card actions (Action.Submit): buttons and forms, valid and invalid, updating their card in place."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from adapters.teams.routing import FORM_NOTE
from bot.storage.models import MeetingSeries, Member, Moment
from tests.integration.teams.builders import ALICE, BOB, CAROL, CHANNEL, aad, installed, message, submit
from tests.integration.teams.conftest import TeamsApp
from tests.integration.teams.reading import buttons, cards, content, inputs
from tests.support.fake_connector import Call

STORY = {
    "field.situation": "A customer called twice about a late parcel and was getting angry.",
    "field.action": "I called the depot and then called her back within the hour.",
    "field.reaction": "She thanked us and ordered again.",
    "field.lesson": "Call back before they have to chase us.",
    "field.tags": "follow-up,ownership",
    "field.nps": "promoter",
    "field.anonymous": "false",
}
REASON = "called the customer back before they had to chase us, twice this week"


async def send(teams: TeamsApp, activity: dict[str, Any]) -> list[Call]:
    teams.connector.clear()
    response = await teams.post(activity)
    assert response.status == 200, await response.text()
    return [c for c in teams.connector.calls if c.method in ("POST", "PUT")]


async def ask(teams: TeamsApp, text: str, **options: Any) -> tuple[str, dict[str, Any]]:
    """Send a command that answers with a card; returns the card's activity id and the card."""
    calls = await send(teams, message(text, teams.service_url, **options))
    for call in calls:
        found = cards(call)
        if found and call.method == "POST":
            return call.posted_id, found[-1]
    raise AssertionError(f"no card in answer to {text!r}: {[content(c) for c in calls]}")


async def press(teams: TeamsApp, card_id: str, data: dict[str, Any], **options: Any) -> list[Call]:
    return await send(teams, submit(data, teams.service_url, card_id=card_id, **options))


def form_data(card: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    return {**card["actions"][0]["data"], **values}


def sent_back(calls: list[Call]) -> dict[str, Any]:
    """The form shown again in the person's 1:1 chat; the channel is only told so, and its card is left."""
    in_channel = [c for c in calls if c.conversation_id.startswith(CHANNEL)]
    assert [(c.method, content(c).strip()) for c in in_channel] == [("POST", FORM_NOTE)]
    (private,) = [c for c in calls if c.conversation_id.startswith("a:personal-")]
    (card,) = cards(private)
    return card


async def test_agenda_buttons_update_the_card_in_place(teams: TeamsApp) -> None:
    card_id, card = await ask(teams, "request")
    swapped = await press(teams, card_id, buttons(card)["Swap"])
    assert [(c.method, c.activity_id) for c in swapped] == [("PUT", card_id)]
    presented = await press(teams, card_id, buttons(card)["Presented"])
    assert "Presented ✔" in content(presented[0]) and presented[0].activity_id == card_id
    voted = await press(teams, card_id, buttons(card)["👍 Helpful"], sender=BOB)
    assert "👍 Helpful (1)" in content(voted[0])


async def test_a_refused_button_answers_in_the_thread_and_leaves_the_card(teams: TeamsApp) -> None:
    card_id, card = await ask(teams, "request")
    await send(teams, message("help", teams.service_url, sender=CAROL))
    refused = await press(teams, card_id, buttons(card)["Skip"], sender=CAROL)
    assert [c.method for c in refused] == ["POST"]
    assert refused[0].conversation_id == f"{CHANNEL};messageid={card_id}"
    assert "Only the meeting's organizer or a manager can skip" in content(refused[0])


async def test_story_form_submitted_turns_into_its_outcome(teams: TeamsApp) -> None:
    card_id, card = await ask(teams, "story")
    calls = await press(teams, card_id, form_data(card, STORY))
    assert [(c.method, c.activity_id) for c in calls] == [("PUT", card_id)]
    assert "Thanks! Your customer story #" in content(calls[0])
    async with teams.runtime.sessions() as session:
        story = await session.scalar(select(Moment).where(Moment.kind == "story"))
    assert story is not None and story.tags == ["follow-up", "ownership"] and story.nps == "promoter"


async def test_story_form_with_problems_is_shown_again_with_values_and_errors(teams: TeamsApp) -> None:
    card_id, card = await ask(teams, "story")
    calls = await press(teams, card_id, form_data(card, {**STORY, "field.situation": "late", "field.lesson": ""}))
    again = sent_back(calls)
    fields = inputs(again)
    assert fields["field.situation"]["value"] == "late"
    assert fields["field.action"]["value"] == STORY["field.action"]
    errors = [e["text"] for e in again["body"] if e.get("color") == "Attention"]
    assert len(errors) >= 2
    async with teams.runtime.sessions() as session:
        assert await session.scalar(select(Moment).where(Moment.kind == "story")) is None


async def test_shoutout_form_offers_the_roster_and_recognises_the_picked_people(teams: TeamsApp) -> None:
    card_id, card = await ask(teams, "shoutout")
    picker = inputs(card)["field.recipients"]
    assert picker["type"] == "Input.ChoiceSet" and picker["isMultiSelect"] is True
    assert [c["title"] for c in picker["choices"]] == ["Alice", "Bob", "Carol"]
    assert {c["value"] for c in picker["choices"]} == {aad(ALICE), aad(BOB), aad(CAROL)}
    values = {"field.recipients": f"{aad(BOB)},{aad(CAROL)}", "field.reason": REASON, "field.private": "false"}
    calls = await press(teams, card_id, form_data(card, values))
    assert calls[0].method == "PUT" and "Thanks! Your shout-out #" in content(calls[0])
    assert {c.body["members"][0]["id"] for c in teams.connector.created()} == {BOB["id"], CAROL["id"]}
    async with teams.runtime.sessions() as session:
        names = set(await session.scalars(select(Member.name)))
    assert names == {"Alice", "Bob", "Carol"}


async def test_shoutout_form_for_yourself_shows_the_problem_next_to_the_field(teams: TeamsApp) -> None:
    card_id, card = await ask(teams, "shoutout")
    values = {"field.recipients": aad(ALICE), "field.reason": REASON, "field.private": "false"}
    calls = await press(teams, card_id, form_data(card, values))
    again = sent_back(calls)
    body = [e.get("id") or e.get("text") for e in again["body"]]
    position = body.index("field.recipients")
    assert "A shout-out is for someone else" in str(body[position + 1])
    assert inputs(again)["field.recipients"]["value"] == aad(ALICE)


async def test_exercise_form_valid_and_invalid(teams: TeamsApp) -> None:
    card_id, card = await ask(teams, "exercise")
    bad = await press(teams, card_id, form_data(card, {"field.title": "", "field.prompt": "", "field.minutes": "10"}))
    assert inputs(sent_back(bad))["field.minutes"]["value"] == 10
    good = {
        "field.title": "Bad news",
        "field.prompt": "Deliver a delay well",
        "field.steps": "Say it early\nOffer a choice",
    }
    calls = await press(teams, card_id, form_data(card, {**good, "field.minutes": "10"}))
    assert "Added exercise #" in content(calls[0])


async def test_schedule_form_valid_and_with_an_unknown_zone(teams: TeamsApp) -> None:
    card_id, card = await ask(teams, "schedule")
    values = {"field.repeat": "weekly", "field.day": "tue", "field.time": "10:00", "field.lead": "30m"}
    bad = await press(teams, card_id, form_data(card, {**values, "field.zone": "Mars/Olympus"}))
    again = sent_back(bad)
    assert inputs(again)["field.zone"]["value"] == "Mars/Olympus"
    assert any("Mars/Olympus" in e.get("text", "") for e in again["body"] if e.get("color") == "Attention")
    good = await press(teams, card_id, form_data(card, {**values, "field.zone": "Europe/Berlin"}))
    assert good[0].method == "PUT" and "Scheduled: every Tuesday at 10:00" in content(good[0])
    async with teams.runtime.sessions() as session:
        assert await session.scalar(select(MeetingSeries)) is not None


async def test_review_buttons_approve_and_reject_with_a_reason_form(teams: TeamsApp) -> None:
    await send(teams, message("review on", teams.service_url))
    for text in ("twice", "three times"):
        story = f"story A customer called {text} about a late parcel lesson: call back before they chase us"
        await send(teams, message(story, teams.service_url, sender=BOB))
    calls = await send(teams, message("review", teams.service_url, where="personal"))
    review_cards = [(c, cards(c)[0]) for c in calls if cards(c)]
    assert len(review_cards) == 2
    first_id, second_id = (c.posted_id for c, _ in review_cards)
    first, second = (card for _, card in review_cards)

    approved = await press(teams, first_id, buttons(first)["Approve"], where="personal")
    assert approved[0].method == "PUT" and approved[0].activity_id == first_id
    assert "Approved #" in content(approved[0])

    asked = await press(teams, second_id, buttons(second)["Reject"], where="personal")
    (reason_form,) = cards(asked[0])
    assert asked[0].activity_id == second_id and reason_form["actions"][0]["data"]["form"] == "reject"
    empty = await press(teams, second_id, form_data(reason_form, {"field.reason": ""}), where="personal")
    assert "Tell the author why" in content(empty[0])
    sent = await press(
        teams, second_id, form_data(reason_form, {"field.reason": "Leave out the street name"}), where="personal"
    )
    assert "Sent #" in content(sent[0]) and sent[0].activity_id == second_id
    assert "Leave out the street name" in "\n".join(
        content(c) for c in teams.connector.posts(f"a:personal-{BOB['id']}")
    )


async def test_welcome_card_buttons_open_the_forms(teams: TeamsApp) -> None:
    calls = await send(teams, installed(teams.service_url))
    (welcome,) = cards(calls[0])
    story = await press(teams, calls[0].posted_id, buttons(welcome)["Share a customer story"])
    assert any(inputs(c).get("field.situation") for call in story for c in cards(call))


async def test_an_unknown_button_is_answered_kindly(teams: TeamsApp) -> None:
    calls = await press(teams, "4242", {"action": "agenda.fly", "value": "1"})
    assert "That button is no longer active." in content(calls[0])


async def test_a_form_sent_without_its_card_is_answered_with_a_new_card(teams: TeamsApp) -> None:
    activity = submit({"form": "story", "context": "", "field.situation": "x"}, teams.service_url, card_id="")
    activity.pop("replyToId")
    calls = await send(teams, activity)
    assert inputs(sent_back(calls))["field.situation"]["value"] == "x"
