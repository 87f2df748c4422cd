"""Where replies go in Teams (thread, channel, 1:1, the pressed card), and what connector failures mean."""

from __future__ import annotations

import dataclasses

import pytest

from adapters.teams import routing
from adapters.teams.connector import Backoff, as_delivery_error, retry_after
from adapters.teams.routing import Situation, Step, route
from bot import forms
from bot.ports import ChannelGone
from bot.replies import Attachment, Audience, Button, Card, Form, MessageKey, Outcome, Reply, Visibility, say

AGENDA = Card(title="Customer Moment", buttons=(Button("Swap", "agenda.swap", "12"),))
REVIEW = Card(title="#4 waiting for review", buttons=(Button("Approve", "review.approve", "4"),))
IN_CHANNEL = Situation(kind="channel", channel_id="19:c", actor_id="alice")
PROBLEM = Reply(text="x", errors={"lesson": "Add the lesson."}, outcome=Outcome.REFUSED, retry_form=forms.STORY)
DOWN = Reply(text="Try again in a moment.", outcome=Outcome.UNAVAILABLE)


def targets(steps: list[Step]) -> list[str]:
    return [s.target for s in steps]


def test_answers_go_to_the_thread() -> None:
    assert targets(route([say("Thanks!")], IN_CHANNEL)) == [routing.HERE]


def test_channel_posts_go_to_the_channel_and_direct_ones_to_the_member() -> None:
    replies = [
        say("Thanks!"),
        Reply(card=AGENDA, audience=Audience.CHANNEL, to_team="19:c", message=MessageKey("agenda:12")),
        Reply(text="Coming up", audience=Audience.DIRECT, to_member="bob"),
    ]
    steps = route(replies, IN_CHANNEL)
    assert targets(steps) == [routing.HERE, routing.CHANNEL, routing.MEMBER]
    assert steps[1].channel_id == "19:c" and steps[2].member_id == "bob"


def test_a_keyed_card_with_a_reference_is_updated() -> None:
    ref = {"conversationId": "19:c", "activityId": "9"}
    steps = route([Reply(card=AGENDA, audience=Audience.CHANNEL, message=MessageKey("agenda:12", ref))], IN_CHANNEL)
    assert targets(steps) == [routing.UPDATE]


def test_pressing_an_agenda_button_updates_that_card() -> None:
    pressed = Situation(kind="channel", channel_id="19:c", action="agenda.swap", action_value="12", pressed=True)
    card = Reply(card=AGENDA, audience=Audience.CHANNEL, message=MessageKey("agenda:12"))
    other = Reply(card=AGENDA, audience=Audience.CHANNEL, message=MessageKey("agenda:13"))
    assert targets(route([card], pressed)) == [routing.PRESSED]
    assert targets(route([other], pressed)) == [routing.CHANNEL]
    assert targets(route([say("Only the meeting's organizer…")], pressed)) == [routing.HERE]


def test_a_used_form_turns_into_its_outcome_or_is_shown_again() -> None:
    submitted = Situation(kind="channel", channel_id="19:c", actor_id="alice", form_id="story", pressed=True)
    (done,) = route([say("Thanks!")], submitted)
    assert (done.target, done.mode) == (routing.PRESSED, "outcome")
    again, note = route([PROBLEM], submitted)
    assert (again.target, again.mode) == (routing.PRIVATE, "reshow")
    assert (note.target, note.reply.text, note.note_for) == (routing.HERE, routing.FORM_NOTE, routing.PRIVATE)
    down, note = route([dataclasses.replace(DOWN, retry_form=forms.STORY)], submitted)
    assert (down.target, down.mode) == (routing.PRIVATE, "reshow")
    assert (note.target, note.reply.text) == (routing.HERE, routing.FORM_RETRY_NOTE)
    (refused,) = route([Reply(text="That form is no longer available.", outcome=Outcome.REFUSED)], submitted)
    assert (refused.target, refused.mode) == (routing.PRESSED, "outcome")
    unpressed = Situation(kind="groupChat", channel_id="19:c", actor_id="alice", form_id="story")
    steps = route([PROBLEM], unpressed)
    assert [(s.target, s.mode) for s in steps] == [(routing.PRIVATE, "reshow"), (routing.HERE, "reply")]
    personal = Situation(kind="personal", actor_id="alice", form_id="story", pressed=True)
    (mine,) = route([PROBLEM], personal)
    assert (mine.target, mine.mode) == (routing.PRESSED, "reshow")
    (new,) = route([PROBLEM], dataclasses.replace(personal, pressed=False))
    assert (new.target, new.mode) == (routing.HERE, "reshow")


