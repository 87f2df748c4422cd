"""`mine` tells the truth about every item in every state: waiting for review, sent back (and why), withdrawn,
hidden, held back by an opt-out, on an agenda, featured — and promises "not featured yet" only of what the
rotation may still pick, as the queue counts it."""

from __future__ import annotations

from adapters.runtime import Runtime
from bot.storage.models import Moment
from tests.integration.core import ask, card_text, one, text
from tests.support.events import said

STORY = "story The router kept dropping | rebooted it with them | relieved | test before closing"
REASON = "stayed on the call until the refund went through"


async def team(runtime: Runtime, *names: str) -> None:
    for name in names:
        await ask(runtime, said("help", actor=name))


async def line_of(runtime: Runtime, actor: str, moment_id: int) -> str:
    (reply,) = await ask(runtime, said("mine", actor=actor))
    assert reply.card is not None
    (found,) = [line for line in card_text(reply.card).splitlines() if line.startswith(f"#{moment_id} ")]
    return found


async def never_featured_in_queue(runtime: Runtime) -> str:
    queue = text(await ask(runtime, said("queue")))
    return queue.split("Never featured yet — ")[1].split(".")[0]


async def test_items_waiting_for_review_say_what_approval_does_not_that_they_wait_for_a_meeting(
    runtime: Runtime,
) -> None:
    await team(runtime, "alice", "bob", "carol")
    await ask(runtime, said("review on"))
    await ask(runtime, said(STORY, actor="bob"))
    await ask(runtime, said(f"shoutout @carol {REASON}", actor="bob"))
    await ask(runtime, said("shoutout private @carol answered every ticket over the weekend", actor="bob"))
    story = await one(runtime, Moment, Moment.kind == "story")
    public = await one(runtime, Moment, Moment.kind == "shoutout", Moment.private.is_(False))
    private = await one(runtime, Moment, Moment.private.is_(True))
    assert await line_of(runtime, "bob", story.id) == (
        f"#{story.id} · Customer story · waiting for review · The router kept dropping"
        " · in the pool once a manager approves it"
    )
    assert await line_of(runtime, "bob", public.id) == (
        f"#{public.id} · Shout-out · waiting for review · {REASON} · shared once a manager approves it"
    )
    assert await line_of(runtime, "bob", private.id) == (
        f"#{private.id} · Shout-out · waiting for review · answered every ticket over the weekend · private"
        " · sent once a manager approves it"
    )
    (reply,) = await ask(runtime, said("mine", actor="carol"))  # not approved: not hers to see yet
    assert reply.card is not None and REASON not in card_text(reply.card)
    await ask(runtime, said(f"approve {story.id}"))
    assert (await line_of(runtime, "bob", story.id)).endswith(
        " · approved · The router kept dropping · not featured yet"
    )


async def test_a_sent_back_item_gives_its_reason_and_how_to_send_it_again(runtime: Runtime) -> None:
    await team(runtime, "alice", "bob")
    await ask(runtime, said("review on"))
    await ask(runtime, said(STORY, actor="bob"))
    story = await one(runtime, Moment, Moment.kind == "story")
    await ask(runtime, said(f"reject {story.id} Please leave out the customer's router model"))
    assert await line_of(runtime, "bob", story.id) == (
        f"#{story.id} · Customer story · sent back · The router kept dropping"
        " · reason: Please leave out the customer's router model"
        f" · `edit {story.id}` to change it and send it for review again"
    )
    await ask(runtime, said(f"withdraw {story.id}", actor="bob"))
    assert await line_of(runtime, "bob", story.id) == (
        f"#{story.id} · Customer story · withdrawn · The router kept dropping"
    )


async def test_an_opt_out_holds_items_back_and_mine_says_so_as_the_queue_counts_them(runtime: Runtime) -> None:
    await team(runtime, "alice", "bob", "carol")
    await ask(runtime, said(STORY, actor="bob"))
    await ask(runtime, said(f"shoutout @carol {REASON}", actor="bob"))
    story = await one(runtime, Moment, Moment.kind == "story")
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    await ask(runtime, said("optout", actor="carol"))
    assert await never_featured_in_queue(runtime) == "stories: 1, shout-outs: 0, exercises: 0"
    # carol's choice is her own: bob hears only that it can't be featured, not who chose what
    assert await line_of(runtime, "bob", shoutout.id) == (
        f"#{shoutout.id} · Shout-out · approved · {REASON} · can't be featured for now"
    )
    assert await line_of(runtime, "carol", shoutout.id) == (
        f"#{shoutout.id} · Shout-out · approved · {REASON} · can't be featured while you are opted out"
    )
    await ask(runtime, said("optout", actor="bob"))
    assert await never_featured_in_queue(runtime) == "stories: 0, shout-outs: 0, exercises: 0"
    assert (await line_of(runtime, "bob", story.id)).endswith(" · can't be featured while you are opted out")
    await ask(runtime, said("optin", actor="bob"))
    await ask(runtime, said("optin", actor="carol"))
    assert (await line_of(runtime, "bob", shoutout.id)).endswith(f"{REASON} · not featured yet")


