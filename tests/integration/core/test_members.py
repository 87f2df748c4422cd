"""Roles and people's control over their own items: admins and managers, withdraw, hide, opt out."""

from __future__ import annotations

import pytest

from adapters.runtime import Runtime
from bot.events import Incoming, Person
from bot.storage.models import AgendaItem, MeetingSeries, Member, Moment, Recipient, Team
from tests.integration.core import ask, count, one, rows, table_counts, text
from tests.support.events import place, said

STORY = "story The parcel was lost twice | rang the depot | relieved | own the problem"
REASON = "stayed on the call until the refund went through"


async def people(runtime: Runtime, *names: str) -> None:
    for name in names:
        await ask(runtime, said("help", actor=name))


async def role(runtime: Runtime, name: str) -> str:
    return (await one(runtime, Member, Member.external_id == name)).role


async def featured(runtime: Runtime) -> set[int | None]:
    return {item.moment_id for item in await rows(runtime, AgendaItem)}


# --- roles ----------------------------------------------------------------------------------------


async def test_first_person_of_a_workspace_is_admin_and_the_rest_members(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob")
    assert (await role(runtime, "alice"), await role(runtime, "bob")) == ("admin", "member")
    assert text(await ask(runtime, said("managers", actor="bob"))) == "Admins and managers: alice (admin)"


async def test_platform_admins_are_admins_here(runtime: Runtime) -> None:
    await people(runtime, "alice")
    await ask(runtime, Incoming(place=place(), actor=Person("owner", "owner", platform_admin=True), text="help"))
    assert await role(runtime, "owner") == "admin"


async def test_admin_adds_and_removes_managers(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob", "carol")
    assert text(await ask(runtime, said("managers add @bob @carol"))) == "Now managers: bob, carol"
    assert (await role(runtime, "bob"), await role(runtime, "carol")) == ("manager", "manager")
    assert text(await ask(runtime, said("managers remove @carol"))) == "No longer managers: carol"
    assert await role(runtime, "carol") == "member"


async def test_role_changes_say_what_changed_and_nothing_when_nothing_did(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob", "carol")
    await ask(runtime, said("managers add @bob"))
    assert text(await ask(runtime, said("managers add @bob"))) == "Nothing changed: already managers: bob."
    assert text(await ask(runtime, said("managers add @bob @carol"))) == "Now managers: carol. (Already managers: bob.)"
    assert text(await ask(runtime, said("managers remove @carol"))) == "No longer managers: carol"
    assert text(await ask(runtime, said("managers remove @carol"))) == "Nothing changed: not managers: carol."
    assert (await role(runtime, "bob"), await role(runtime, "carol")) == ("manager", "member")


async def test_a_refusal_names_the_command_that_would_help(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob")
    answer = text(await ask(runtime, said("review on", actor="bob")))
    assert answer.endswith("`managers add @bob`.")
    assert "@you" not in answer


async def test_only_admins_change_managers_and_admins_keep_their_role(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob", "carol")
    await ask(runtime, said("managers add @bob"))
    reply = text(await ask(runtime, said("managers add @carol", actor="bob")))
    assert reply == "Only admins can change who the managers are."
    assert await role(runtime, "carol") == "member"
    reply = text(await ask(runtime, said("managers remove @carol @alice")))
    assert reply == "alice is an admin; admins keep their role."
    assert "Usage: managers" in text(await ask(runtime, said("managers promote @carol")))
    assert (await role(runtime, "alice"), await role(runtime, "carol")) == ("admin", "member")


MANAGERS_ONLY = {
    "approve 1": "Only managers can approve or reject submissions.",
    "reject 1 no": "Only managers can approve or reject submissions.",
    "review on": "Only managers can change review settings.",
    "review": "Only managers can review submissions.",
    "schedule weekly tue 10:00 Europe/Berlin": "Only managers can schedule meetings.",
    "schedule": "Only managers can schedule meetings.",
    "pause {series}": "Only managers can change meetings.",
    "unschedule {series}": "Only managers can change meetings.",
    "skipdate {series} 2026-12-24": "Only managers can change meetings.",
    "remind {series} 1h": "Only managers can change meetings.",
    "timezone Europe/Berlin": "Only managers can change the channel's time zone.",
    "export csv": "Only managers can export data.",
}


async def test_members_cannot_do_what_managers_do(runtime: Runtime, subtests: pytest.Subtests) -> None:
    await people(runtime, "alice", "bob")
    await ask(runtime, said("schedule weekly tue 10:00 Europe/Berlin"))
    series = await one(runtime, MeetingSeries)
    before = await table_counts(runtime)
    for command, refusal in MANAGERS_ONLY.items():
        with subtests.test(command):
            replies = await ask(runtime, said(command.format(series=series.id), actor="bob"))
            assert text(replies).startswith(refusal)
            assert "managers add" in text(replies)
    assert await table_counts(runtime) == before
    after = await one(runtime, MeetingSeries)
    assert (after.state, after.skip_dates, after.remind_minutes) == ("active", [], 0)
    assert (await one(runtime, Team)).zone == "Europe/Berlin"


# --- withdraw ---------------------------------------------------------------------------------------


async def test_author_withdraws_a_story_and_it_is_never_featured(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob")
    await ask(runtime, said(STORY, actor="bob"))
    story = await one(runtime, Moment, Moment.kind == "story")
    assert text(await ask(runtime, said(f"withdraw {story.id}", actor="alice"))) == (
        f"Only the author can withdraw #{story.id}. A manager takes it down with `reject {story.id} <reason>`."
    )
    assert text(await ask(runtime, said(f"withdraw #{story.id}", actor="bob"))) == (
        f"Withdrawn #{story.id}. It will not be featured."
    )
    assert text(await ask(runtime, said(f"withdraw {story.id}", actor="bob"))) == f"#{story.id} is already withdrawn."
    assert (await one(runtime, Moment, Moment.id == story.id)).state == "withdrawn"
    await ask(runtime, said("request"))
    assert story.id not in await featured(runtime)


async def test_library_exercises_and_unknown_numbers_cannot_be_withdrawn(runtime: Runtime) -> None:
    await people(runtime, "alice")
    library = (await rows(runtime, Moment, Moment.library_key.is_not(None)))[0]
    assert text(await ask(runtime, said(f"withdraw {library.id}"))) == f"There is no item #{library.id} here."
    assert text(await ask(runtime, said("withdraw 99999"))) == "There is no item #99999 here."


# --- hide -------------------------------------------------------------------------------------------


async def test_recipient_hides_a_shoutout_about_them(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob", "carol")
    await ask(runtime, said(f"shoutout @bob {REASON}"))
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    refusal = f"You can hide shout-outs about you; #{shoutout.id} is not one of them."
    assert text(await ask(runtime, said(f"hide {shoutout.id}", actor="alice"))) == refusal
    assert text(await ask(runtime, said(f"hide {shoutout.id}", actor="carol"))) == refusal
    assert (await one(runtime, Moment, Moment.id == shoutout.id)).state == "approved"
    assert text(await ask(runtime, said(f"hide {shoutout.id}", actor="bob"))) == (
        f"Hidden #{shoutout.id}. It will not be shown or featured."
    )
    assert (await one(runtime, Moment, Moment.id == shoutout.id)).state == "hidden"
    assert (await one(runtime, Recipient)).hidden is True
    await ask(runtime, said("request"))
    assert shoutout.id not in await featured(runtime)


async def test_a_story_cannot_be_hidden(runtime: Runtime) -> None:
    await ask(runtime, said(STORY))
    story = await one(runtime, Moment, Moment.kind == "story")
    assert "is not one of them" in text(await ask(runtime, said(f"hide {story.id}")))


# --- opt out ----------------------------------------------------------------------------------------


async def test_items_about_people_who_opted_out_are_never_featured(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob", "carol")
    await ask(runtime, said(STORY, actor="bob"))
    await ask(runtime, said(f"shoutout @bob {REASON}", actor="carol"))
    await ask(runtime, said(f"shoutout @carol {REASON}", actor="bob"))
    about_bob = {m.id for m in await rows(runtime, Moment, Moment.library_key.is_(None))}
    assert len(about_bob) == 3
    replies = await ask(runtime, said("optout", actor="bob"))
    assert text(replies).startswith("Done: stories and shout-outs about you will not be featured")
    assert (await one(runtime, Member, Member.external_id == "bob")).opted_out is True
    for meeting in range(4):  # four meetings, a quarter of an hour apart
        await ask(runtime, said(f"request in {15 * meeting}m" if meeting else "request"))
    assert await count(runtime, AgendaItem) == 4
    assert not (await featured(runtime)) & about_bob
    assert "opted out" in text(await ask(runtime, said("mine", actor="bob")))


async def test_opting_back_in_lets_items_be_featured_again(runtime: Runtime) -> None:
    await people(runtime, "alice", "bob")
    await ask(runtime, said(STORY, actor="bob"))
    story = await one(runtime, Moment, Moment.kind == "story")
    await ask(runtime, said("opt-out", actor="bob"))
    await ask(runtime, said("request"))
    assert story.id not in await featured(runtime)
    assert text(await ask(runtime, said("optin", actor="bob"))).startswith("Welcome back")
    await ask(runtime, said("request in 1h"))  # another meeting
    assert story.id in await featured(runtime)


# --- identities from the surfaces ------------------------------------------------------------------

TEAMS_USER_ID = "29:1GcS4EyB_oSI8A88XmWBN7NJFyMqe3QGnJdgLfFGkJnVelzRGos0bPbpsfJjcbAD22bmKc4GdbrFI35zw2nrY2Y"


async def test_a_long_platform_user_id_is_a_member_like_any_other(runtime: Runtime) -> None:
    incoming = Incoming(place=place(platform="teams"), actor=Person(TEAMS_USER_ID, "Dana"), text="optout")
    assert text(await ask(runtime, incoming)).startswith("Done: stories and shout-outs about you")
    assert (await one(runtime, Member, Member.external_id == TEAMS_USER_ID)).opted_out is True
