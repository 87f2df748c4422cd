"""Workspaces never mix: numbers from one are unknown in another, and nothing is listed across."""

from __future__ import annotations

import json

import pytest

from adapters.runtime import Runtime
from bot.events import Incoming
from bot.storage.models import AgendaItem, MeetingSeries, Member, Moment, Workspace
from tests.integration.core import ask, one, rows, table_counts, text
from tests.support.events import said

REASON = "stayed on the call until the refund went through"


def acme(command: str, actor: str = "alice") -> Incoming:
    return said(command, actor=actor, workspace="acme")


def globex(command: str, actor: str = "zoe") -> Incoming:
    return said(command, actor=actor, workspace="globex")


async def two_workspaces(runtime: Runtime) -> dict[str, int]:
    """acme (same channel name 'support' as globex) has a pending story, a shout-out, an agenda item, a series."""
    await ask(runtime, acme("help"))
    await ask(runtime, acme("help", actor="bob"))
    await ask(runtime, globex("help"))
    await ask(runtime, globex("help", actor="alice"))  # the same external id, another workspace
    await ask(runtime, acme(f"shoutout @bob {REASON}"))
    await ask(runtime, acme("request"))
    await ask(runtime, acme("schedule weekly tue 10:00 Europe/Berlin"))
    await ask(runtime, acme("review on"))
    await ask(runtime, acme("story The parcel was lost twice | own the problem", actor="bob"))
    workspace = await one(runtime, Workspace, Workspace.external_id == "acme")
    return {
        "story": (await one(runtime, Moment, Moment.kind == "story")).id,
        "shoutout": (await one(runtime, Moment, Moment.kind == "shoutout")).id,
        "agenda": (await one(runtime, AgendaItem, AgendaItem.workspace_id == workspace.id)).id,
        "series": (await one(runtime, MeetingSeries)).id,
    }


REFUSED_ACROSS = {
    "approve {story}": "There is no item #{story} here.",
    "reject {story} not ours": "There is no item #{story} here.",
    "withdraw {story}": "There is no item #{story} here.",
    "hide {shoutout}": "There is no item #{shoutout} here.",
    "swap {agenda}": "There is no agenda item #{agenda} in this channel.",
    "skip {agenda}": "There is no agenda item #{agenda} in this channel.",
    "done {agenda}": "There is no agenda item #{agenda} in this channel.",
    "helpful {agenda}": "There is no agenda item #{agenda} in this channel.",
    "pause {series}": "There is no meeting #{series} in this channel. `meetings` lists them.",
    "skipdate {series} 2026-12-01": "There is no meeting #{series} in this channel. `meetings` lists them.",
    "remind {series} 1h": "There is no meeting #{series} in this channel. `meetings` lists them.",
}


async def test_numbers_from_another_workspace_are_unknown(runtime: Runtime, subtests: pytest.Subtests) -> None:
    ids = await two_workspaces(runtime)
    before = await table_counts(runtime)
    for command, refusal in REFUSED_ACROSS.items():
        with subtests.test(command):
            assert text(await ask(runtime, globex(command.format(**ids)))) == refusal.format(**ids)
    assert await table_counts(runtime) == before
    assert (await one(runtime, Moment, Moment.id == ids["story"])).state == "pending"
    assert (await one(runtime, MeetingSeries)).state == "active"
    assert (await one(runtime, AgendaItem, AgendaItem.id == ids["agenda"])).state == "posted"


async def test_nothing_is_listed_across_workspaces(runtime: Runtime) -> None:
    await two_workspaces(runtime)
    assert text(await ask(runtime, globex("review"))) == "Nothing is waiting for your review."
    assert text(await ask(runtime, globex("meetings"))).startswith("No meetings scheduled here yet.")
    queue = text(await ask(runtime, globex("queue")))
    assert "Agenda #" not in queue and "Meeting #" not in queue
    assert "stories: 0, shout-outs: 0" in queue
    assert text(await ask(runtime, globex("managers"))) == "Admins and managers: zoe (admin)"
    assert text(await ask(runtime, globex("mine", actor="alice"))) == (
        "Your moments\nWhat you shared\nNothing yet — try `story`."
    )
    stats = text(await ask(runtime, globex("stats")))
    assert "Stories submitted: 0" in stats and "Shout-outs given: 0" in stats
    (reply,) = await ask(runtime, globex("export json"))
    assert reply.attachment is not None
    document = json.loads(reply.attachment.content)
    assert (document["moments"], document["agenda"], document["featurings"]) == ([], [], [])


async def test_people_are_known_per_workspace(runtime: Runtime) -> None:
    await two_workspaces(runtime)
    assert text(await ask(runtime, globex(f"shoutout @bob {REASON}"))) == "I don't know anyone called @bob here."
    roles = {(m.external_id, m.role) for m in await rows(runtime, Member, Member.external_id == "alice")}
    assert roles == {("alice", "admin"), ("alice", "member")}
    assert "Only admins" in text(await ask(runtime, globex("managers add @zoe", actor="alice")))


async def test_each_workspace_features_its_own_library(runtime: Runtime) -> None:
    await two_workspaces(runtime)
    await ask(runtime, globex("request"))
    globex_id = (await one(runtime, Workspace, Workspace.external_id == "globex")).id
    item = await one(runtime, AgendaItem, AgendaItem.workspace_id == globex_id)
    featured = await one(runtime, Moment, Moment.id == item.moment_id)
    assert (featured.workspace_id, featured.library_key is not None) == (globex_id, True)
