"""The lifecycles of agenda items, featurings and meeting series: every legal move, and every other one raising."""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest
from sqlalchemy.dialects import sqlite

from bot.domain.lifecycle import (
    AGENDA,
    COUNTED,
    FEATURING,
    OPEN,
    RETURNED,
    SERIES,
    AgendaState,
    IllegalTransition,
    Lifecycle,
    Outcome,
    SeriesState,
    ending,
)
from bot.storage.models import AgendaItem, Featuring, MeetingSeries

A, F, S = AgendaState, Outcome, SeriesState

# Written out by hand from the product's rules, so that a change to the table shows up here.
AGENDA_LEGAL = {
    (None, A.SCHEDULED),  # a series' occurrence prepared ahead of its meeting
    (None, A.MISSED),  # an occurrence prepared after its meeting started (an outage)
    (None, A.POSTED),  # a one-off request, posted at once
    (A.SCHEDULED, A.SCHEDULED),  # its moment swapped before the card went out
    (A.SCHEDULED, A.POSTED),
    (A.SCHEDULED, A.PRESENTED),
    (A.SCHEDULED, A.SKIPPED),
    (A.SCHEDULED, A.MISSED),
    (A.SCHEDULED, A.FAILED),
    (A.SCHEDULED, A.CANCELLED),
    (A.POSTED, A.POSTED),  # its moment swapped on the card
    (A.POSTED, A.PRESENTED),
    (A.POSTED, A.SKIPPED),
    (A.POSTED, A.CANCELLED),  # its meeting cancelled in the calendar the series follows
    (A.PRESENTED, A.POSTED),  # `undo` of done on the current meeting
    (A.SKIPPED, A.POSTED),  # `undo` of skip, its card out
    (A.SKIPPED, A.SCHEDULED),  # `undo` of skip, its card still waiting for its post time
    (A.CANCELLED, A.POSTED),  # its meeting back in the calendar, its card out
    (A.CANCELLED, A.SCHEDULED),  # its meeting back in the calendar, its card still waiting
}
FEATURING_LEGAL = {
    (None, F.CURRENT),
    (F.CURRENT, F.PRESENTED),
    (F.CURRENT, F.SKIPPED),
    (F.CURRENT, F.SWAPPED),
    (F.PRESENTED, F.CURRENT),  # undone
    (F.SKIPPED, F.CURRENT),  # undone
}
REOPENS = {
    (A.PRESENTED, A.POSTED),
    (A.SKIPPED, A.POSTED),
    (A.SKIPPED, A.SCHEDULED),
    (A.CANCELLED, A.POSTED),
    (A.CANCELLED, A.SCHEDULED),
    (F.PRESENTED, F.CURRENT),
    (F.SKIPPED, F.CURRENT),
}
SERIES_LEGAL = {
    (None, S.ACTIVE),
    (S.ACTIVE, S.PAUSED),
    (S.ACTIVE, S.DELETED),
    (S.PAUSED, S.ACTIVE),
    (S.PAUSED, S.DELETED),
}

CASES: list[tuple[Lifecycle[Any], set[tuple[Any, Any]]]] = [
    (AGENDA, AGENDA_LEGAL),
    (FEATURING, FEATURING_LEGAL),
    (SERIES, SERIES_LEGAL),
]


def _all_moves() -> list[tuple[str, Any, Any, bool]]:
    """Every (current, target) pair of every lifecycle, ``None`` standing for a record being created."""
    cases = []
    for lifecycle, legal in CASES:
        states = list(lifecycle.moves)
        cases += [
            (lifecycle.name, current, target, (current, target) in legal)
            for current, target in product([None, *states], states)
        ]
    return cases


LIFECYCLES = {lifecycle.name: lifecycle for lifecycle, _ in CASES}


