"""A meeting whose moment was skipped ahead of time still takes place, and does not hide the series' meetings
after it: `queue`, `swap`, `skip` and `request` talk about and act on the next meeting that can still take a
moment, say which earlier meeting has none, and the scheduler then prepares each meeting once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.runtime import Runtime
from bot.domain.lifecycle import AgendaState
from bot.events import MeetingPhase
from bot.replies import Audience
from bot.storage.models import AgendaItem, MeetingSeries
from tests.integration.core import ask, count, one, rows, table_counts, text
from tests.integration.core.test_meeting_chats import CHAT, known_ahead, meeting
from tests.integration.core.test_next_meeting import (
    PREPARED_AT,
    TUESDAY,
    WEEKLY,
    queue_card,
    section,
    story,
    worker,
)
from tests.support.clock import FakeClock
from tests.support.events import said
from tests.support.fake_surface import RecordingSurface

WEEK = timedelta(weeks=1)


async def items(runtime: Runtime) -> list[AgendaItem]:
    return await rows(runtime, AgendaItem, order_by=AgendaItem.starts_at)


async def skipped_early(runtime: Runtime, weeks: int) -> None:
    """Skip the series' next ``weeks`` meetings, each with a bare `skip`, before the scheduler reached any."""
    for _ in range(weeks):
        await ask(runtime, said("skip"))


@pytest.mark.parametrize("weeks", [1, 2, 3])
async def test_after_skipping_meetings_early_the_queue_previews_the_first_that_can_take_a_moment(
    runtime: Runtime, weeks: int
) -> None:
    await ask(runtime, said(WEEKLY))
    await story(runtime, "bob", "The parcel was lost twice")
    await skipped_early(runtime, weeks)
    skipped = await items(runtime)
    assert [(i.starts_at, i.state) for i in skipped] == [
        (TUESDAY + n * WEEK, AgendaState.SKIPPED) for n in range(weeks)
    ]
    nxt = TUESDAY + weeks * WEEK
    when = f"{nxt.day} {nxt.strftime('%b')}"
    card = await queue_card(runtime)
    coming = section(card, "Coming up")[1].splitlines()
    assert coming[-1] == (
        f"Meeting #1 · next on Tue {when} 10:00 CET · no moment yet: it is picked on Tue {when} 09:30 CET, 30 min"
        " before the meeting"
    )
    assert len(coming) == weeks + 1 and all("skipped: no moment" in line for line in coming[:-1])
    heading, body = section(card, "Next meeting")
    assert heading == f"Next meeting · Tue {when} 10:00 CET · preview"
    assert f"the moment is picked on Tue {when} 09:30 CET" in body


@pytest.mark.parametrize("command", ["skip", "swap"])
@pytest.mark.parametrize("scheduler_first", [False, True], ids=["skipped-early", "skipped-once-prepared"])
async def test_a_second_bare_command_acts_on_the_following_meeting_and_says_the_first_has_no_moment(
    runtime: Runtime, clock: FakeClock, command: str, scheduler_first: bool
) -> None:
    await ask(runtime, said(WEEKLY))
    await story(runtime, "bob", "The parcel was lost twice")
    await story(runtime, "carol", "A refund took a month")
    if scheduler_first:
        clock.now = PREPARED_AT  # Tuesday's card is out: the series moved on to the week after
        await worker(runtime, clock, RecordingSurface()).run_once()
    await ask(runtime, said("skip"))
    (first,) = await items(runtime)
    assert (first.starts_at, first.state) == (TUESDAY, AgendaState.SKIPPED)

    replies = await ask(runtime, said(command))

    answer = text(replies)
    assert "no meeting ahead" not in answer
    assert "Tue 24 Nov 10:00 CET" in answer and f"agenda #{first.id}" in answer and "skipped" in answer
    assert "Tue 1 Dec 10:00 CET" in answer
    first_after, following = await items(runtime)
    assert (first_after.state, first_after.updated_at) == (AgendaState.SKIPPED, first.updated_at)  # left as it was
    assert following.starts_at == TUESDAY + WEEK
    if command == "skip":
        assert following.state == AgendaState.SKIPPED
    else:
        assert following.state == AgendaState.SCHEDULED and following.moment_id is not None
    assert not [r for r in replies if r.audience is Audience.CHANNEL]  # a week ahead: not in the channel yet
    # The way back the answer names works.
    assert f"`undo {first.id}`" in answer
    await ask(runtime, said(f"undo {first.id}"))
    assert (await items(runtime))[0].state in (AgendaState.SCHEDULED, AgendaState.POSTED)


