"""The core answers a first command on every database."""

from __future__ import annotations

from adapters.runtime import Runtime
from tests.support.events import said


async def test_first_member_of_a_workspace_is_admin_and_can_schedule(runtime: Runtime) -> None:
    replies = await runtime.core.handle(said("schedule weekly tue 10:00 Europe/Berlin lead 30m"))
    assert "Scheduled" in replies[0].text
