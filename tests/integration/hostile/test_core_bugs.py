"""Ids handed back by surfaces that are not plain in-range numbers: superscript digits, and numbers beyond
any id column. They name nothing, and the answer says so politely — through the real server.

"""

from __future__ import annotations

import json

import pytest

from adapters.runtime import Runtime
from tests.integration.hostile.support import assert_slack_said_nothing_bad, assert_teams_said_nothing_bad, table_counts
from tests.integration.slack.driver import SlackDriver, all_text
from tests.integration.teams.builders import message, submit
from tests.integration.teams.conftest import TeamsApp
from tests.integration.teams.reading import content

BEYOND_ANY_ID = "9" * 20  # more than a 64-bit integer; PostgreSQL's INTEGER ids already end at 2,147,483,647


async def slack_press(slack: SlackDriver, runtime: Runtime, action: str, value: str) -> str:
    await slack.command("help")
    before = await table_counts(runtime.engine)
    slack.fake.reset()
    name = await slack.press(action, value)
    assert await table_counts(runtime.engine) == before
    said = slack.said(name)
    assert said.strip()
    assert_slack_said_nothing_bad(slack.fake)
    return said


@pytest.mark.parametrize("action", ["agenda.swap", "review.approve"])
async def test_slack_a_button_value_of_superscript_digits_is_an_inactive_button(
    slack: SlackDriver, runtime: Runtime, action: str
) -> None:
    assert "That button is no longer active." in await slack_press(slack, runtime, action, "²")


@pytest.mark.parametrize("action", ["agenda.helpful", "review.reject"])
async def test_slack_a_button_value_beyond_any_id_names_nothing(
    slack: SlackDriver, runtime: Runtime, action: str
) -> None:
    assert "There is no" in await slack_press(slack, runtime, action, BEYOND_ANY_ID)


async def test_slack_a_reject_form_about_an_id_beyond_any_id_names_nothing(
    slack: SlackDriver, runtime: Runtime
) -> None:
    await slack.command("help")
    view = {
        "type": "modal",
        "callback_id": "customer_moment.form",
        "private_metadata": json.dumps({"form": "reject", "context": BEYOND_ANY_ID, "channel": "C1"}),
        "blocks": [
            {"type": "input", "block_id": "reason", "element": {"type": "plain_text_input", "action_id": "reason"}}
        ],
    }
    before = await table_counts(runtime.engine)
    slack.fake.reset()
    status, body = await slack.submit(view, {"reason": "It names the customer."})
    assert status == 200
    assert await table_counts(runtime.engine) == before
    said = all_text(body) + all_text(slack.fake.ephemerals) + all_text([c.params for c in slack.fake.calls])
    assert_slack_said_nothing_bad(slack.fake)
    assert "There is no" in said


async def teams_press(teams: TeamsApp, runtime: Runtime, value: dict[str, str]) -> str:
    assert (await teams.post(message("help", teams.service_url))).status == 200
    before = await table_counts(runtime.engine)
    teams.connector.clear()
    response = await teams.post(submit(value, teams.service_url, card_id="1"))
    assert response.status == 200
    assert await table_counts(runtime.engine) == before
    assert_teams_said_nothing_bad(teams.connector)
    return "\n".join(content(c) for c in teams.connector.calls if c.body)


async def test_teams_a_button_value_of_superscript_digits_is_an_inactive_button(
    teams: TeamsApp, runtime: Runtime
) -> None:
    said = await teams_press(teams, runtime, {"action": "agenda.done", "value": "²"})
    assert "That button is no longer active." in said


async def test_teams_a_button_value_beyond_any_id_names_nothing(teams: TeamsApp, runtime: Runtime) -> None:
    said = await teams_press(teams, runtime, {"action": "review.approve", "value": BEYOND_ANY_ID})
    assert "There is no" in said


async def test_teams_a_reject_form_about_an_id_beyond_any_id_names_nothing(teams: TeamsApp, runtime: Runtime) -> None:
    value = {"form": "reject", "context": BEYOND_ANY_ID, "field.reason": "It names the customer."}
    assert "There is no" in await teams_press(teams, runtime, value)


TOO_MANY_DIGITS = "9" * 5000  # Python's int() refuses strings of more than 4,300 digits (sys.int_info)


async def test_slack_a_button_value_of_thousands_of_digits_names_nothing(slack: SlackDriver, runtime: Runtime) -> None:
    assert "There is no" in await slack_press(slack, runtime, "agenda.swap", TOO_MANY_DIGITS)


async def test_slack_a_reject_form_about_thousands_of_digits_names_nothing(
    slack: SlackDriver, runtime: Runtime
) -> None:
    await slack.command("help")
    view = {
        "type": "modal",
        "callback_id": "customer_moment.form",
        "private_metadata": json.dumps({"form": "reject", "context": TOO_MANY_DIGITS, "channel": "C1"}),
        "blocks": [
            {"type": "input", "block_id": "reason", "element": {"type": "plain_text_input", "action_id": "reason"}}
        ],
    }
    before = await table_counts(runtime.engine)
    slack.fake.reset()
    status, body = await slack.submit(view, {"reason": "It names the customer."})
    assert status == 200
    assert await table_counts(runtime.engine) == before
    assert_slack_said_nothing_bad(slack.fake)
    said = all_text(body) + all_text(slack.fake.ephemerals) + all_text([c.params for c in slack.fake.calls])
    assert "There is no" in said