async def test_with_only_a_skipped_meeting_ahead_a_bare_skip_says_so_and_changes_nothing(
    runtime: Runtime, clock: FakeClock
) -> None:
    await story(runtime, "bob", "The parcel was lost twice")
    await ask(runtime, said("request in 30m"))
    await ask(runtime, said("skip"))
    (skipped,) = await items(runtime)
    before = await table_counts(runtime)
    for command in ("skip", "swap"):
        answer = text(await ask(runtime, said(command)))
        assert "Mon 23 Nov 09:30 UTC" in answer and f"agenda #{skipped.id}" in answer and "skipped" in answer
        assert "No other meeting is ahead" in answer
    assert await table_counts(runtime) == before


async def test_a_request_for_the_meeting_after_an_early_skip_gets_the_series_moment_not_a_second(
    runtime: Runtime, clock: FakeClock
) -> None:
    # Across the spring clock change a daily meeting's next one is 23 hours after the one before: within a
    # request's reach while the skipped one is still ahead.
    clock.now = datetime(2027, 3, 27, 8, 20, tzinfo=UTC)
    await ask(runtime, said("schedule rrule FREQ=DAILY 10:00 Europe/Berlin lead 10m"))  # Saturday's: 09:00 UTC
    await story(runtime, "bob", "The parcel was lost twice")
    await ask(runtime, said("skip"))  # Saturday's, before its preparation at 08:50 UTC
    assert (await one(runtime, AgendaItem)).starts_at == datetime(2027, 3, 27, 9, 0, tzinfo=UTC)
    answer = text(await ask(runtime, said("request in 23h 40m")))  # Sunday 10:00 CEST, 08:00 UTC
    assert answer.startswith("Meeting #1 already gets a Customer Moment for the meeting on Sun 28 Mar 10:00 CEST")
    assert await count(runtime, AgendaItem) == 1


async def test_the_scheduler_prepares_each_meeting_once_after_early_skips_swaps_and_undo(
    runtime: Runtime, clock: FakeClock
) -> None:
    await ask(runtime, said(WEEKLY))
    await ask(runtime, said("remind 1 15m"))
    await story(runtime, "bob", "The parcel was lost twice")
    await story(runtime, "carol", "A refund took a month")
    await skipped_early(runtime, 2)  # 24 Nov and 1 Dec
    await ask(runtime, said("swap"))  # 8 Dec, settled early
    await ask(runtime, said("undo"))  # 1 Dec's skip taken back: its moment is picked when it is prepared
    first, second, third = await items(runtime)
    assert [i.state for i in (first, second, third)] == [
        AgendaState.SKIPPED,
        AgendaState.SCHEDULED,
        AgendaState.SCHEDULED,
    ]
    heading, _ = section(await queue_card(runtime), "Next meeting")
    assert heading == "Next meeting · Tue 1 Dec 10:00 CET"

    surface = RecordingSurface()
    dispatcher = worker(runtime, clock, surface)
    for week in range(3):
        for at in (PREPARED_AT - timedelta(minutes=15), PREPARED_AT):  # the reminder, then the card
            clock.now = at + week * WEEK
            await dispatcher.run_once()
    assert await count(runtime, AgendaItem) == 3  # no meeting prepared twice
    posted = [p.reply.card.title for p in surface.cards if p.reply.card is not None]
    assert posted == ["Customer Moment · Tue 1 Dec 10:00 CET", "Customer Moment · Tue 8 Dec 10:00 CET"]
    reminded = [p.reply.card.title for p in surface.direct if p.reply.card is not None]
    assert reminded == [
        "Coming up: the Customer Moment for Tue 1 Dec 10:00 CET",
        "Coming up: the Customer Moment for Tue 8 Dec 10:00 CET",
    ]
    _, second, third = await items(runtime)
    assert second.moment_id is not None and third.moment_id is not None
    assert (await one(runtime, MeetingSeries)).next_start_at == datetime(2026, 12, 15, 9, 0, tzinfo=UTC)


