"""The core's side of meetings: a start counts once, a chat may draw from a channel's pool, the end asks once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from adapters.runtime import Runtime
from bot.domain.lifecycle import AgendaState
from bot.events import Incoming, MeetingEvent, MeetingPhase, Person
from bot.replies import Audience
from bot.storage.models import AgendaItem, MeetingChat, MeetingOccurrence, Moment
from tests.integration.core import ask, count, one, rows, text
from tests.support.clock import FakeClock
from tests.support.events import place, pressed, said

CHAT = "meeting-chat"
STORY = "story The parcel was lost twice | rang the depot | relieved | own the problem"


def meeting(
    *, phase: MeetingPhase = MeetingPhase.STARTED, meeting_id: str = "M1", occurrence: str = "2026-11-23T09:00Z"
) -> MeetingEvent:
    return MeetingEvent(
        place=place(channel=CHAT),
        meeting_id=meeting_id,
        occurrence=occurrence,
        phase=phase,
        actor=Person("alice", "alice"),
        organizer=Person("alice", "alice"),
        attendees=(Person("alice", "alice"), Person("bob", "bob")),
    )


async def in_meeting_chat(runtime: Runtime) -> None:
    """The app learnt the chat is a meeting's (an event about its meeting, with no start known yet)."""
    await runtime.core.meeting(meeting(phase=MeetingPhase.AHEAD))


async def test_a_start_counts_once_per_occurrence(runtime: Runtime) -> None:
    first = await runtime.core.meeting(meeting())
    again = await runtime.core.meeting(meeting())
    next_week = await runtime.core.meeting(meeting(occurrence="2026-11-30T09:00Z"))

    (card,) = [r for r in first.replies if r.message is not None]
    assert first.notify and card.audience is Audience.CHANNEL and card.to_team == CHAT
    assert not again.replies and not again.notify
    assert next_week.notify and next_week.replies
    assert await count(runtime, AgendaItem) == 2
    assert await count(runtime, MeetingOccurrence) == 2


async def test_an_unlinked_meeting_chat_is_a_team_of_its_own_with_the_meetings_people(runtime: Runtime) -> None:
    await ask(runtime, said("help", channel="support"))
    await runtime.core.meeting(meeting())

    replies = await ask(runtime, said("pool", channel=CHAT, actor="bob"))

    assert "its own pool" in text(replies)
    assert "bob" in text(await ask(runtime, said("stats", channel=CHAT)))


async def test_linking_and_unlinking_a_pool(runtime: Runtime) -> None:
    await ask(runtime, said(STORY, channel="support"))
    await in_meeting_chat(runtime)
    assert "pool of #support" in text(await ask(runtime, said("pool #support", channel=CHAT)))
    answer = await runtime.core.meeting(meeting())
    story = await one(runtime, Moment, Moment.kind == "story")
    item = await one(runtime, AgendaItem)
    assert item.moment_id == story.id and "The parcel was lost twice" in text(answer.replies)

    assert "its own pool" in text(await ask(runtime, said("pool off", channel=CHAT)))
    link = await one(runtime, MeetingChat)
    assert link.pool_team_id is None


async def test_a_pool_that_is_unknown_or_ambiguous_is_refused_and_nothing_changes(runtime: Runtime) -> None:
    await ask(runtime, said("help", channel="support"))
    sales = Incoming(place=replace(place(channel="sales"), channel_name="Sales › Support"), actor=Person("alice", "a"))
    await ask(runtime, sales)
    await in_meeting_chat(runtime)

    unknown = await ask(runtime, said("pool #nowhere", channel=CHAT))
    itself = await ask(runtime, said(f"pool #{CHAT}", channel=CHAT))
    ambiguous = await ask(runtime, said("pool #support", channel=CHAT))

    assert "don't know a channel" in text(unknown)
    assert "this chat itself" in text(itself)
    assert "More than one channel" in text(ambiguous)
    assert (await one(runtime, MeetingChat)).pool_team_id is None


