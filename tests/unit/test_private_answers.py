"""Who may see an answer is decided by the core, from what the answer holds.

A person's own items as stored (``mine``, an item's edit form, its saved changes), stats, exports and review
queues are for the asker alone (``Visibility.ACTOR``/``MANAGERS``), so that surfaces without private answers
(Teams) never show them to a whole channel. Agenda cards, public shout-outs and confirmations naming nothing
private stay for everyone. The sweep runs every command in the table and checks the rule on content: no
answer for everyone present holds a private shout-out's text, a pending or sent-back item's text, or what
only managers see.
"""

from __future__ import annotations

import pytest

from adapters.runtime import Runtime
from bot import cards
from bot.commands import BY_NAME, parse
from bot.events import Incoming
from bot.replies import Audience, Card, Reply, Visibility, for_asker, say
from bot.storage.models import Moment
from tests.integration.core import ask, one, text
from tests.support.events import pressed, said, submitted

PRIVATE_REASON = "sorted out the Okonkwo Bakery order after the mix-up with the invoice"
PENDING = "story A regular customer's pram arrived broken | swapped it at the door | delighted | lesson: bring spares"
SENT_BACK = "story The Harbour Street café was double charged | refunded | calm | lesson: check the till roll"
PRIVATE_WORDS = ("Okonkwo", "pram arrived broken", "Harbour Street", "double charged", "only managers see")


def for_everyone(reply: Reply) -> bool:
    return reply.audience is not Audience.DIRECT and reply.visible_to is Visibility.CHANNEL


def private_words_in(reply: Reply) -> list[str]:
    shown = text([reply]) + "\n" + "\n".join(str(value) for value in _form_values(reply))
    return [word for word in PRIVATE_WORDS if word in shown]


def _form_values(reply: Reply) -> list[object]:
    form = reply.form or reply.retry_form
    return [field.initial for field in form.fields] if form is not None else []


async def seeded(runtime: Runtime) -> dict[str, int]:
    """Alice (admin), Bob and Carol in #support; Bob's private shout-out for Carol, his story waiting for
    review and one sent back. Returns the items' numbers."""
    for name in ("alice", "bob", "carol"):
        await ask(runtime, said("help", actor=name))
    await ask(runtime, said(f"shoutout private @carol {PRIVATE_REASON}", actor="bob"))
    private = await one(runtime, Moment, Moment.kind == "shoutout")
    await ask(runtime, said("review on"))
    await ask(runtime, said(SENT_BACK, actor="bob"))
    sent_back = await one(runtime, Moment, Moment.situation.like("%Harbour%"))
    await ask(runtime, said(f"reject {sent_back.id} leave out the street", actor="alice"))
    await ask(runtime, said(PENDING, actor="bob"))
    pending = await one(runtime, Moment, Moment.situation.like("%pram%"))
    return {"private": private.id, "pending": pending.id, "sent_back": sent_back.id}


# Every command, with arguments that reach its answer; those that change what others rely on come last.
SWEEP = (
    "help",
    "help mine",
    "story",
    "shoutout",
    "exercise",
    "schedule",
    "meetings",
    "request",
    "queue",
    "next",
    "helpful",
    "review",
    "stats",
    "stats 30",
    "export",
    "export json",
    "mine",
    "my",
    "edit {private}",
    "edit {pending}",
    "edit {sent_back}",
    "timezone",
    "managers",
    "pool",
    "canvas",
    "remind 1 1h",
    "skipdate 1 2030-01-01",
    "pause 1",
    "resume 1",
    "unschedule 1",
    "optout",
    "optin",
    "swap",
    "skip",
    "undo",
    "done",
    "hide {private}",
    "approve {pending}",
    "reject {sent_back} again",
    "withdraw {sent_back}",
)


def test_the_sweep_covers_every_command_in_the_table() -> None:
    assert {parse(line.split(" ")[0]).name for line in SWEEP} == set(BY_NAME)


async def test_no_answer_for_everyone_holds_private_pending_or_managers_only_content(runtime: Runtime) -> None:
    ids = await seeded(runtime)
    events: list[Incoming] = []
    for line in SWEEP:
        events += [said(line.format(**ids), actor=actor) for actor in ("bob", "alice", "carol")]
    events += [pressed(cards.EDIT_ACTION, str(number), actor="bob") for number in ids.values()]
    leaks = []
    for incoming in events:
        for reply in await ask(runtime, incoming):
            if for_everyone(reply) and private_words_in(reply):
                leaks.append((incoming.actor.external_id, incoming.text or incoming.action, private_words_in(reply)))
    assert leaks == []