async def test_a_date_skipped_with_skipdate_after_an_early_skip_is_passed_over_too(runtime: Runtime) -> None:
    await ask(runtime, said(WEEKLY))
    await ask(runtime, said("skip"))  # 24 Nov
    await ask(runtime, said("skipdate 1 2026-12-01"))
    heading, _ = section(await queue_card(runtime), "Next meeting")
    assert heading == "Next meeting · Tue 8 Dec 10:00 CET · preview"
    replies = await ask(runtime, said("skip"))
    assert (await items(runtime))[-1].starts_at == TUESDAY + 2 * WEEK
    assert "This skip is for the meeting on Tue 8 Dec 10:00 CET." in text(replies)


async def test_a_meeting_read_ahead_after_an_early_skip_is_the_series_next_meeting_listed_once(
    runtime: Runtime,
) -> None:
    await runtime.core.meeting(meeting(phase=MeetingPhase.AHEAD))  # a Teams meeting chat the app knows
    await ask(runtime, said(WEEKLY, channel=CHAT))
    await ask(runtime, said("skip", channel=CHAT))  # 24 Nov
    await runtime.core.meeting(known_ahead(TUESDAY + WEEK))  # the chat learns of the meeting of 1 Dec

    series = await one(runtime, MeetingSeries)
    _, following = await items(runtime)
    assert (following.starts_at, following.series_id, following.state) == (
        TUESDAY + WEEK,
        series.id,
        AgendaState.SCHEDULED,
    )
    (reply,) = await ask(runtime, said("queue", channel=CHAT))
    assert reply.card is not None
    coming = section(reply.card, "Coming up")[1]
    assert coming.count("Tue 1 Dec 10:00 CET") == 1 and "Meeting #" not in coming


@pytest.mark.parametrize(("remind", "picked"), [("", "09:30 CET, 30 min"), ("remind 1 45m", "08:45 CET, 1 h 15 min")])
async def test_after_an_early_skip_is_undone_the_queue_says_when_the_meeting_gets_its_moment(
    runtime: Runtime, remind: str, picked: str
) -> None:
    await ask(runtime, said(WEEKLY))
    if remind:
        await ask(runtime, said(remind))
    await story(runtime, "bob", "The parcel was lost twice")
    await ask(runtime, said("skip"))  # 24 Nov, before its preparation
    (item,) = await items(runtime)
    await ask(runtime, said(f"undo {item.id}"))
    assert (await items(runtime))[0].moment_id is None

    card = await queue_card(runtime)
    when = f"the moment is picked on Tue 24 Nov {picked} before the meeting"
    heading, body = section(card, "Next meeting")
    assert heading == "Next meeting · Tue 24 Nov 10:00 CET"
    assert when in body and "No moment picked for it" not in body
    coming = section(card, "Coming up")[1].splitlines()
    assert (
        coming[0] == f"Agenda #{item.id} · Tue 24 Nov 10:00 CET · no moment yet: it is picked on Tue 24 Nov {picked}"
        " before the meeting"
    )


async def test_the_queue_says_how_to_bring_back_each_skipped_meeting(runtime: Runtime) -> None:
    await ask(runtime, said(WEEKLY))
    await skipped_early(runtime, 2)
    first, second = await items(runtime)
    coming = section(await queue_card(runtime), "Coming up")[1].splitlines()
    assert coming[:2] == [
        f"Agenda #{first.id} · Tue 24 Nov 10:00 CET · skipped: no moment at this meeting (`undo {first.id}` brings"
        " it back)",
        f"Agenda #{second.id} · Tue 1 Dec 10:00 CET · skipped: no moment at this meeting (`undo {second.id}` brings"
        " it back)",
    ]


@pytest.mark.parametrize("request_first", [False, True], ids=["series", "one-off"])
async def test_done_with_only_skipped_meetings_ahead_says_there_is_no_moment_to_mark_and_why(
    runtime: Runtime, request_first: bool
) -> None:
    await ask(runtime, said("request in 30m" if request_first else WEEKLY))
    await story(runtime, "bob", "The parcel was lost twice")
    await ask(runtime, said("skip"))
    (skipped,) = await items(runtime)
    before = await table_counts(runtime)
    answer = text(await ask(runtime, said("done")))
    assert answer.startswith("There is no moment to mark done.")
    assert "no upcoming moment" not in answer
    assert f"agenda #{skipped.id}" in answer and f"`undo {skipped.id}`" in answer and "skipped" in answer
    assert await table_counts(runtime) == before
