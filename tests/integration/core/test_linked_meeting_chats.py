"""A meeting chat drawing from a channel's pool: the agenda commands act on its meeting's moment and the linked
pool; linking is only for meeting chats, and its answers say what is true."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.runtime import Runtime
from bot.domain.lifecycle import AgendaState
from bot.events import MeetingEvent, MeetingPhase, Person
from bot.storage.models import AgendaItem, MeetingChat, MeetingSeries, Moment, Team
from tests.integration.core import ask, count, dms, one, rows, text
from tests.support.clock import FakeClock
from tests.support.events import place, said

CHAT = "meeting-chat"
STORY = "story The parcel was lost twice | rang the depot | relieved | own the problem"
OWN_STORY = "story The invoice showed the wrong name | fixed it at once | calm | check the basics"


def meeting(phase: MeetingPhase = MeetingPhase.STARTED, **where: str) -> MeetingEvent:
    return MeetingEvent(
        place=place(channel=CHAT, **where),
        meeting_id="M1",
        occurrence="2026-11-23T09:00Z",
        phase=phase,
        actor=Person("alice", "alice"),
        organizer=Person("alice", "alice"),
        attendees=(Person("alice", "alice"), Person("bob", "bob")),
    )


async def linked_chat(runtime: Runtime) -> None:
    """Support has a story; the meeting chat (known from its meeting) draws from Support's pool."""
    await ask(runtime, said(STORY, channel="support"))
    await runtime.core.meeting(meeting(MeetingPhase.AHEAD))
    assert "pool of #support" in text(await ask(runtime, said("pool #support", channel=CHAT)))


async def team_id(runtime: Runtime, external_id: str) -> int:
    return (await one(runtime, Team, Team.external_id == external_id)).id


async def test_bare_swap_and_skip_in_a_linked_chat_act_on_the_meetings_moment(runtime: Runtime) -> None:
    await linked_chat(runtime)
    await ask(runtime, said(OWN_STORY, channel=CHAT))  # the chat's own pool has a story too
    await runtime.core.meeting(meeting())
    item = await one(runtime, AgendaItem)
    first = item.moment_id

    swapped = await ask(runtime, said("swap", channel=CHAT))

    item = await one(runtime, AgendaItem)
    assert "no meeting ahead" not in text(swapped)
    assert item.moment_id != first and item.team_id == await team_id(runtime, "support")
    moment = await one(runtime, Moment, Moment.id == item.moment_id)
    assert moment.team_id != await team_id(runtime, CHAT), "swapped within Support's pool, not the chat's"

    await ask(runtime, said("skip", channel=CHAT))
    assert (await one(runtime, AgendaItem)).state is AgendaState.SKIPPED
    await ask(runtime, said("undo", channel=CHAT))
    assert (await one(runtime, AgendaItem)).state is AgendaState.POSTED


async def test_done_and_helpful_in_a_linked_chat_reach_the_meetings_moment(runtime: Runtime) -> None:
    await linked_chat(runtime)
    await runtime.core.meeting(meeting())

    await ask(runtime, said("done", channel=CHAT))
    helpful = await ask(runtime, said("helpful", channel=CHAT, actor="bob"))

    item = await one(runtime, AgendaItem)
    assert item.state is AgendaState.PRESENTED
    assert "no upcoming moment" not in text(helpful) and "1" in text(helpful)


async def test_request_in_a_linked_chat_draws_from_the_linked_pool_and_the_chat_steers_it(runtime: Runtime) -> None:
    await linked_chat(runtime)
    await ask(runtime, said(OWN_STORY, channel=CHAT))

    replies = await ask(runtime, said("request", channel=CHAT))

    item = await one(runtime, AgendaItem)
    (card,) = [reply for reply in replies if reply.card is not None and reply.message is not None]
    assert card.to_team == CHAT, "the card is in the chat, not in Support"
    assert item.team_id == await team_id(runtime, "support") and "The parcel was lost twice" in text(replies)
    (notice,) = dms(replies).values()
    assert notice.endswith("in #meeting-chat."), "the meeting is in the chat, not in #support"
    await ask(runtime, said("skip", channel=CHAT))
    assert (await one(runtime, AgendaItem)).state is AgendaState.SKIPPED


async def test_request_in_an_unlinked_meeting_chat_keeps_drawing_from_its_own_pool(runtime: Runtime) -> None:
    await ask(runtime, said(STORY, channel="support"))
    await runtime.core.meeting(meeting(MeetingPhase.AHEAD))
    await ask(runtime, said(OWN_STORY, channel=CHAT))

    replies = await ask(runtime, said("request", channel=CHAT))

    assert (await one(runtime, AgendaItem)).team_id == await team_id(runtime, CHAT)
    assert "The invoice showed the wrong name" in text(replies)


