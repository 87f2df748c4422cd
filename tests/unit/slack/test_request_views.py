"""A submitted or closed view must say what type of view it is: Bolt reads it without asking."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack.requests import problem

VIEW = {"id": "V1", "callback_id": "customer_moment.form", "private_metadata": "{}", "team_id": "T1"}


def payload(kind: str, view: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "team": {"id": "T1"}, "user": {"id": "U1"}, "view": view}


@pytest.mark.parametrize("kind", ["view_submission", "view_closed", "block_actions"])
@pytest.mark.parametrize("view_type", [None, 7, ["modal"], {"type": "modal"}])
def test_a_view_with_a_callback_id_and_no_type_is_malformed(kind: str, view_type: Any) -> None:
    view = dict(VIEW) if view_type is None else {**VIEW, "type": view_type}
    assert problem(payload(kind, view)) == "'view.type' must be a string"
    assert problem(payload(kind, {**VIEW, "type": None})) == "'view.type' must be a string"


@pytest.mark.parametrize("view_type", ["modal", "home", "workflow_step", ""])
def test_a_view_that_says_its_type_passes(view_type: str) -> None:
    assert problem(payload("view_submission", {**VIEW, "type": view_type})) is None
