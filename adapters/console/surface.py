"""The console as a surface the scheduler posts through: cards, reminders and notices printed in the terminal.

What the scheduler sends is printed under the time it happened (the console's clock, in the team's zone),
so that a simulated week reads like a log of the team's channel. Posted messages are kept in memory, by
key, so that a card can be updated in place (printed again, saying so) and found after a repeated attempt.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from adapters.console.render import reply_text
from bot.ports import BoardOutcome, BoardStatus
from bot.replies import Audience, Board, Reply

Write = Callable[[str], None]
Stamp = Callable[[], Awaitable[str]]


class ConsoleSurface:
    """Implements the core's ``Surface`` port for the console platform."""

    platform = "console"

    def __init__(self, *, write: Write, stamp: Stamp) -> None:
        self._write = write
        self._stamp = stamp
        self._numbers = itertools.count(1)
        self._posted: dict[tuple[str, str], dict[str, Any]] = {}  # (channel, key) → ref
        self._last_stamp = ""

    async def deliver(self, *, workspace_id: str, channel_id: str | None, replies: Sequence[Reply]) -> list[Any]:
        refs: list[Any] = []
        shown: list[str] = []
        for reply in replies:
            channel = reply.to_team or channel_id
            if reply.audience is Audience.CHANNEL and channel:
                ref, text = self.channel_post(reply, channel)
                refs.append(ref)
                shown.append(text)
            elif reply.audience is Audience.DIRECT and reply.to_member:
                refs.append(None)
                shown.append(reply_text(reply, channel=f"#{channel}"))
            else:
                refs.append(None)  # nobody to go to: not shown, as other surfaces drop it
        if shown:
            stamp = await self._stamp()
            if stamp != self._last_stamp:  # one heading for what happens at the same time
                self._write(f"── {stamp}")
                self._last_stamp = stamp
            for text in shown:
                self._write(text)
        return refs

    def channel_post(self, reply: Reply, channel: str) -> tuple[dict[str, Any], str]:
        """Post (or update, when the reply names a message already posted) in ``channel``: its ref and text."""
        known = reply.message.ref if reply.message is not None else None
        if known is None and reply.message is not None:
            known = self._posted.get((channel, reply.message.key))
        ref = dict(known) if known else {"channel": channel, "message": next(self._numbers)}
        if reply.message is not None:
            self._posted[(channel, reply.message.key)] = ref
        return ref, reply_text(reply, channel=f"#{channel}", updated=known is not None)

    async def find_posted(self, *, workspace_id: str, channel_id: str, key: str) -> dict[str, Any] | None:
        return self._posted.get((channel_id, key))

    async def show_board(self, *, workspace_id: str, channel_id: str, board: Board) -> BoardOutcome:
        """The terminal has no channel canvas to keep a board in."""
        return BoardOutcome(BoardStatus.UNSUPPORTED)
