"""Modal submissions and button presses of any shape, signed as Slack signs them.

Each is answered with a 4xx or a 200 (with inline errors or a friendly message); a refused submission
writes nothing; a press with a made-up, huge, negative or non-numeric id changes nothing.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.runtime import Runtime
from tests.integration.hostile.strategies import CARD_ACTIONS, hostile_text, json_values, jsonable
from tests.integration.hostile.support import assert_slack_said_nothing_bad, changed, table_counts
from tests.integration.slack.driver import SlackDriver, state_for

FUZZ = settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

FORMS = ("story", "shoutout", "exercise", "schedule")
ACTIONS = (*CARD_ACTIONS, "open.story", "open.shoutout")
_views: dict[tuple[int, str], dict[str, Any]] = {}


async def opened(slack: SlackDriver, form: str) -> dict[str, Any]:
    """The modal ``/moment <form>`` opens (asked once per server)."""
    key = (id(slack), form)
    if key not in _views:
        slack.fake.reset()
        await slack.command(form)
        _views[key] = slack.opened_view()
    return copy.deepcopy(_views[key])


async def known(slack: SlackDriver, runtime: Runtime) -> None:
    """The workspace, channel and person exist (a first contact writes them; that is not what is tested)."""
    if not (await table_counts(runtime.engine))["members"]:
        await slack.command("help")


def submission(view: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "t1"},
        "user": {"id": "U1", "username": "u1", "team_id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "",  # set per request
        "view": {**view, "id": "V1", "team_id": "T1", "state": {"values": state}},
    }


# -- view submissions --------------------------------------------------------------------------------

Change = Callable[[dict[str, Any]], None]


def _set_in_state(block: int, value: Any, key: str | None) -> Change:
    def change(payload: dict[str, Any]) -> None:
        values = payload["view"]["state"]["values"]
        if not values:
            return
        block_id = sorted(values)[block % len(values)]
        if key is None:
            values[block_id] = value
        else:
            entry = next(iter(values[block_id].values()))
            entry[key] = value

    return change


def _drop_blocks(count: int) -> Change:
    def change(payload: dict[str, Any]) -> None:
        for block_id in sorted(payload["view"]["state"]["values"])[:count]:
            del payload["view"]["state"]["values"][block_id]

    return change


def _set(path: tuple[str, ...], value: Any) -> Change:
    def change(payload: dict[str, Any]) -> None:
        node = payload
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


FIELD_KEYS = (
    "value",
    "selected_option",
    "selected_options",
    "selected_users",
    "selected_time",
    "selected_conversation",
    "type",
)
metadata = st.one_of(
    hostile_text,
    json_values.map(json.dumps),
    st.builds(
        lambda form, context, channel: json.dumps({"form": form, "context": context, "channel": channel}),
        st.one_of(st.sampled_from(["story", "reject", "nonsense", "", "schedule", "x" * 300]), json_values),
        st.one_of(st.sampled_from(["", "1", "-1", "abc", "²", " 7 "]), json_values),
        st.one_of(st.sampled_from(["CA", "C1", "D1", "", "C" * 300]), json_values),
    ),
)
changes = st.lists(
    st.one_of(
        st.builds(_set_in_state, st.integers(0, 9), json_values, st.sampled_from(FIELD_KEYS)),
        st.builds(_set_in_state, st.integers(0, 9), json_values, st.none()),
        st.builds(_drop_blocks, st.integers(1, 9)),
        st.builds(_set, st.just(("view", "state", "values")), json_values),
        st.builds(_set, st.just(("view", "state")), json_values),
        st.builds(_set, st.just(("view", "private_metadata")), metadata),
        st.builds(_set, st.just(("view", "blocks")), json_values),
        st.builds(_set, st.sampled_from([("view", "callback_id"), ("view", "type")]), json_values),
        st.builds(_set, st.sampled_from([("view",), ("user",), ("team",), ("type",)]), json_values),
        st.builds(_set, st.sampled_from([("user", "id"), ("team", "id")]), json_values),
    ),
    min_size=1,
    max_size=4,
)


@FUZZ
@given(form=st.sampled_from(FORMS), change=changes, texts=st.lists(hostile_text, min_size=10, max_size=10))
async def test_a_submission_of_any_shape_is_answered_and_all_or_nothing(
    slack: SlackDriver, runtime: Runtime, form: str, change: list[Change], texts: list[str]
) -> None:
    await known(slack, runtime)
    view = await opened(slack, form)
    filled = {b["block_id"]: texts[i % len(texts)] for i, b in enumerate(view["blocks"]) if b.get("type") == "input"}
    payload = submission(view, state_for(view, {}))
    for block_id, entry in payload["view"]["state"]["values"].items():
        entry_value = next(iter(entry.values()))
        if "value" in entry_value:
            entry_value["value"] = filled[block_id]
    for one in change:
        # An earlier change may have taken the part away; the payload is odd enough as it is.
        with contextlib.suppress(KeyError, TypeError, IndexError, AttributeError, StopIteration):
            one(payload)
    payload = jsonable(payload)
    payload["trigger_id"] = slack.next_id("trigger-sub-")
    before = await table_counts(runtime.engine)
    slack.fake.reset()
    status, body = await slack.interact(payload)
    await slack.settle()
    after = await table_counts(runtime.engine)
    assert status < 500, status
    assert_slack_said_nothing_bad(slack.fake)
    refused = status == 200 and body.startswith(":warning:")  # Bolt's answer to a request of no workspace of ours
    answer = json.loads(body) if status == 200 and body.strip() and not refused else {}
    if status != 200 or refused or answer.get("response_action") == "errors":
        assert changed(before, after) == {}
        if answer:
            assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in answer["errors"].items())
    else:
        assert after["moments"] - before["moments"] in (0, 1), changed(before, after)


async def test_a_submission_with_every_field_of_the_wrong_type_is_answered_inline(
    slack: SlackDriver, runtime: Runtime
) -> None:
    await known(slack, runtime)
    for form in FORMS:
        view = await opened(slack, form)
        for wrong in ([["a"], {"b": 1}], 7, None, {"nested": {"deeper": ["x"]}}, ["text"], True, 1e308):
            state = state_for(view, {})
            for entry in state.values():
                for item in entry.values():
                    for key in FIELD_KEYS[:-1]:
                        item[key] = wrong
            before = await table_counts(runtime.engine)
            payload = {**submission(view, state), "trigger_id": slack.next_id("trigger-wrong-")}
            status, body = await slack.interact(payload)
            await slack.settle()
            assert status == 200, (form, wrong)
            assert json.loads(body)["response_action"] == "errors", (form, wrong, body)
            assert changed(before, await table_counts(runtime.engine)) == {}


# -- button presses ----------------------------------------------------------------------------------

values = st.one_of(
    st.sampled_from(["", "0", "-1", "-99", "1e3", "0x10", "#1", " 1", "1 ", "+1", "١", "²", "½", "9" * 9]),
    st.sampled_from(["2147483648", "9223372036854775808", "9" * 20, "9" * 4300, "①"]),
    st.integers().map(str),
    hostile_text,
)


def press(action_id: Any, value: Any, *, where: str, extra: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "t1"},
        "user": {"id": "U1", "username": "u1", "team_id": "T1"},
        "api_app_id": "A1",
        "actions": [{"type": "button", "action_id": action_id, "value": value, "block_id": "b"}],
    }
    if where == "home":
        payload |= {"container": {"type": "view", "view_id": "VH"}, "view": {"id": "VH", "type": "home"}}
    elif where == "modal":
        payload |= {"container": {"type": "view", "view_id": "VM"}, "view": {"id": "VM", "type": "modal"}}
    else:
        payload |= {
            "channel": {"id": "C1", "name": "support"},
            "container": {"type": "message", "message_ts": "1700000001.000001", "channel_id": "C1"},
            "message": {"ts": "1700000001.000001"},
        }
    return payload | extra


@FUZZ
@given(
    action_id=st.one_of(st.sampled_from(ACTIONS), hostile_text, st.sampled_from(["", "agenda.", "review.approve "])),
    value=values,
    where=st.sampled_from(["message", "home", "modal"]),
    extra=st.dictionaries(
        st.sampled_from(["channel", "container", "message", "response_url", "view", "state"]), json_values, max_size=2
    ),
)
async def test_a_press_with_an_unknown_action_or_a_made_up_id_changes_nothing(
    slack: SlackDriver, runtime: Runtime, action_id: str, value: str, where: str, extra: dict[str, Any]
) -> None:
    await known(slack, runtime)
    payload = jsonable(press(action_id, value, where=where, extra=extra))
    payload["trigger_id"] = slack.next_id("trigger-press-")
    payload.setdefault("response_url", slack.fake.response_url("press"))
    before = await table_counts(runtime.engine)
    slack.fake.reset()
    status, _ = await slack.interact(payload)
    await slack.settle()
    assert status < 500, status
    assert_slack_said_nothing_bad(slack.fake)
    assert slack.fake.calls_to("chat.update") == []
    # The answer goes to the person (a DM when there is no response_url), never into a channel.
    assert all(str(c.params["channel"]).startswith("D") for c in slack.fake.calls_to("chat.postMessage"))
    assert changed(before, await table_counts(runtime.engine)) == {}


@FUZZ
@given(actions=json_values, value=json_values)
async def test_presses_whose_actions_are_the_wrong_shape_are_refused(
    slack: SlackDriver, runtime: Runtime, actions: Any, value: Any
) -> None:
    before = await table_counts(runtime.engine)
    for payload in (
        {**press("agenda.swap", "1", where="message", extra={}), "actions": actions},
        press("agenda.swap", value, where="message", extra={}),
        press(value, "1", where="message", extra={}),
    ):
        payload["trigger_id"] = slack.next_id("trigger-shape-")
        status, _ = await slack.interact(jsonable(payload))
        assert status < 500, (status, payload)
    await slack.settle()
    assert_slack_said_nothing_bad(slack.fake)
    assert changed(before, await table_counts(runtime.engine)) == {}


# -- what comes back from our own modals -------------------------------------------------------------


async def test_private_metadata_that_is_not_ours_is_answered_and_writes_nothing(
    slack: SlackDriver, runtime: Runtime
) -> None:
    """The modal's metadata comes back from Slack as we wrote it; anything else is an expired or unknown form."""
    await known(slack, runtime)
    view = await opened(slack, "story")
    expired = ("", "not json", "[]", "null", '{"form": 7}', '{"context": "1"}', "{" * 2000, "x" * 3000)
    unknown = ('{"form": "nonsense"}', '{"form": ""}', '{"form": "' + "f" * 300 + '"}', '{"form": "Story"}')
    wrong_context = tuple(
        json.dumps({"form": "reject", "context": context, "channel": "C1"})
        for context in (12, [12], {"id": 12}, 1e400, None, 10**30, "abc", "²")
    )
    before = await table_counts(runtime.engine)
    for metadata in expired + unknown + wrong_context:
        slack.fake.reset()
        filled = {"situation": "The parcel went to the wrong city.", "lesson": "Call first.", "reason": "No."}
        status, body = await slack.submit({**view, "private_metadata": metadata}, filled)
        assert status == 200, metadata
        said = json.dumps(body) + json.dumps([c.params for c in slack.fake.calls], default=str)
        if metadata in expired:
            assert "This form has expired" in said, metadata
        elif metadata in unknown:
            assert "That form is no longer available" in said, metadata
        else:
            assert "That form has expired; press Reject again." in said, metadata
        assert_slack_said_nothing_bad(slack.fake)
    assert changed(before, await table_counts(runtime.engine)) == {}