async def test_the_queue_of_a_linked_chat_shows_its_meeting_and_the_linked_pool(
    runtime: Runtime, clock: FakeClock
) -> None:
    await linked_chat(runtime)
    before = text(await ask(runtime, said("queue", channel=CHAT)))
    assert "The pool of #support" in before and "stories: 1" in before
    assert "The parcel was lost twice" in before, "the next in line comes from Support's pool"

    await ask(runtime, said("request in 30m", channel=CHAT))
    during = text(await ask(runtime, said("queue", channel=CHAT)))

    item = await one(runtime, AgendaItem)
    assert f"Agenda #{item.id}" in during and "The parcel was lost twice" in during
    assert "Customer Moment queue · #meeting-chat" in during


async def test_an_unlinked_channels_queue_is_unchanged(runtime: Runtime) -> None:
    await ask(runtime, said(STORY, channel="support"))

    shown = text(await ask(runtime, said("queue", channel="support")))

    assert "The pool\nNever featured yet" in shown and "The pool of" not in shown


async def test_pool_outside_a_meeting_chat_is_refused_and_changes_nothing(runtime: Runtime) -> None:
    await ask(runtime, said(STORY, channel="support"))
    for platform in ("slack", "console"):
        where = {"channel": "sales", "platform": platform}
        await ask(runtime, said("help", **where))
        status = text(await ask(runtime, said("pool", **where)))
        assert "draw from its own pool" in status and "only a Teams meeting's chat" in status
        for command in ("pool #support", "pool off"):
            refused = text(await ask(runtime, said(command, **where)))
            assert "Only a Teams meeting's chat can draw" in refused and "nothing changed" in refused, command
    assert await count(runtime, MeetingChat) == 0


async def test_a_chat_is_known_as_a_meetings_before_its_first_start_and_after_it(runtime: Runtime) -> None:
    await ask(runtime, said("help", channel="support"))
    await ask(runtime, said("help", channel=CHAT))
    assert "Only a Teams meeting's chat" in text(await ask(runtime, said("pool #support", channel=CHAT)))

    await runtime.core.meeting(meeting(MeetingPhase.AHEAD))  # no start known yet: nothing prepared
    assert await count(runtime, AgendaItem) == 0
    assert "pool of #support" in text(await ask(runtime, said("pool #support", channel=CHAT)))
    await runtime.core.meeting(meeting())
    assert "its own pool" in text(await ask(runtime, said("pool off", channel=CHAT)))


async def test_someone_not_seen_in_the_channel_is_told_how_to_be_seen(runtime: Runtime) -> None:
    await ask(runtime, said("help", channel="support"))  # alice, the first, is the admin
    await runtime.core.meeting(meeting(MeetingPhase.AHEAD))

    refused = text(await ask(runtime, said("pool #support", channel=CHAT, actor="bob")))
    assert "I haven't seen you in #support yet" in refused and "(`help` will do)" in refused
    assert (await one(runtime, MeetingChat)).pool_team_id is None

    await ask(runtime, said("help", channel="support", actor="bob"))  # what the refusal said to do
    assert "pool of #support" in text(await ask(runtime, said("pool #support", channel=CHAT, actor="bob")))


async def test_linking_a_chat_with_its_own_series_says_that_series_keeps_the_chats_pool(runtime: Runtime) -> None:
    await ask(runtime, said(STORY, channel="support"))
    await runtime.core.meeting(meeting(MeetingPhase.AHEAD))
    await ask(runtime, said("schedule weekly tue 09:00 UTC lead 30m", channel=CHAT))
    series = await one(runtime, MeetingSeries)

    linked = text(await ask(runtime, said("pool #support", channel=CHAT)))
    status = text(await ask(runtime, said("pool", channel=CHAT)))

    for answer in (linked, status):
        assert "pool of #support" in answer
        assert f"series #{series.id}, scheduled in this chat, still draw from the chat's own pool" in answer
        assert f"`unschedule {series.id}`" in answer
    await ask(runtime, said(f"unschedule {series.id}", channel=CHAT))
    assert "still draw" not in text(await ask(runtime, said("pool", channel=CHAT)))


async def test_a_series_meeting_of_a_linked_chat_is_prepared_from_the_chats_own_pool(
    runtime: Runtime, clock: FakeClock
) -> None:
    await linked_chat(runtime)
    await ask(runtime, said(OWN_STORY, channel=CHAT))
    await ask(runtime, said("schedule weekly tue 09:00 UTC lead 30m", channel=CHAT))

    clock.now = datetime(2026, 11, 24, 8, 45, tzinfo=UTC)
    replies = await ask(runtime, said("swap", channel=CHAT))  # prepares the series' meeting early

    (item,) = await rows(runtime, AgendaItem)
    assert item.team_id == await team_id(runtime, CHAT), "as the pool's answers say"
    assert "no meeting ahead" not in text(replies)


async def test_the_author_hears_their_story_is_for_the_meeting_in_the_chat_not_in_its_channel(
    runtime: Runtime,
) -> None:
    await linked_chat(runtime)

    answer = await runtime.core.meeting(meeting())

    (notice,) = dms(answer.replies).values()
    assert notice.endswith("in #meeting-chat."), notice
