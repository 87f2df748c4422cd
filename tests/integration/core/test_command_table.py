"""The command table is the truth: help lists it, its buttons route, and whom it names may really use a command."""

from __future__ import annotations

import pytest

from adapters.runtime import Runtime
from bot.commands import ACTIONS, BY_NAME, COMMANDS, Who
from tests.integration.core import ask, table_counts, text
from tests.support.events import pressed, said

# A well-formed use of each restricted command, so that only the role can stand in its way.
WELL_FORMED = {
    "schedule": "schedule weekly tue 10:00 Europe/Berlin",
    "pause": "pause 1",
    "resume": "resume 1",
    "unschedule": "unschedule 1",
    "remind": "remind 1 1h",
    "skipdate": "skipdate 1 2026-12-22",
    "review": "review on",
    "approve": "approve 1",
    "reject": "reject 1 please name the customer's problem",
    "export": "export csv",
    "managers": "managers add @carol",
    "timezone": "timezone Europe/Paris",
    "canvas": "canvas on",
}
RESTRICTED = sorted(spec.name for spec in COMMANDS if spec.who is not Who.ANYONE)


def test_every_restricted_command_has_a_well_formed_example() -> None:
    assert set(RESTRICTED) == set(WELL_FORMED)


async def test_general_help_lists_every_command_of_the_table_in_its_order(runtime: Runtime) -> None:
    lines = text(await ask(runtime, said("help"))).splitlines()[2:]
    assert [line.split("  —  ")[0] for line in lines] == [spec.usage for spec in COMMANDS]


@pytest.mark.parametrize("name", RESTRICTED)
async def test_a_plain_member_is_refused_what_the_table_reserves(runtime: Runtime, name: str) -> None:
    await ask(runtime, said("help", actor="alice"))  # the first person is the workspace's admin
    await ask(runtime, said("schedule weekly tue 10:00 Europe/Berlin", actor="alice"))
    await ask(runtime, said("help", actor="bob"))
    before = await table_counts(runtime)
    answer = text(await ask(runtime, said(WELL_FORMED[name], actor="bob")))
    needed = "admins" if BY_NAME[name].who is Who.ADMINS else "managers"
    assert answer.startswith(f"Only {needed}"), answer
    assert await table_counts(runtime) == before


@pytest.mark.parametrize("action", [spec.action for spec in ACTIONS])
async def test_every_button_of_the_table_is_routed(runtime: Runtime, action: str) -> None:
    answer = text(await ask(runtime, pressed(action, "999999")))
    assert "no longer active" not in answer


async def test_help_for_a_command_shows_its_examples(runtime: Runtime) -> None:
    shown = text(await ask(runtime, said("help schedule")))
    for word in ("biweekly", "every 3 weeks", "monthly", "daily", "rrule", "skip", "from"):
        assert word in shown, word
    assert "biweekly" not in text(await ask(runtime, said("help")))