async def test_the_end_asks_the_presenter_once_and_not_presented_gives_the_moment_back(runtime: Runtime) -> None:
    await ask(runtime, said(STORY, channel=CHAT, actor="bob"))
    await runtime.core.meeting(meeting())
    story = await one(runtime, Moment, Moment.kind == "story")
    assert story.times_featured == 1

    asked = await runtime.core.meeting(meeting(phase=MeetingPhase.ENDED))
    again = await runtime.core.meeting(meeting(phase=MeetingPhase.ENDED))

    (question,) = asked.replies
    assert question.audience is Audience.DIRECT and question.to_member == "bob", "the presenter is asked"
    assert not again.replies
    item = await one(runtime, AgendaItem)
    stranger = await ask(runtime, pressed("meeting.not_presented", str(item.id), actor="carol", channel=None))
    assert "Only the presenter" in text(stranger)
    answer = await ask(runtime, pressed("meeting.not_presented", str(item.id), actor="bob", channel=None))
    assert "back to the pool" in text(answer)
    item = await one(runtime, AgendaItem)
    story = await one(runtime, Moment, Moment.kind == "story")
    assert item.state is AgendaState.SKIPPED and story.times_featured == 0


async def test_an_end_without_a_start_blocks_a_late_start(runtime: Runtime) -> None:
    assert not (await runtime.core.meeting(meeting(phase=MeetingPhase.ENDED))).replies
    late = await runtime.core.meeting(meeting())
    assert not late.replies and not late.notify
    assert await rows(runtime, AgendaItem) == []


async def test_an_oversized_meeting_id_changes_nothing(runtime: Runtime) -> None:
    answer = await runtime.core.meeting(meeting(meeting_id="M" * 300))
    assert not answer.replies and await count(runtime, MeetingOccurrence) == 0


async def test_nul_characters_in_a_meeting_id_are_dropped_not_stored(runtime: Runtime) -> None:
    answer = await runtime.core.meeting(meeting(meeting_id="M\x001"))
    assert answer.notify
    assert (await one(runtime, MeetingOccurrence)).meeting_id == "M1"


def known_ahead(start: datetime) -> MeetingEvent:
    return replace(
        meeting(phase=MeetingPhase.AHEAD, occurrence=start.strftime("%Y-%m-%dT%H:%MZ")), scheduled_start=start
    )


async def test_a_meeting_known_ahead_is_prepared_once_for_the_lead_time_before(runtime: Runtime) -> None:
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    await runtime.core.meeting(known_ahead(start))
    await runtime.core.meeting(known_ahead(start))

    item = await one(runtime, AgendaItem)
    assert item.state is AgendaState.SCHEDULED and item.moment_id is not None
    assert item.post_at == start - timedelta(minutes=30) and item.starts_at == start


async def test_a_prepared_meeting_not_yet_posted_is_posted_at_start(runtime: Runtime, clock: FakeClock) -> None:
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    await runtime.core.meeting(known_ahead(start))
    clock.now = start

    answer = await runtime.core.meeting(replace(known_ahead(start), phase=MeetingPhase.STARTED))

    (card,) = answer.replies
    assert answer.notify and card.to_team == CHAT
    assert (await one(runtime, AgendaItem)).state is AgendaState.POSTED
    assert await count(runtime, AgendaItem) == 1


async def test_a_meeting_in_the_past_or_of_a_linked_chat_is_not_prepared_ahead(runtime: Runtime) -> None:
    await runtime.core.meeting(known_ahead(datetime(2026, 11, 20, 9, 0, tzinfo=UTC)))
    await ask(runtime, said("help", channel="support"))
    await ask(runtime, said("pool #support", channel=CHAT))
    await runtime.core.meeting(known_ahead(datetime(2026, 11, 24, 9, 0, tzinfo=UTC)))
    assert await count(runtime, AgendaItem) == 0


async def test_a_start_whose_details_could_not_be_read_still_finds_the_card_prepared_ahead(
    runtime: Runtime, clock: FakeClock
) -> None:
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    await runtime.core.meeting(known_ahead(start))
    clock.now = start

    answer = await runtime.core.meeting(meeting(occurrence="2026-11-24"))  # the day, not the scheduled start

    assert answer.notify and len(answer.replies) == 1
    assert await count(runtime, AgendaItem) == 1