def test_the_text_of_a_reply_does_not_decide_where_it_goes() -> None:
    submitted = Situation(kind="channel", channel_id="19:c", form_id="story", pressed=True)
    (done,) = route([say(DOWN.text)], submitted)
    assert (done.target, done.mode) == (routing.PRESSED, "outcome")
    steps = route([say(routing.PRIVATE_NOTE)], IN_CHANNEL)
    assert [(s.target, s.note_for) for s in steps] == [(routing.HERE, None)]


def test_only_the_first_reply_replaces_the_pressed_card() -> None:
    submitted = Situation(kind="channel", channel_id="19:c", form_id="shoutout", pressed=True)
    steps = route([say("Thanks!"), Reply(card=AGENDA, audience=Audience.CHANNEL, to_team="19:c")], submitted)
    assert targets(steps) == [routing.PRESSED, routing.CHANNEL]


def test_review_buttons_turn_into_the_outcome_or_the_reason_form() -> None:
    pressed = Situation(kind="personal", action="review.reject", action_value="4", pressed=True)
    (asked,) = route([Reply(form=Form("reject", "Why?", ()))], pressed)
    assert (asked.target, asked.mode) == (routing.PRESSED, "reply")
    (done,) = route([say("Approved #4.")], pressed)
    assert (done.target, done.mode) == (routing.PRESSED, "outcome")
    (down,) = route([DOWN], pressed)
    assert down.target == routing.HERE


def test_replies_only_managers_may_see_go_to_the_1_to_1_chat_in_shared_conversations() -> None:
    queue = [
        Reply(text="1 item(s) waiting for review:", visible_to=Visibility.MANAGERS),
        Reply(card=REVIEW, visible_to=Visibility.MANAGERS),
    ]
    steps = route([*queue, say("Done.")], IN_CHANNEL)
    assert targets(steps) == [routing.PRIVATE, routing.PRIVATE, routing.HERE, routing.HERE]
    assert steps[-1].reply.text == routing.PRIVATE_NOTE and steps[-1].note_for == routing.PRIVATE
    personal = Situation(kind="personal", actor_id="alice")
    assert targets(route(queue, personal)) == [routing.HERE, routing.HERE]


def test_a_card_with_review_buttons_is_not_private_by_its_buttons() -> None:
    assert targets(route([Reply(card=REVIEW)], IN_CHANNEL)) == [routing.HERE]


def test_files_go_to_the_1_to_1_chat() -> None:
    export = Reply(text="Exported 3 moments.", attachment=Attachment("x.csv", "text/csv", "id\n"))
    assert targets(route([export], IN_CHANNEL)) == [routing.FILE, routing.HERE]
    assert targets(route([export], Situation(kind="personal"))) == [routing.HERE]


def test_proactive_replies_line_up_with_the_replies() -> None:
    replies = [Reply(card=AGENDA), Reply(text="x", audience=Audience.DIRECT), say("note")]
    steps = route(replies, Situation(kind="proactive", channel_id="19:c"))
    assert targets(steps) == [routing.CHANNEL, routing.DROP, routing.CHANNEL]


@pytest.mark.parametrize("status", [None, 408, 412, 429, 500, 502, 503, 504])
def test_transient_failures_are_retryable(status: int | None) -> None:
    error = as_delivery_error("a message", status=status, cause="timeout")
    assert error.retryable and not isinstance(error, ChannelGone)


@pytest.mark.parametrize("status", [403, 404])
def test_bot_not_in_the_conversation_is_channel_gone(status: int) -> None:
    assert isinstance(as_delivery_error("a message", status=status), ChannelGone)


@pytest.mark.parametrize("status", [400, 401, 413])
def test_refusals_are_final(status: int) -> None:
    error = as_delivery_error("a message", status=status)
    assert not error.retryable and not isinstance(error, ChannelGone)


def test_a_throttled_call_carries_its_retry_after() -> None:
    error = as_delivery_error("a message", status=429, headers={"Retry-After": "30"})
    assert error.retryable and error.retry_after == 30.0


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after({"Retry-After": "2.5"}) == 2.5
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after({"Retry-After": "soon"}) is None
    assert retry_after({}) is None and retry_after(None) is None


def test_backoff_is_bounded() -> None:
    backoff = Backoff(attempts=5, base=0.5, cap=4.0)
    delays = [backoff.delay(n) for n in range(1, 10) for _ in range(20)]
    assert all(0.25 <= d <= 4.0 for d in delays)
