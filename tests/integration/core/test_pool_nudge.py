"""When a meeting's pool has nothing new, the channel is invited to share a story: once, ahead of the card,
at most once a week per team, naming nobody."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.runtime import Runtime
from bot.replies import Audience
from bot.scheduler.dispatcher import Dispatcher
from bot.storage.models import Member, Team
from tests.integration.core import ask, one, rows
from tests.support.clock import FakeClock
from tests.support.events import said
from tests.support.fake_surface import RecordingSurface

# The FakeClock starts on Monday 23 November 2026, 09:00 UTC. A daily meeting at 08:30 UTC has its card
# posted (and its moment picked) at 08:00, from Tuesday 24 on.
DAILY = "schedule daily 08:30"
FIRST_POST = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
STORY = "story {what} | rang the depot | relieved | own the problem"
INVITATION = "Share it with `story`"


async def no_sleep(_seconds: float) -> None:
    return None


class Meetings:
    """The real scheduler over a recording surface, run at the times a test moves the clock to."""

    def __init__(self, runtime: Runtime, clock: FakeClock) -> None:
        self.surface = RecordingSurface()
        self.clock = clock
        self.dispatcher = Dispatcher(
            sessions=runtime.sessions, surfaces={"console": self.surface}, clock=clock, worker="w1", sleep=no_sleep
        )

    async def on_day(self, day: int) -> list[str]:
        """Run the scheduler when the card of the ``day``-th meeting (0: the first) is due; what the
        channel got then, in order: ``card`` for an agenda card, else the post's text."""
        before = len(self.surface.posts)
        self.clock.now = FIRST_POST + timedelta(days=day)
        await self.dispatcher.run_once()
        return [
            "card" if post.reply.card is not None else post.reply.text
            for post in self.surface.posts[before:]
            if post.reply.audience is Audience.CHANNEL
        ]


def invited(posts: list[str]) -> bool:
    return any(INVITATION in post for post in posts)


async def test_an_empty_pool_gets_one_invitation_just_before_the_card(runtime: Runtime, clock: FakeClock) -> None:
    await ask(runtime, said(DAILY))
    meetings = Meetings(runtime, clock)
    posts = await meetings.on_day(0)
    assert len(posts) == 2 and posts[1] == "card", posts
    assert posts[0].startswith("The pool has nothing new for the meeting on Tue 24 Nov 08:30 UTC")
    assert INVITATION in posts[0]
    assert (await one(runtime, Team)).nudged_at == FIRST_POST


async def test_a_pool_with_something_new_gets_no_invitation(runtime: Runtime, clock: FakeClock) -> None:
    await ask(runtime, said(DAILY))
    await ask(runtime, said(STORY.format(what="The parcel was lost twice"), actor="bob"))
    assert await Meetings(runtime, clock).on_day(0) == ["card"]
    assert (await one(runtime, Team)).nudged_at is None


async def test_a_repeat_gets_the_invitation_once_the_new_story_was_featured(runtime: Runtime, clock: FakeClock) -> None:
    await ask(runtime, said(DAILY))
    await ask(runtime, said(STORY.format(what="The parcel was lost twice"), actor="bob"))
    meetings = Meetings(runtime, clock)
    assert not invited(await meetings.on_day(0))
    assert invited(await meetings.on_day(1))  # the only story was featured: a repeat or the library now


async def test_at_most_one_invitation_a_week_per_team(runtime: Runtime, clock: FakeClock) -> None:
    await ask(runtime, said(DAILY))
    await ask(runtime, said(DAILY, channel="sales"))  # another team: its own week
    meetings = Meetings(runtime, clock)
    days = [day for day in range(15) if invited(await meetings.on_day(day))]
    assert days == [0, 7, 14]
    sent = [p for p in meetings.surface.posts if INVITATION in p.reply.text]
    assert sorted({p.channel_id for p in sent}) == ["sales", "support"]
    assert len(sent) == 6


async def test_two_meetings_of_a_team_prepared_together_bring_one_invitation(
    runtime: Runtime, clock: FakeClock
) -> None:
    await ask(runtime, said(DAILY))
    await ask(runtime, said("schedule daily 08:45 lead 45m"))  # its card is due at 08:00 too
    posts = await Meetings(runtime, clock).on_day(0)
    assert posts.count("card") == 2
    assert sum(INVITATION in post for post in posts) == 1


async def test_waiting_items_about_people_who_opted_out_are_nothing_new_and_nobody_is_named(
    runtime: Runtime, clock: FakeClock
) -> None:
    await ask(runtime, said(DAILY))
    await ask(runtime, said(STORY.format(what="The parcel was lost twice"), actor="bob"))
    await ask(runtime, said("shoutout @carol stayed on the call until the refund went through", actor="bob"))
    await ask(runtime, said("optout", actor="bob"))
    posts = await Meetings(runtime, clock).on_day(0)
    (invitation,) = [post for post in posts if INVITATION in post]
    for member in await rows(runtime, Member):
        assert member.name not in invitation and member.external_id not in invitation
