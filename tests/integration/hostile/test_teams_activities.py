"""``POST /api/messages`` with activities of any shape: wrong types, parts missing, card values of any
shape, huge text, forged tenants and conversations.

Every one is a 4xx, or a 200 with an answer in words (never "something went wrong"); what is refused
writes nothing, and a card submission is saved whole or not at all.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from adapters.runtime import Runtime
from adapters.teams.activities import HANDLED_TYPES
from bot.commands import MAX_COMMAND_TEXT
from bot.domain.validation import scrub
from tests.integration.hostile.strategies import (
    CARD_ACTIONS,
    hostile_text,
    json_values,
    jsonable,
    repeated_to,
    unknown_command,
)
from tests.integration.hostile.support import assert_teams_said_nothing_bad, changed, table_counts, teams_wire
from tests.integration.teams.builders import ALICE, OTHER_TENANT, TENANT, message, submit
from tests.integration.teams.conftest import MAX_BODY, TeamsApp
from tests.integration.teams.reading import content

FUZZ = settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

FORMS = ("story", "shoutout", "exercise", "schedule", "reject", "pool")
ACTIONS = (*CARD_ACTIONS, "pool.choose", "pool.own")
INSTALLING = ("installationUpdate", "conversationUpdate")
FIELDS = (
    *("situation", "action", "reaction", "lesson", "tags", "nps", "anonymous", "recipients", "reason"),
    *("title", "prompt", "steps", "minutes", "repeat", "day", "time", "zone", "lead", "private"),
)


async def known(teams: TeamsApp, runtime: Runtime) -> None:
    """Alice, her tenant, the channel and the group chat exist (a first contact writes them; that is not
    what is tested: text that is only blanks to Teams, such as a zero-width space, is ``help``)."""
    if not (await table_counts(runtime.engine))["members"]:
        for where in ("channel", "chat", "personal"):
            assert (await teams.post(message("help", teams.service_url, where=where))).status == 200


async def post(teams: TeamsApp, activity: Any) -> tuple[int, str]:
    """Post an activity; a 501 (the Bot Framework's answer to an invoke the bot does not implement) reads as 400."""
    teams.connector.clear()
    response = await teams.post(activity)
    status = response.status
    if status == 501 and isinstance(activity, dict) and activity.get("type") == "invoke":
        status = 400
    return status, await response.text()


# -- the activity itself -----------------------------------------------------------------------------

Change = Callable[[dict[str, Any]], None]
PARTS = (
    "type",
    "id",
    "from",
    "conversation",
    "channelData",
    "recipient",
    "entities",
    "channelId",
    "replyToId",
    "value",
    "timestamp",
    "locale",
    "attachments",
    "name",
    "action",
    "membersAdded",
    "membersRemoved",
    "textFormat",
)
NESTED = (
    ("from", "id"),
    ("from", "aadObjectId"),
    ("from", "name"),
    ("conversation", "id"),
    ("conversation", "tenantId"),
    ("conversation", "conversationType"),
    ("conversation", "isGroup"),
    ("channelData", "tenant"),
    ("channelData", "channel"),
    ("channelData", "team"),
    ("channelData", "eventType"),
    ("recipient", "id"),
)


def _drop(part: str) -> Change:
    return lambda activity: activity.pop(part, None)


def _set(part: str, value: Any) -> Change:
    return lambda activity: activity.__setitem__(part, value)


def _set_nested(path: tuple[str, str], value: Any) -> Change:
    def change(activity: dict[str, Any]) -> None:
        if isinstance(activity.get(path[0]), dict):
            activity[path[0]][path[1]] = value

    return change


def _drop_nested(path: tuple[str, str]) -> Change:
    def change(activity: dict[str, Any]) -> None:
        if isinstance(activity.get(path[0]), dict):
            activity[path[0]].pop(path[1], None)

    return change


not_a_url = json_values.filter(lambda v: not (isinstance(v, str) and v.startswith(("http://", "https://"))))
activity_changes = st.lists(
    st.one_of(
        st.builds(_drop, st.sampled_from((*PARTS, "serviceUrl"))),
        st.builds(_set, st.sampled_from(PARTS), json_values),
        st.builds(_set, st.just("type"), st.sampled_from(sorted(HANDLED_TYPES)) | hostile_text),
        st.builds(_set, st.just("serviceUrl"), not_a_url),
        st.builds(_set_nested, st.sampled_from(NESTED), json_values),
        st.builds(_drop_nested, st.sampled_from(NESTED)),
    ),
    min_size=1,
    max_size=5,
)


@FUZZ
@given(changes=activity_changes, where=st.sampled_from(["channel", "chat", "personal"]))
async def test_an_activity_of_any_shape_is_never_a_500_and_writes_nothing(
    teams: TeamsApp, runtime: Runtime, changes: list[Change], where: str
) -> None:
    await known(teams, runtime)
    activity = message("dance", teams.service_url, where=where)  # an unknown command: answered, nothing stored
    for change in changes:
        change(activity)
    activity = jsonable(activity)
    before = await table_counts(runtime.engine)
    status, _ = await post(teams, activity)
    assert status < 500, status
    assert_teams_said_nothing_bad(teams.connector)
    if activity.get("type") not in INSTALLING:  # an install writes its channel: that is what it is for
        assert changed(before, await table_counts(runtime.engine)) == {}
    if status >= 400:
        assert teams.connector.calls == []


@FUZZ
@given(
    kind=st.one_of(json_values, hostile_text).filter(lambda kind: not (isinstance(kind, str) and kind in HANDLED_TYPES))
)
async def test_activities_of_a_wrong_or_unknown_type_are_refused_or_ignored(
    teams: TeamsApp, runtime: Runtime, kind: Any
) -> None:
    activity = message("story A customer waited an hour on hold lesson: call back sooner", teams.service_url)
    activity["type"] = kind
    before = await table_counts(runtime.engine)
    status, _ = await post(teams, jsonable(activity))
    assert status == (200 if isinstance(kind, str) and kind.strip() and len(kind) <= 64 else 400)
    assert teams.connector.calls == []
    assert changed(before, await table_counts(runtime.engine)) == {}


async def test_activities_missing_a_part_are_refused_or_answered_and_write_nothing(
    teams: TeamsApp, runtime: Runtime
) -> None:
    await known(teams, runtime)
    for kind in sorted(HANDLED_TYPES):
        for part in ("from", "conversation", "channelData", "recipient", "serviceUrl", "channelId", "type", "id"):
            for where in ("channel", "chat", "personal"):
                activity = message("dance", teams.service_url, where=where) | {"type": kind}
                activity.pop(part, None)
                before = await table_counts(runtime.engine)
                status, _ = await post(teams, activity)
                assert status < 500, (kind, part, where)
                assert_teams_said_nothing_bad(teams.connector)
                if part in ("from", "conversation", "serviceUrl", "channelId", "type"):
                    assert status == 400 and teams.connector.calls == [], (kind, part, where)
                if kind not in INSTALLING:
                    assert changed(before, await table_counts(runtime.engine)) == {}, (kind, part, where)


# -- what people type --------------------------------------------------------------------------------


@FUZZ
@given(text=hostile_text.filter(unknown_command), where=st.sampled_from(["channel", "chat", "personal"]))
async def test_text_that_is_no_command_is_answered_in_words_and_writes_nothing(
    teams: TeamsApp, runtime: Runtime, text: str, where: str
) -> None:
    await known(teams, runtime)
    before = await table_counts(runtime.engine)
    status, _ = await post(teams, message(text, teams.service_url, where=where))
    assert status == 200
    [answer] = teams.connector.posts()
    said = content(answer)
    assert "I don't know the command" in said or "too long" in said or "help [command]" in said, said
    assert answer.body.get("textFormat") in (None, "plain")
    assert_teams_said_nothing_bad(teams.connector)
    assert changed(before, await table_counts(runtime.engine)) == {}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=repeated_to(4_001), word=st.sampled_from(["", "story ", "dance ", "shoutout @Bob "]))
