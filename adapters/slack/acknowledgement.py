"""A slash command's acknowledgement that carries its answer, when the answer is ready in time.

Slack shows what the 200 to a slash command carries as the command's answer, only to the person who
typed it, as it shows an ephemeral message posted to the command's ``response_url``. Carried in the
acknowledgement, the answer reaches the person as soon as Slack has the acknowledgement, without a second
request from the server to Slack and the round trip it costs. So the acknowledgement of a command
waits, a bounded moment (``ACK_WAIT_SECONDS``, well inside Slack's 3 s), for the answer: the first reply
only the person sees (or the "busy" answer) is carried in it; everything after it, and an answer not
ready in time, goes to the ``response_url`` as before. A command whose replies include nothing the person
alone sees (a form to open, a post to a channel) closes it empty when it is done.

The command's work does not give way to other acknowledgements (its answer is one), and when every work
slot of the process is taken it waits for one only while its answer could still go in the
acknowledgement (:meth:`Acknowledgement.slot_wait`); past that it is shed, and the acknowledgement
carries the "busy" answer. So under overload a person hears "busy" within about half a second and the
process spends nothing more on it: no answer queued behind others, no second request to Slack.
"""

from __future__ import annotations

import asyncio
from typing import Any

ACK_WAIT_SECONDS = 0.5  # then an empty 200: Slack must have the acknowledgement within 3 s, whatever the load
WORK_SECONDS = 0.1  # of that wait, left for the work once it has a slot (the mix's work takes a few ms)


class Acknowledgement:
    """The 200 to one command: empty, or carrying one answer offered before it was sent."""

    __slots__ = ("_body", "_timer")

    def __init__(self, within: float | None = ACK_WAIT_SECONDS) -> None:
        """``within`` None: one that carries nothing and goes out at once (a button press's)."""
        loop = asyncio.get_running_loop()
        self._body: asyncio.Future[dict[str, Any] | None] = loop.create_future()
        self._timer = loop.call_later(within, self.close) if within is not None else None
        if within is None:
            self._body.set_result(None)

    def slot_wait(self) -> float | None:
        """How long the command's work may wait for a slot and still have time to put its answer in this
        acknowledgement (0 when only a free slot will do); None once it is sent or closed, or past its
        deadline (its timer, late behind other work, is about to send it empty)."""
        if self._timer is None or self._body.done():
            return None
        left = self._timer.when() - asyncio.get_running_loop().time()
        return max(0.0, left - WORK_SECONDS) if left > 0 else None

    def carry(self, body: dict[str, Any]) -> bool:
        """True: ``body`` goes out in the acknowledgement. False: the acknowledgement is sent or closed
        already, and the caller sends ``body`` its own way."""
        if self._body.done():
            return False
        self._answered(body)
        return True

    def close(self) -> None:
        """Nothing (more) for it to carry: it goes out empty, unless it carries something already."""
        if not self._body.done():
            self._answered(None)

    def _answered(self, body: dict[str, Any] | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._body.set_result(body)

    async def body(self) -> dict[str, Any] | None:
        """What the acknowledgement carries: once an answer is offered, or it is closed, or time is up."""
        return await self._body
