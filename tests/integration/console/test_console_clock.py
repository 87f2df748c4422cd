"""The console's simulated clock drives the real scheduler: each card, reminder and notice at its own time."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.composition import build_scheduler
from adapters.console.chat import DEMO_PEOPLE, DEMO_ZONE, PLACE, ConsoleChat
from adapters.console.clock import ConsoleClock
from adapters.console.surface import ConsoleSurface
from adapters.console.timeline import Timeline
from adapters.runtime import Runtime
from bot.domain.lifecycle import AgendaState
from bot.ports import DeliveryError
from bot.replies import Audience, Reply
from bot.storage.models import AgendaItem
from tests.integration.core import rows

START = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # Mon 7 Dec 08:00 in Berlin


@pytest.fixture
def clock() -> ConsoleClock:
    return ConsoleClock(START)


class Console:
    """The console as `customer-moment console --now …` puts it together, writing into a buffer."""

    def __init__(self, runtime: Runtime, clock: ConsoleClock) -> None:
        self.out = io.StringIO()
        self.surface = ConsoleSurface(write=self.write, stamp=self.stamp)
        self.scheduler = build_scheduler(runtime, [self.surface], clock=clock, worker="console:test")
        self.timeline = Timeline(
            core=runtime.core,
            scheduler=self.scheduler,
            clock=clock,
            place=PLACE,
            zone=DEMO_ZONE,
            write=self.write,
        )
        self.chat = ConsoleChat(
            core=runtime.core,
            out=self.out,
            interactive=False,
            actor="alice",
            surface=self.surface,
            timeline=self.timeline,
        )
        self._core = runtime.core

    def write(self, text: str) -> None:
        self.out.write(text + "\n")

    async def stamp(self) -> str:
        return await self.timeline.stamp()

    async def type(self, *lines: str) -> str:
        """What the console printed for these lines."""
        start = self.out.tell()
        for line in lines:
            await self.chat.line(line)
        return self.out.getvalue()[start:]


@pytest.fixture
async def console(runtime: Runtime, clock: ConsoleClock) -> Console:
    await runtime.core.introduce(PLACE, DEMO_PEOPLE, zone=DEMO_ZONE)
    return Console(runtime, clock)


def _positions(text: str, *needles: str) -> list[int]:
    found = [text.find(needle) for needle in needles]
    assert -1 not in found, (needles, text)
    return found


async def test_waiting_a_week_posts_each_card_at_its_time(
    console: Console, runtime: Runtime, clock: ConsoleClock
) -> None:
    await console.type(
        "schedule weekly mon 10:00 Europe/Berlin lead 30m",
        "story The parcel was lost twice | rang the depot | relieved | own the problem",
    )
    said = await console.type("wait 1w 2h")
    first, posted, second, now = _positions(
        said,
        "── Mon 7 Dec 2026 09:30 Europe/Berlin",
        "┌ [posted in #support] Customer Moment · Mon 7 Dec 10:00 CET",
        "── Mon 14 Dec 2026 09:30 Europe/Berlin",
        "It is now Mon 14 Dec 2026 10:00 Europe/Berlin.",
    )
    assert first < posted < second < now
    assert said.count("[posted in #support] Customer Moment") == 2
    assert clock() == START + timedelta(weeks=1, hours=2)
    items = await rows(runtime, AgendaItem)
    assert [(i.state, i.post_ref is not None) for i in items] == [(AgendaState.POSTED, True)] * 2
    assert await console.type("clock") == "It is Mon 14 Dec 2026 10:00 Europe/Berlin.\n"


async def test_a_reminder_comes_at_its_own_time_before_the_card(console: Console) -> None:
    await console.type(
        "schedule weekly tue 10:00 Europe/Berlin lead 30m",
        "remind 1 1d",
        "story The parcel was lost twice | rang the depot | relieved | own the problem",
    )
    said = await console.type("wait 2d")
    reminded, reminder, posted, card = _positions(
        said,
        "── Mon 7 Dec 2026 09:30 Europe/Berlin",
        "(direct message to @alice) Coming up: the Customer Moment for Tue 8 Dec 10:00 CET",
        "── Tue 8 Dec 2026 09:30 Europe/Berlin",
        "[posted in #support] Customer Moment · Tue 8 Dec 10:00 CET",
    )
    assert reminded < reminder < posted < card


async def test_a_swap_after_posting_updates_the_card_in_place(console: Console, runtime: Runtime) -> None:
    await console.type(
        "schedule weekly mon 10:00 Europe/Berlin lead 30m",
        "story The parcel was lost twice | rang the depot | relieved | own the problem",
        "story The invoice was wrong | explained it first | grateful | explain before they ask",
        "wait 1h45m",
    )
    [item] = await rows(runtime, AgendaItem)
    assert item.post_ref is not None
    said = await console.type("swap")
    assert said.startswith("┌ [updated in #support] Customer Moment · Mon 7 Dec 10:00 CET")
    [swapped] = await rows(runtime, AgendaItem)
    assert swapped.post_ref == item.post_ref  # the same message, changed
    found = await console.surface.find_posted(
        workspace_id=PLACE.workspace_id, channel_id="support", key=f"agenda:{item.id}"
    )
    assert found == item.post_ref


async def test_waiting_needs_a_readable_duration_and_changes_nothing(console: Console, clock: ConsoleClock) -> None:
    for typed in ("wait", "wait soon", "wait 0m", "wait 2y", "wait 400d"):
        said = await console.type(typed)
        assert said.count("\n") == 1, said
        assert clock() == START


async def test_nothing_due_still_moves_the_clock(console: Console, clock: ConsoleClock) -> None:
    assert await console.type("wait 30m") == "It is now Mon 7 Dec 2026 08:30 Europe/Berlin.\n"
    assert clock() == START + timedelta(minutes=30)


class Flaky(ConsoleSurface):
    """Refuses its first channel post the way a busy platform does: try again in ten minutes."""

    refused = False

    async def deliver(self, *, workspace_id: str, channel_id: str | None, replies: Sequence[Reply]) -> list[Any]:
        if not self.refused and any(r.audience is Audience.CHANNEL for r in replies):
            self.refused = True
            raise DeliveryError("busy", retryable=True, retry_after=600)
        return await super().deliver(workspace_id=workspace_id, channel_id=channel_id, replies=replies)


async def test_a_refused_post_is_tried_again_when_its_retry_falls_due(
    console: Console, runtime: Runtime, clock: ConsoleClock
) -> None:
    console.surface = Flaky(write=console.write, stamp=console.stamp)
    console.scheduler = build_scheduler(runtime, [console.surface], clock=clock, worker="console:test")
    console.timeline = console.chat._timeline = Timeline(
        core=runtime.core, scheduler=console.scheduler, clock=clock, place=PLACE, zone=DEMO_ZONE, write=console.write
    )
    await console.type(
        "schedule weekly mon 10:00 Europe/Berlin lead 30m",
        "story The parcel was lost twice | rang the depot | relieved | own the problem",
    )
    said = (await console.type("wait 1h45m")).splitlines()
    retried = said.index("── Mon 7 Dec 2026 09:40 Europe/Berlin")  # ten minutes after the refused post
    assert said[retried + 1] == "┌ [posted in #support] Customer Moment · Mon 7 Dec 10:00 CET"
    assert sum("[posted in #support]" in line for line in said) == 1
    [item] = await rows(runtime, AgendaItem)
    assert (item.state, item.attempts) == (AgendaState.POSTED, 2)
