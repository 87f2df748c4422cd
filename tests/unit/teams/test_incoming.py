"""From a Teams message to the core's Incoming: the bot mention stripped, people mentions as tokens, card submits."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.teams.mentions import command_text, mentions
from adapters.teams.turn import incoming_from, read_turn, submission
from bot.commands import parse
from bot.events import Person
from bot.grammar import shoutout
from tests.unit.teams.captured import ALICE, BOB_ACCOUNT, CAROL_ACCOUNT, load

BOB = Person("0f8f4c6a-7c1d-4b55-9a3e-1c2d3e4f5a6b", "Bob Smith")
CAROL = Person("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "Carol Diaz")


def test_the_bot_mention_is_stripped_and_people_become_tokens() -> None:
    text, people = command_text(load("channel_message"), {BOB_ACCOUNT: BOB, CAROL_ACCOUNT: CAROL})
    assert text == f"shoutout @{BOB.external_id} & @{CAROL.external_id} stayed late to fix the customer's order"
    assert people == {f"@{BOB.external_id}": BOB, f"@{CAROL.external_id}": CAROL}


def test_the_core_reads_the_tokens_as_recipients() -> None:
    text, _ = command_text(load("channel_message"), {BOB_ACCOUNT: BOB, CAROL_ACCOUNT: CAROL})
    args = shoutout(parse(text))
    assert args.recipients == (f"@{BOB.external_id}",)  # "&" ends the list: the core's grammar, not ours


def test_mentions_skip_the_bot() -> None:
    found = mentions(load("channel_message"))
    assert [m.account_id for m in found] == [BOB_ACCOUNT, CAROL_ACCOUNT]
    assert all(m.person is None for m in found)


def test_an_unresolved_mention_stays_readable_and_names_no_one() -> None:
    text, people = command_text(load("channel_message"), {})
    assert text.startswith("shoutout @Bob_Smith & @Carol_Diaz ")
    assert people == {}


def test_a_mention_carrying_an_entra_id_needs_no_lookup() -> None:
    activity = load("channel_message")
    activity["entities"][1]["mentioned"]["aadObjectId"] = BOB.external_id
    _, people = command_text(activity, {})
    assert people == {f"@{BOB.external_id}": BOB}


def test_mention_text_with_an_at_sign_inside_is_still_found() -> None:
    activity = load("channel_message")
    activity["entities"][0]["text"] = "<at>@Customer Moment</at>"
    text, _ = command_text(activity, {BOB_ACCOUNT: BOB, CAROL_ACCOUNT: CAROL})
    assert text.startswith("shoutout @")


SUPPORT_CHANNEL = "19:1a2b3c4d5e6f708192a3b4c5d6e7f809@thread.tacv2"


def _channel_mentioned(activity: dict[str, Any]) -> dict[str, Any]:
    """The message's Bob mention made a mention of the Support channel, as Teams sends one."""
    activity["text"] = activity["text"].replace("<at>Bob Smith</at>", "<at>Support</at>")
    activity["entities"][1] = {
        "type": "mention",
        "text": "<at>Support</at>",
        "mentioned": {"id": SUPPORT_CHANNEL, "name": "Support"},
    }
    return activity


def test_a_channel_mention_is_the_channel_not_a_person() -> None:
    activity = _channel_mentioned(load("channel_message"))
    (channel, _carol) = mentions(activity)
    assert channel.channel and channel.person is None
    text, people = command_text(activity, {CAROL_ACCOUNT: CAROL}, channels={SUPPORT_CHANNEL: "Support Team › Support"})
    assert text.startswith("shoutout #Support Team › Support & @")
    assert list(people) == [f"@{CAROL.external_id}"]


def test_a_channel_mention_whose_full_name_is_unknown_keeps_the_name_teams_sent() -> None:
    text, _ = command_text(_channel_mentioned(load("channel_message")), {})
    assert text.startswith("shoutout #Support & ")


