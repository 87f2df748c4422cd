"""Answers the core marked as not for everyone present never reach a Teams channel, group chat or meeting chat:
they go to the asker's 1:1 chat, and the shared conversation gets only a note that names nothing of them."""

from __future__ import annotations

import pytest

from adapters.teams import routing
from adapters.teams.routing import Situation, Step, route
from bot import forms
from bot.replies import Audience, Button, Card, Form, MessageKey, Outcome, Reply, Visibility, say

MINE = Card(title="Your moments", buttons=(Button("Edit in the form", "moment.edit", "7"),))
PRIVATE_KINDS = [Visibility.ACTOR, Visibility.MANAGERS]
SHARED = [
    Situation(kind="channel", channel_id="19:c", actor_id="bob"),
    Situation(kind="groupChat", channel_id="19:meeting_x", actor_id="bob"),
]
SHARED_IDS = ["channel", "group-or-meeting-chat"]


def shared_targets(steps: list[Step]) -> list[str]:
    """Where each step goes, leaving out the note about the 1:1 chat."""
    return [s.target for s in steps if s.note_for is None]


@pytest.mark.parametrize("situation", SHARED, ids=SHARED_IDS)
@pytest.mark.parametrize("visible_to", PRIVATE_KINDS)
def test_a_private_answer_goes_to_the_1_to_1_chat_with_a_note_that_names_nothing(
    situation: Situation, visible_to: Visibility
) -> None:
    steps = route([Reply(text="Okonkwo Bakery order", card=MINE, visible_to=visible_to)], situation)
    assert [s.target for s in steps] == [routing.PRIVATE, routing.HERE]
    note = steps[-1]
    assert note.note_for == routing.PRIVATE and note.reply.text == routing.PRIVATE_NOTE
    assert note.reply.card is None and note.reply.visible_to is Visibility.CHANNEL


@pytest.mark.parametrize("visible_to", PRIVATE_KINDS)
def test_in_the_1_to_1_chat_a_private_answer_is_answered_there_without_a_note(visible_to: Visibility) -> None:
    personal = Situation(kind="personal", actor_id="bob")
    steps = route([Reply(card=MINE, visible_to=visible_to)], personal)
    assert [(s.target, s.note_for) for s in steps] == [(routing.HERE, None)]


@pytest.mark.parametrize("situation", SHARED, ids=SHARED_IDS)
def test_a_private_answer_headed_for_the_channel_or_a_posted_message_still_goes_to_the_asker(
    situation: Situation,
) -> None:
    posted = {"conversationId": "19:c", "activityId": "9"}
    replies = [
        Reply(card=MINE, audience=Audience.CHANNEL, to_team="19:c", visible_to=Visibility.ACTOR),
        Reply(card=MINE, audience=Audience.CHANNEL, message=MessageKey("mine:1", posted), visible_to=Visibility.ACTOR),
    ]
    assert shared_targets(route(replies, situation)) == [routing.PRIVATE, routing.PRIVATE]


def test_a_private_answer_never_replaces_the_pressed_card_in_a_channel() -> None:
    for situation, reply in (
        (Situation(kind="channel", channel_id="19:c", actor_id="bob", form_id="story", pressed=True), say("Saved.")),
        (
            Situation(kind="channel", channel_id="19:c", actor_id="bob", action="moment.edit", pressed=True),
            Reply(form=Form("story", "Edit story #7", ())),
        ),
        (
            Situation(kind="channel", channel_id="19:c", actor_id="bob", action="review.approve", pressed=True),
            say("Approved #4."),
        ),
    ):
        private = Reply(text=reply.text, form=reply.form, visible_to=Visibility.ACTOR)
        assert shared_targets(route([private], situation)) == [routing.PRIVATE]


def test_a_private_form_shown_again_goes_to_the_asker_as_a_form() -> None:
    situation = Situation(kind="channel", channel_id="19:c", actor_id="bob", form_id="story")
    again = Reply(
        text="x",
        errors={"lesson": "Add the lesson."},
        outcome=Outcome.REFUSED,
        retry_form=forms.STORY,
        visible_to=Visibility.ACTOR,
    )
    (step, _note) = route([again], situation)
    assert (step.target, step.mode) == (routing.PRIVATE, "reshow")


def test_with_no_one_who_asked_a_private_answer_is_dropped_not_posted() -> None:
    proactive = Situation(kind="proactive", channel_id="19:c")
    replies = [Reply(card=MINE, visible_to=Visibility.ACTOR), Reply(card=MINE, audience=Audience.CHANNEL)]
    assert [s.target for s in route(replies, proactive)] == [routing.DROP, routing.CHANNEL]


@pytest.mark.parametrize("situation", SHARED, ids=SHARED_IDS)
def test_public_answers_stay_where_they_were_asked_or_posted(situation: Situation) -> None:
    replies = [
        say("Thanks! Your shout-out #3 is shared."),
        Reply(card=Card(title="🎉 Shout-out"), audience=Audience.CHANNEL, to_team=situation.channel_id),
        Reply(text="Alice gave you a shout-out.", audience=Audience.DIRECT, to_member="carol"),
    ]
    assert [s.target for s in route(replies, situation)] == [routing.HERE, routing.CHANNEL, routing.MEMBER]
