"""Acknowledge commands, button presses and message shortcuts before their listener is even started.

Bolt runs such a listener in a task of its own and then polls, every 10 ms, whether it has called
``ack()`` yet; the HTTP response waits for that poll. Acknowledged here, before the listener runner,
the response goes out as soon as Bolt has matched the listener — and the request stops counting as
one someone waits on (:class:`adapters.http.foreground.Foreground`), so the answers that follow are
not held back by acknowledgements that are only sleeping. A modal submission is left to its listener:
its inline errors travel in the acknowledgement. Events are acknowledged by Bolt itself, at once.
Over HTTP, commands and button presses do not reach Bolt's dispatch at all (:mod:`adapters.slack.fastpath`);
this covers them through Socket Mode and whenever they are left to Bolt.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.payload_utils import is_slash_command
from slack_bolt.response import BoltResponse

ACKED_FIRST = frozenset({"block_actions", "message_action"})


def acked_first(body: dict[str, object]) -> bool:
    """A slash command, a button press or a message shortcut: their acknowledgement carries nothing."""
    return is_slash_command(body) or body.get("type") in ACKED_FIRST


class AckFirst(AsyncMiddleware):
    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        if acked_first(req.body):
            await req.context.ack()
        return await next()