async def test_huge_text_gets_a_friendly_answer_and_writes_nothing(
    teams: TeamsApp, runtime: Runtime, text: str, word: str
) -> None:
    # NUL characters are dropped before any rule applies; what is left must still be over the limit.
    assume(len(scrub(word + text).strip()) > MAX_COMMAND_TEXT)
    await known(teams, runtime)
    before = await table_counts(runtime.engine)
    status, _ = await post(teams, message(word + text, teams.service_url))
    assert status == 200
    assert_teams_said_nothing_bad(teams.connector)
    assert changed(before, await table_counts(runtime.engine)) == {}


async def test_text_just_under_the_body_limit_gets_a_friendly_answer(teams: TeamsApp, runtime: Runtime) -> None:
    await known(teams, runtime)
    before = await table_counts(runtime.engine)
    status, _ = await post(teams, message("story " + "a" * (MAX_BODY - 4096), teams.service_url))
    assert status == 200
    assert "That is too long for one command" in content(teams.connector.posts()[0])
    assert changed(before, await table_counts(runtime.engine)) == {}


# -- card submissions --------------------------------------------------------------------------------

action_values = st.one_of(
    st.sampled_from(["", "0", "-1", "1e3", "#1", " 1", "١", "½", "²", "99999", "2147483647", "2147483648", "9" * 20]),
    st.integers(),
    json_values,
    hostile_text,
)
submitted_values = st.one_of(
    json_values,
    st.fixed_dictionaries({"action": st.sampled_from(ACTIONS) | hostile_text, "value": action_values}),
    st.fixed_dictionaries(
        {
            "form": st.sampled_from(FORMS) | hostile_text,
            "context": st.one_of(st.sampled_from(["", "1", "abc", "-5"]), json_values),
        },
        optional={f"field.{name}": st.one_of(json_values, hostile_text) for name in FIELDS},
    ),
)