def test_typed_at_tags_are_text_not_mentions() -> None:
    activity = load("personal_message")
    activity["text"] = "shoutout <at>Bob Smith</at> great call"
    text, people = command_text(activity, {})
    assert text == "shoutout <at>Bob Smith</at> great call" and people == {}


def test_a_personal_message_is_taken_as_typed() -> None:
    incoming = incoming_from(load("personal_message"))
    assert incoming is not None
    assert (incoming.text, incoming.actor.external_id, incoming.place.direct) == ("mine", ALICE, True)


def test_a_button_submit_is_an_action() -> None:
    incoming = incoming_from(load("card_button_submit"))
    assert incoming is not None
    assert (incoming.action, incoming.action_value, incoming.text) == ("agenda.swap", "12", "")
    assert incoming.ref["replyToId"] == "1700734999000"


def test_a_form_submit_carries_its_fields_without_the_prefix() -> None:
    incoming = incoming_from(load("card_form_submit"))
    assert incoming is not None and incoming.form_id == "shoutout"
    assert incoming.form_values == {
        "recipients": "0f8f4c6a-7c1d-4b55-9a3e-1c2d3e4f5a6b,1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "reason": "Called the customer back before they had to chase us",
        "private": "false",
    }


def test_foreign_card_payloads_are_not_submissions() -> None:
    assert submission({"msteams": {"type": "messageBack"}}) is None
    assert submission("agenda.swap") is None
    assert submission({"action": "x" * 200}) is None
    assert submission({"form": "story", "context": 5, "field.a": {"b": 1}}) == submission(
        {"form": "story", "context": "", "field.a": ""}
    )


def test_someone_without_an_id_the_core_can_keep_is_no_one() -> None:
    activity = load("personal_message")
    activity["from"] = {"id": "29:" + "z" * 90, "name": "Guest"}
    assert incoming_from(activity) is None


@given(st.text(max_size=300), st.lists(st.tuples(st.text(max_size=30), st.text(max_size=30)), max_size=4))
def test_any_text_and_mentions_give_a_command_line(text: str, people: list[tuple[str, str]]) -> None:
    activity: dict[str, Any] = load("channel_message")
    activity["text"] = text
    activity["entities"] = [
        {"type": "mention", "text": markup, "mentioned": {"id": f"29:{i}", "name": name}}
        for i, (markup, name) in enumerate(people)
    ]
    line, found = command_text(activity, {})
    assert isinstance(line, str) and found == {}


def test_a_channel_message_is_read_once_into_its_turn() -> None:
    turn = read_turn(load("channel_message"))
    assert turn.kind == "channel" and turn.place.channel_id == "19:1a2b3c4d5e6f708192a3b4c5d6e7f809@thread.tacv2"
    assert turn.conversation_id.endswith(";messageid=1700734445123")  # answers stay in the thread
    assert turn.roster_id == "19:9d8f7e6c5b4a39281706f5e4d3c2b1a0@thread.tacv2"  # the whole team's people
    assert turn.reference["conversation"]["id"] == turn.place.channel_id  # proactive posts start new threads
    assert turn.reference["teamsTeamId"] == turn.roster_id
    assert turn.submitted is None and turn.pressed_id is None
    assert [m.account_id for m in turn.mentioned] == [m.account_id for m in mentions(load("channel_message"))]


def test_a_card_submit_names_the_card_that_was_used() -> None:
    turn = read_turn(load("card_form_submit"))
    assert turn.submitted is not None and turn.submitted.form_id == "shoutout"
    assert turn.pressed_id == "1700735100000"
    button = read_turn(load("card_button_submit"))
    assert button.submitted is not None and button.submitted.action == "agenda.swap"
    assert button.pressed_id == "1700734999000"


def test_a_personal_chat_has_no_roster_and_no_channel() -> None:
    turn = read_turn(load("personal_message"))
    assert (turn.kind, turn.place.direct, turn.place.channel_id, turn.roster_id) == ("personal", True, None, None)
    assert turn.actor is not None and turn.lookup_in == turn.conversation_id
