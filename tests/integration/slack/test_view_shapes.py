"""A correctly signed view payload whose view does not say its type is a 400, never a 500."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from adapters.runtime import Runtime
from tests.integration.hostile.support import post_slack, table_rows
from tests.integration.slack.driver import SlackDriver

FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize("kind", ["view_submission", "view_closed"])
@pytest.mark.parametrize("view_type", ["missing", None])
async def test_a_signed_view_without_a_type_is_refused_as_malformed(
    slack: SlackDriver, runtime: Runtime, kind: str, view_type: str | None
) -> None:
    view = {"id": "V1", "callback_id": "customer_moment.form", "private_metadata": "{}", "team_id": "T1"}
    if view_type != "missing":
        view["type"] = view_type
    payload = {"type": kind, "team": {"id": "T1"}, "user": {"id": "U1", "team_id": "T1"}, "view": view}
    before = await table_rows(runtime.engine)
    status, text = await post_slack(slack, urlencode({"payload": json.dumps(payload)}).encode(), FORM)
    assert status == 400
    assert json.loads(text) == {"error": "malformed request: 'view.type' must be a string"}
    assert await table_rows(runtime.engine) == before
