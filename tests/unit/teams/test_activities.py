"""Reading Teams activities: validation, where it happened, who acted, the stored conversation reference."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.teams.activities import (
    channel_id,
    conversation_reference,
    conversation_type,
    has_bot,
    person_id,
    person_of,
    place_of,
    problem,
    teams_team_id,
)
from adapters.teams.handling import CHANNEL_MEMBER_REMOVED, channel_event
from bot.events import Person, Place
from tests.unit.teams.captured import ALICE, CHANNEL, CHAT, TEAM, TENANT, load

PRIVATE = "19:5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b@thread.tacv2"  # a private channel of TEAM

FIXTURES = [
    "channel_message",
    "group_chat_message",
    "personal_message",
    "card_button_submit",
    "card_form_submit",
    "installation_update_team",
    "conversation_update_bot_removed",
    "conversation_update_channel_member_removed",
    "emulator_message",
]


@pytest.mark.parametrize("name", FIXTURES)
def test_captured_activities_are_accepted(name: str) -> None:
    assert problem(load(name)) is None


def test_a_channel_message_is_the_channel_team_of_the_tenant() -> None:
    assert place_of(load("channel_message")) == Place(
        platform="teams", workspace_id=TENANT, channel_id=CHANNEL, channel_name="", direct=False
    )


def test_a_group_chat_is_a_team_named_after_the_chat() -> None:
    place = place_of(load("group_chat_message"))
    assert (place.channel_id, place.channel_name, place.direct) == (CHAT, "Support leads", False)


def test_a_personal_chat_is_direct() -> None:
    place = place_of(load("personal_message"))
    assert place.direct is True and place.channel_id is None and place.workspace_id == TENANT


def test_an_install_in_a_team_names_its_general_channel() -> None:
    activity = load("installation_update_team")
    place = place_of(activity)
    assert place.channel_id == TEAM and place.channel_name == "Customer Care › General"
    assert teams_team_id(activity) == TEAM


def test_a_card_submit_in_a_thread_belongs_to_the_channel_not_the_thread() -> None:
    assert channel_id(load("card_button_submit")) == CHANNEL


def test_the_emulator_is_its_own_workspace_and_acts_as_a_shared_conversation() -> None:
    activity = load("emulator_message")
    place = place_of(activity)
    assert place.workspace_id == "emulator" and not place.direct
    assert place.channel_id == "8b2f4d10-4d5f-11ee-be56-0242ac120002|livechat"
    assert person_of(activity["from"]) == Person("5f0d4c2e-4a7e-4d3f-9f0a-6b5d2c1e0f9a", "User")


def test_people_are_known_by_their_entra_id_in_lower_case() -> None:
    assert person_of(load("channel_message")["from"]) == Person(ALICE, "Alice Jones")


def test_long_conversation_member_ids_never_become_member_ids() -> None:
    assert person_of({"id": "29:" + "a" * 100, "name": "Guest"}) is None
    assert person_of({"id": "29:short", "name": "Guest"}) is None
    assert person_of({"id": "user1", "name": ""}) == Person("user1", "user1")


def test_membership_changes_name_the_bot() -> None:
    removed = load("conversation_update_bot_removed")
    assert has_bot(removed, "membersRemoved") and not has_bot(removed, "membersAdded")
    assert conversation_type(removed) == "groupChat"


def test_someone_removed_from_a_private_channel_alone_names_that_channel_and_its_host_team() -> None:
    removed = load("conversation_update_channel_member_removed")
    place = place_of(removed)
    assert (place.channel_id, place.channel_name, place.direct) == (PRIVATE, "Escalations", False)
    assert teams_team_id(removed) == TEAM and channel_event(removed) == CHANNEL_MEMBER_REMOVED
    assert not has_bot(removed, "membersRemoved")
    assert [person_id(m) for m in removed["membersRemoved"]] == ["0d6c9f7e-3b2a-4e1d-8c5b-7a6f5e4d3c2b"]


def test_the_conversation_reference_points_at_the_channel_and_remembers_the_team() -> None:
    reference = conversation_reference(load("card_button_submit"))
    assert reference["conversation"]["id"] == CHANNEL
    assert reference["conversation"]["tenantId"] == TENANT
    assert reference["serviceUrl"] == "https://smba.trafficmanager.net/emea/"
    assert reference["bot"]["id"].startswith("28:") and reference["channelId"] == "msteams"
    assert reference["teamsTeamId"] == TEAM and reference["user"]["aadObjectId"] == ALICE


def test_a_group_chat_reference_has_no_team() -> None:
    reference = conversation_reference(load("group_chat_message"))
    assert reference["conversation"]["id"] == CHAT and "teamsTeamId" not in reference


@pytest.mark.parametrize(
    ("change", "found"),
    [
        (lambda a: a.pop("type"), "'type'"),
        (lambda a: a.update(serviceUrl=None), "'serviceUrl'"),
        (lambda a: a["from"].pop("id"), "'from.id'"),
        (lambda a: a.update(entities=[1]), "'entities'"),
        (lambda a: (a["conversation"].pop("tenantId"), a["channelData"].pop("tenant")), "tenant"),
    ],
)
def test_broken_activities_say_what_is_wrong(change: Any, found: str) -> None:
    activity = load("channel_message")
    change(activity)
    reason = problem(activity)
    assert reason is not None and found in reason


def test_unhandled_types_need_only_a_type() -> None:
    assert problem({"type": "typing"}) is None
    assert problem({"type": ""}) is not None


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6),
    max_leaves=30,
)


@given(
    st.dictionaries(
        st.sampled_from(
            ["type", "from", "conversation", "serviceUrl", "channelId", "text", "entities", "channelData", "recipient"]
        ),
        JSON,
    )
)
def test_validation_never_raises_on_any_json(body: dict[str, Any]) -> None:
    result = problem(body)
    assert result is None or isinstance(result, str)
    if result is None and body.get("type") in ("message", "invoke"):
        place_of(body)
