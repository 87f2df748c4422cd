"""Members written straight to the database, for tests of what reads see."""

from __future__ import annotations

from datetime import datetime

from bot.storage.models import Member


def newcomer(workspace_id: int, at: datetime, *, external_id: str = "U2", name: str = "Newcomer") -> Member:
    """A plain member of the workspace, not yet seen in any channel."""
    return Member(
        workspace_id=workspace_id,
        external_id=external_id,
        name=name,
        role="member",
        opted_out=False,
        created_at=at,
    )
