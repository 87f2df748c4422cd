"""Recognition shout-outs: who may be recognised, the reason, public posts and private ones."""

from __future__ import annotations

from adapters.runtime import Runtime
from bot.events import Incoming, Person
from bot.replies import Audience
from bot.storage.models import AgendaItem, Member, Moment, Recipient
from tests.integration.core import ask, count, dms, one, only, rows, table_counts, text
from tests.support.events import place, said, submitted

REASON = "stayed on the call until the refund went through"


async def team(runtime: Runtime, *names: str) -> None:
    """Make people known in the channel, the first one becoming the workspace admin."""
    for name in names:
        await ask(runtime, said("help", actor=name))


async def test_shoutout_is_posted_in_the_channel_and_sent_to_the_recipient(runtime: Runtime) -> None:
    await team(runtime, "alice", "bob")
    replies = await ask(runtime, said(f"shoutout @bob {REASON}"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    assert replies[0].text == f"Thanks! Your shout-out #{shoutout.id} is shared."
    assert dms(replies) == {"bob": f"alice gave you a shout-out.\n🎉 Shout-out\nalice recognises bob\n{REASON}"}
    (post,) = only(replies, Audience.CHANNEL)
    assert post.to_team == "support"
    assert post.card is not None and post.card.sections[0].text == REASON
    bob = await one(runtime, Member, Member.external_id == "bob")
    assert [r.member_id for r in await rows(runtime, Recipient)] == [bob.id]
    assert (shoutout.state, shoutout.private) == ("approved", False)


async def test_shoutout_to_several_people_names_them_all(runtime: Runtime) -> None:
    await team(runtime, "alice", "bob", "carol")
    replies = await ask(runtime, said(f"kudos @bob @carol @bob {REASON}"))
    assert set(dms(replies)) == {"bob", "carol"}
    (post,) = only(replies, Audience.CHANNEL)
    assert post.card is not None and post.card.sections[0].heading == "alice recognises bob and carol"
    assert await count(runtime, Recipient) == 2


async def test_mention_resolved_by_the_surface_makes_the_person_known(runtime: Runtime) -> None:
    incoming = Incoming(
        place=place(),
        actor=Person("U1", "Alice"),
        text=f"shoutout @U2 {REASON}",
        people={"@U2": Person("U2", "Dana")},
    )
    replies = await ask(runtime, incoming)
    assert set(dms(replies)) == {"U2"}
    dana = await one(runtime, Member, Member.external_id == "U2")
    assert (dana.name, dana.role) == ("Dana", "member")


async def test_private_shoutout_is_only_sent_to_the_recipient_and_never_featured(runtime: Runtime) -> None:
    await team(runtime, "alice", "bob")
    replies = await ask(runtime, said(f"shoutout private @bob {REASON}"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    assert replies[0].text == f"Thanks! Your shout-out #{shoutout.id} is sent."
    assert only(replies, Audience.CHANNEL) == []
    assert dms(replies)["bob"].startswith("alice gave you a shout-out (privately).")
    assert shoutout.private is True
    for _ in range(3):
        await ask(runtime, said("request"))
    featured = {item.moment_id for item in await rows(runtime, AgendaItem)}
    assert shoutout.id not in featured
    assert "shout-outs: 0" in text(await ask(runtime, said("queue")))


async def test_shoutout_form_is_offered_and_saved(runtime: Runtime) -> None:
    await team(runtime, "alice", "bob")
    (reply,) = await ask(runtime, said("shoutout"))
    assert reply.form is not None and reply.form.form_id == "shoutout"
    replies = await ask(runtime, submitted("shoutout", {"recipients": ["bob"], "reason": REASON, "private": "yes"}))
    assert set(dms(replies)) == {"bob"}
    assert only(replies, Audience.CHANNEL) == []
    assert (await one(runtime, Moment, Moment.kind == "shoutout")).private is True


async def test_nobody_can_give_themselves_a_shoutout(runtime: Runtime) -> None:
    await team(runtime, "alice", "bob")
    before = await table_counts(runtime)
    replies = await ask(runtime, said(f"shoutout @alice {REASON}"))
    assert text(replies) == "A shout-out is for someone else — tell a colleague what you saw them do."
    (reply,) = await ask(runtime, submitted("shoutout", {"recipients": ["alice"], "reason": REASON}))
    assert "recipients" in reply.errors
    assert await table_counts(runtime) == before


async def test_a_giver_who_names_themselves_among_others_is_left_out_and_told(runtime: Runtime) -> None:
    await team(runtime, "alice", "bob", "carol")
    replies = await ask(runtime, said(f"shoutout @bob @alice @carol {REASON}"))
    assert "I left you out of it" in replies[0].text
    shout = await one(runtime, Moment, Moment.kind == "shoutout")
    recipients = await rows(runtime, Recipient, Recipient.moment_id == shout.id)
    names = {(await one(runtime, Member, Member.id == r.member_id)).name for r in recipients}
    assert names == {"bob", "carol"}


async def test_shoutout_reason_must_say_what_they_did(runtime: Runtime) -> None:
    await team(runtime, "alice", "bob")
    before = await table_counts(runtime)
    replies = await ask(runtime, said("shoutout @bob great job!"))
    assert "at least 20 characters" in text(replies)
    (reply,) = await ask(runtime, submitted("shoutout", {"recipients": ["bob"], "reason": ""}))
    assert set(reply.errors) == {"reason"}
    assert await table_counts(runtime) == before


async def test_shoutout_to_someone_unknown_or_without_anyone_is_refused(runtime: Runtime) -> None:
    await team(runtime, "alice")
    before = await table_counts(runtime)
    assert text(await ask(runtime, said(f"shoutout @zed {REASON}"))) == "I don't know anyone called @zed here."
    assert "Who is it for?" in text(await ask(runtime, said(f"shoutout {REASON}")))
    (reply,) = await ask(runtime, submitted("shoutout", {"recipients": [], "reason": REASON}))
    assert reply.errors == {"recipients": "Who is it for? Pick at least one colleague."}
    assert await table_counts(runtime) == before


async def test_shoutout_reason_is_masked(runtime: Runtime) -> None:
    await team(runtime, "alice", "bob")
    replies = await ask(runtime, said("shoutout @bob called the customer back on +49 30 1234567 within the hour"))
    assert "I masked a phone number before saving." in replies[0].text
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    assert shoutout.situation == "called the customer back on [phone] within the hour"
    assert "1234567" not in text(replies)


async def test_mine_lists_what_you_shared_and_the_shoutouts_for_you(runtime: Runtime) -> None:
    await team(runtime, "alice", "bob", "carol")
    await ask(runtime, said("story The parcel was lost twice | rang the depot | relieved | own it", actor="bob"))
    await ask(runtime, said(f"shoutout @bob {REASON}", actor="alice"))
    await ask(runtime, said("shoutout private @bob answered every ticket over the weekend", actor="carol"))
    await ask(runtime, said(f"shoutout @carol {REASON}", actor="bob"))
    story, first, second, third = await rows(runtime, Moment, Moment.team_id.is_not(None), order_by=Moment.id)
    (reply,) = await ask(runtime, said("mine", actor="bob"))
    assert reply.card is not None
    assert reply.card.title == "Your moments"
    shared, received = reply.card.sections
    assert (shared.heading, shared.text.splitlines()) == (
        "What you shared",
        [
            f"#{third.id} · Shout-out · approved · {REASON} · not featured yet",
            f"#{story.id} · Customer story · approved · The parcel was lost twice · not featured yet",
        ],
    )
    assert (received.heading, received.text.splitlines()) == (
        "Shout-outs for you",
        [
            f"#{second.id} · Shout-out · approved · answered every ticket over the weekend · private",
            f"#{first.id} · Shout-out · approved · {REASON} · not featured yet",
        ],
    )
    await ask(runtime, said("optout", actor="alice"))
    (reply,) = await ask(runtime, said("mine", actor="alice"))
    assert reply.card is not None
    assert [s.text for s in reply.card.sections] == [
        f"#{first.id} · Shout-out · approved · {REASON} · can't be featured while you are opted out",
        "You have opted out of being featured in meetings (`optin` to undo).",
    ]


async def test_a_shoutout_you_hid_says_so_in_mine_and_is_not_promised_a_meeting(runtime: Runtime) -> None:
    await team(runtime, "alice", "bob", "carol")
    await ask(runtime, said(f"shoutout @bob @carol {REASON}"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    await ask(runtime, said(f"hide {shoutout.id}", actor="carol"))  # bob still has it

    for who, line in (
        ("carol", f"#{shoutout.id} · Shout-out · approved · {REASON} · hidden by you"),
        ("bob", f"#{shoutout.id} · Shout-out · approved · {REASON} · not featured yet"),
    ):
        (reply,) = await ask(runtime, said("mine", actor=who))
        assert reply.card is not None
        assert reply.card.sections[-1].text.splitlines() == [line]


async def test_a_private_shoutout_made_public_says_where_it_was_shared(runtime: Runtime) -> None:
    await team(runtime, "alice", "bob")
    await ask(runtime, said(f"shoutout private @bob {REASON}"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    replies = await ask(runtime, submitted("shoutout", {"reason": REASON, "private": False}, context=str(shoutout.id)))
    assert text(replies[:1]).endswith("It is no longer private: I shared it in #support.")
    assert len(only(replies, Audience.CHANNEL)) == 1