async def test_mine_is_for_the_asker_alone_with_or_without_items(runtime: Runtime) -> None:
    (empty,) = await ask(runtime, said("mine", actor="dana"))
    assert empty.visible_to is Visibility.ACTOR
    ids = await seeded(runtime)
    (mine,) = await ask(runtime, said("my", actor="bob"))
    assert mine.visible_to is Visibility.ACTOR and f"#{ids['private']}" in text([mine])
    (received,) = await ask(runtime, said("mine", actor="carol"))
    assert received.visible_to is Visibility.ACTOR and "Okonkwo" in text([received])


@pytest.mark.parametrize("actor", ["alice", "bob"], ids=["manager", "member"])
async def test_stats_are_for_the_asker_alone(runtime: Runtime, actor: str) -> None:
    await seeded(runtime)
    (stats,) = await ask(runtime, said("stats 30", actor=actor))
    assert stats.card is not None and stats.visible_to is Visibility.ACTOR
    assert ("only managers see" in text([stats])) is (actor == "alice")


async def test_an_export_is_for_the_asker_alone(runtime: Runtime) -> None:
    await seeded(runtime)
    for fmt in ("csv", "json"):
        (export,) = await ask(runtime, said(f"export {fmt}"))
        assert export.attachment is not None and export.visible_to is Visibility.ACTOR


async def test_an_items_edit_form_and_its_saved_changes_are_for_its_author_alone(runtime: Runtime) -> None:
    ids = await seeded(runtime)
    for incoming in (
        said(f"edit {ids['pending']}", actor="bob"),
        said(f"change {ids['sent_back']}", actor="bob"),
        pressed(cards.EDIT_ACTION, str(ids["private"]), actor="bob"),
    ):
        (form,) = await ask(runtime, incoming)
        assert form.form is not None and form.visible_to is Visibility.ACTOR
    values = {"situation": "A regular customer's pram arrived broken in the rain", "lesson": "bring spares"}
    saved = await ask(runtime, submitted("story", values, actor="bob", context=str(ids["pending"])))
    assert saved[0].card is not None and "rain" in text(saved[:1])
    assert all(reply.visible_to is Visibility.ACTOR for reply in saved if reply.audience is Audience.EPHEMERAL)
    reason = {"reason": f"{PRIVATE_REASON}, twice", "private": True}
    changed, *told = await ask(runtime, submitted("shoutout", reason, actor="bob", context=str(ids["private"])))
    assert changed.visible_to is Visibility.ACTOR
    assert all(reply.audience is Audience.DIRECT for reply in told), "back in review: its managers are told"


async def test_withdrawing_or_hiding_an_item_is_answered_to_the_asker_alone(runtime: Runtime) -> None:
    ids = await seeded(runtime)
    (hidden,) = await ask(runtime, said(f"hide {ids['private']}", actor="carol"))
    assert f"#{ids['private']}" in hidden.text and hidden.visible_to is Visibility.ACTOR
    (withdrawn,) = await ask(runtime, said(f"withdraw {ids['pending']}", actor="bob"))
    assert f"#{ids['pending']}" in withdrawn.text and withdrawn.visible_to is Visibility.ACTOR


async def test_public_answers_stay_for_everyone(runtime: Runtime) -> None:
    for name in ("alice", "bob"):
        await ask(runtime, said("help", actor=name))
    given = await ask(runtime, said("shoutout @bob answered the phone on the first ring all week"))
    assert [(r.audience, r.visible_to) for r in given] == [
        (Audience.EPHEMERAL, Visibility.CHANNEL),
        (Audience.DIRECT, Visibility.CHANNEL),
        (Audience.CHANNEL, Visibility.CHANNEL),
    ]
    for line in ("help", "queue", "meetings", "request"):
        assert all(reply.visible_to is Visibility.CHANNEL for reply in await ask(runtime, said(line)))


def test_marking_answers_for_the_asker_leaves_posts_direct_messages_and_managers_marks_alone() -> None:
    answer = say("Your moments")
    post = Reply(card=Card("🎉 Shout-out"), audience=Audience.CHANNEL, to_team="support")
    direct = Reply(text="You got a shout-out.", audience=Audience.DIRECT, to_member="carol")
    queue = Reply(text="1 item(s) waiting for review:", visible_to=Visibility.MANAGERS)
    marked = for_asker([answer, post, direct, queue])
    assert [r.visible_to for r in marked] == [
        Visibility.ACTOR,
        Visibility.CHANNEL,
        Visibility.CHANNEL,
        Visibility.MANAGERS,
    ]
    assert marked[1:] == [post, direct, queue] and marked[0].text == answer.text