@FUZZ
@given(value=submitted_values, reply_to=st.one_of(st.none(), st.sampled_from(["1", "f:1", "x" * 300])))
async def test_a_card_submission_of_any_shape_is_answered_and_all_or_nothing(
    teams: TeamsApp, runtime: Runtime, value: Any, reply_to: str | None
) -> None:
    await known(teams, runtime)
    activity = submit(value, teams.service_url, card_id=reply_to or "1")
    if reply_to is None:
        activity.pop("replyToId")
    before = await table_counts(runtime.engine)
    status, _ = await post(teams, jsonable(activity))
    after = await table_counts(runtime.engine)
    assert status == 200
    assert teams.connector.calls, "a card submission is always answered"
    assert_teams_said_nothing_bad(teams.connector)
    if after["moments"] != before["moments"]:
        assert after["moments"] == before["moments"] + 1, changed(before, after)
        assert "#" in teams_wire(teams.connector)
    else:
        assert after["recipients"] == before["recipients"], changed(before, after)


async def test_a_submission_naming_another_tenant_changes_nothing_there(teams: TeamsApp, runtime: Runtime) -> None:
    """Tenant ids inside a card's values are just values: the tenant is the activity's own."""
    await known(teams, runtime)
    before = await table_counts(runtime.engine)
    for value in (
        {"form": "story", "context": OTHER_TENANT, "field.tenant": OTHER_TENANT},
        {"action": "agenda.swap", "value": "1", "tenantId": OTHER_TENANT},
        {"action": "review.approve", "value": "1", "conversation": {"tenantId": OTHER_TENANT}},
    ):
        activity = submit(copy.deepcopy(value), teams.service_url, card_id="1")
        status, _ = await post(teams, activity)
        assert status == 200
        assert_teams_said_nothing_bad(teams.connector)
    assert changed(before, await table_counts(runtime.engine)) == {}


async def test_forged_tenant_ids_are_refused_or_kept_apart(teams: TeamsApp, runtime: Runtime) -> None:
    await known(teams, runtime)
    before = await table_counts(runtime.engine)
    for tenant in ("", " ", "t" * 65, ["x"], {"id": TENANT}, 7, None, "../" + TENANT, TENANT.upper() + "\x00"):
        activity = message("dance", teams.service_url, tenant=TENANT)
        activity["conversation"]["tenantId"] = tenant
        activity["channelData"]["tenant"] = {"id": tenant}
        status, _ = await post(teams, activity)
        assert status < 500, tenant
        assert_teams_said_nothing_bad(teams.connector)
    mixed = message("dance", teams.service_url, tenant=TENANT)
    mixed["channelData"]["tenant"] = {"id": OTHER_TENANT}  # the conversation's tenant wins
    status, _ = await post(teams, mixed)
    assert status == 200
    assert changed(before, await table_counts(runtime.engine)) == {}
    assert ALICE["aadObjectId"]  # the same sender throughout


async def test_a_reject_form_with_an_odd_context_is_answered_and_writes_nothing(
    teams: TeamsApp, runtime: Runtime
) -> None:
    await known(teams, runtime)
    before = await table_counts(runtime.engine)
    for context in ("²", "①", "", "abc", "-1", "1.5", " 1 ", "١", "0x1", "1_0"):
        value = {"form": "reject", "context": context, "field.reason": "It names the customer."}
        status, _ = await post(teams, submit(value, teams.service_url, card_id="1"))
        assert status == 200, context
        assert teams.connector.calls, context
        assert_teams_said_nothing_bad(teams.connector)
    assert changed(before, await table_counts(runtime.engine)) == {}


async def test_a_form_shown_again_with_odd_numbers_in_it_is_answered(teams: TeamsApp, runtime: Runtime) -> None:
    """A submission with problems comes back with its own values in the fields, numbers included."""
    await known(teams, runtime)
    before = await table_counts(runtime.engine)
    odd: tuple[Any, ...] = ("²", "①", "9" * 5000, "-3", "1e9", 1e308, -1, 2**70, [], {"m": 1})
    for minutes in odd:
        value = {"form": "exercise", "context": "", "field.title": "", "field.minutes": minutes}
        status, _ = await post(teams, jsonable(submit(value, teams.service_url, card_id="1")))
        assert status == 200, minutes
        assert not teams.connector.updates("1")  # shown again in the person's 1:1 chat, not on the channel's card
        [shown_again] = [c for c in teams.connector.posts() if c.conversation_id.startswith("a:personal-")]
        assert "Title" in content(shown_again)
        assert_teams_said_nothing_bad(teams.connector)
    assert changed(before, await table_counts(runtime.engine)) == {}