async def test_a_shoutout_for_several_people_is_held_back_by_any_of_them_who_did_not_hide_it(runtime: Runtime) -> None:
    await team(runtime, "alice", "bob", "carol", "dave")
    await ask(runtime, said(f"shoutout @bob @carol {REASON}"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    await ask(runtime, said("optout", actor="carol"))
    assert (await line_of(runtime, "bob", shoutout.id)).endswith(" · can't be featured for now")
    assert (await line_of(runtime, "alice", shoutout.id)).endswith(" · can't be featured for now")
    await ask(runtime, said(f"hide {shoutout.id}", actor="carol"))  # she left it: bob keeps his recognition
    assert (await line_of(runtime, "bob", shoutout.id)).endswith(f"{REASON} · not featured yet")
    assert (await line_of(runtime, "carol", shoutout.id)).endswith(f"{REASON} · hidden by you")
    assert await never_featured_in_queue(runtime) == "stories: 0, shout-outs: 1, exercises: 0"


async def test_a_shoutout_everyone_hid_reads_so_for_them_and_for_its_giver(runtime: Runtime) -> None:
    await team(runtime, "alice", "bob")
    await ask(runtime, said(f"shoutout @bob {REASON}"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    await ask(runtime, said(f"hide {shoutout.id}", actor="bob"))
    assert await line_of(runtime, "bob", shoutout.id) == (
        f"#{shoutout.id} · Shout-out · no longer shown · {REASON} · hidden by you"
    )
    assert await line_of(runtime, "alice", shoutout.id) == f"#{shoutout.id} · Shout-out · no longer shown · {REASON}"


async def test_a_withdrawn_item_keeps_the_meeting_it_was_featured_at_and_promises_nothing_more(
    runtime: Runtime,
) -> None:
    await team(runtime, "alice", "bob")
    await ask(runtime, said(STORY, actor="bob"))
    story = await one(runtime, Moment, Moment.kind == "story")
    await ask(runtime, said("request in 30m"))  # Mon 23 Nov 09:30 UTC
    assert (await line_of(runtime, "bob", story.id)).endswith(" · on the agenda for Mon 23 Nov 09:30 UTC")
    await ask(runtime, said("done"))
    await ask(runtime, said(f"withdraw {story.id}", actor="bob"))
    assert await line_of(runtime, "bob", story.id) == (
        f"#{story.id} · Customer story · withdrawn · The router kept dropping · featured on Mon 23 Nov 09:30 UTC"
    )


async def test_the_pool_counts_an_anonymous_story_the_same_whether_or_not_its_author_opted_out(
    runtime: Runtime,
) -> None:
    await team(runtime, "alice", "bob", "carol")
    await ask(runtime, said("story anon A refund took a month | explain the wait", actor="bob"))
    await ask(runtime, said(STORY, actor="carol"))
    assert await never_featured_in_queue(runtime) == "stories: 2, shout-outs: 0, exercises: 0"
    await ask(runtime, said("optout", actor="bob"))  # whoever knows of it learns nothing from the counts
    assert await never_featured_in_queue(runtime) == "stories: 2, shout-outs: 0, exercises: 0"
    anonymous = await one(runtime, Moment, Moment.anonymous.is_(True))
    assert (await line_of(runtime, "bob", anonymous.id)).endswith(" · can't be featured while you are opted out")
    await ask(runtime, said("optout", actor="carol"))  # a named author's opt-out the channel may see
    assert await never_featured_in_queue(runtime) == "stories: 1, shout-outs: 0, exercises: 0"


async def test_with_only_an_anonymous_story_held_back_the_queue_counts_it_and_the_pick_says_nothing_new_can_be_featured(
    runtime: Runtime,
) -> None:
    await team(runtime, "alice", "bob")
    await ask(runtime, said("story anon A refund took a month | explain the wait", actor="bob"))
    await ask(runtime, said("optout", actor="bob"))
    queue = text(await ask(runtime, said("queue")))
    assert "Never featured yet — stories: 1, shout-outs: 0, exercises: 0." in queue
    assert "The team's pool has nothing new that can be featured now, so here is an exercise from the library." in queue