@pytest.mark.parametrize(("name", "current", "target", "legal"), _all_moves(), ids=str)
def test_a_move_is_taken_when_legal_and_raises_otherwise(name: str, current: Any, target: Any, legal: bool) -> None:
    lifecycle = LIFECYCLES[name]
    assert lifecycle.allows(current, target) is legal
    act = (lambda: lifecycle.start(target)) if current is None else (lambda: lifecycle.move(current, target))
    if legal:
        assert act() == target
    else:
        with pytest.raises(IllegalTransition) as raised:
            act()
        assert raised.value.target == target and raised.value.current == current
        assert lifecycle.name in str(raised.value)


@pytest.mark.parametrize("lifecycle", [lifecycle for lifecycle, _ in CASES], ids=lambda c: c.name)
def test_every_state_has_an_entry_in_its_table(lifecycle: Lifecycle[Any]) -> None:
    states = type(next(iter(lifecycle.moves)))
    assert set(lifecycle.moves) == set(states)
    assert all(target in states for targets in lifecycle.moves.values() for target in targets)


def test_only_items_not_yet_presented_or_ended_are_open_to_a_new_pick() -> None:
    assert OPEN == (A.SCHEDULED, A.POSTED)
    assert {state for state in A if AGENDA.has_ended(state)} == {
        A.PRESENTED,
        A.SKIPPED,
        A.MISSED,
        A.FAILED,
        A.CANCELLED,
    }


@pytest.mark.parametrize(("name", "current", "target", "legal"), _all_moves(), ids=str)
def test_only_undo_moves_take_an_ending_back(name: str, current: Any, target: Any, legal: bool) -> None:
    lifecycle = LIFECYCLES[name]
    if current is None:
        return
    if (current, target) in REOPENS:
        assert lifecycle.reopening(current, target) == target
        assert lifecycle.has_ended(current) or current in (F.PRESENTED, F.SKIPPED)
    else:
        with pytest.raises(IllegalTransition):
            lifecycle.reopening(current, target)


def test_an_ended_item_closes_its_featuring_as_presented_or_skipped() -> None:
    assert ending(A.PRESENTED) is F.PRESENTED
    for state in (A.SKIPPED, A.MISSED, A.FAILED, A.CANCELLED):
        assert ending(state) is F.SKIPPED
    for state in OPEN:
        with pytest.raises(IllegalTransition):
            ending(state)


def test_every_ending_of_an_item_is_a_legal_ending_of_its_featuring() -> None:
    for state in A:
        if AGENDA.has_ended(state):
            assert FEATURING.allows(F.CURRENT, ending(state))


def test_a_featuring_counts_unless_its_moment_went_back_to_the_pool() -> None:
    assert set(COUNTED) | set(RETURNED) == set(F)
    assert not set(COUNTED) & set(RETURNED)


def test_stored_values_stay_what_the_database_already_holds() -> None:
    assert [s.value for s in A] == ["scheduled", "posted", "presented", "skipped", "missed", "failed", "cancelled"]
    assert [o.value for o in F] == ["current", "presented", "skipped", "swapped"]
    assert [s.value for s in S] == ["active", "paused", "deleted"]
    assert all(len(value) <= 16 for value in [*A, *F, *S])  # the columns are 16 characters wide


@pytest.mark.parametrize(
    ("column", "states"),
    [(AgendaItem.__table__.c.state, A), (Featuring.__table__.c.outcome, F), (MeetingSeries.__table__.c.state, S)],
    ids=["agenda item", "featuring", "meeting series"],
)
def test_a_state_column_stores_plain_values_reads_members_and_refuses_unknown_ones(column: Any, states: Any) -> None:
    kind, dialect = column.type, sqlite.dialect()
    for state in states:
        stored = kind.process_bind_param(state, dialect)
        assert type(stored) is str and stored == state.value
        assert kind.process_bind_param(state.value, dialect) == stored
        assert kind.process_result_value(stored, dialect) is state
    with pytest.raises(ValueError):
        kind.process_bind_param("archived", dialect)
