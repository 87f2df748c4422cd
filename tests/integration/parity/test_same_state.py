"""The same actions through Slack and through Teams leave the same state in the core.

Both surfaces run on one server and one database, each with its own workspace; after the same
sequence of commands, the two workspaces' data — moments, review decisions, meetings, agenda items,
featurings, votes, roles and opt-outs — are equal once platform ids and timestamps are set aside.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from adapters.runtime import Runtime
from bot.storage.models import AgendaItem, Featuring, MeetingSeries, Member, Moment, Recipient, Vote, Workspace
from tests.integration.slack.driver import SlackDriver
from tests.integration.teams.builders import ALICE, BOB, message
from tests.integration.teams.conftest import TeamsApp
from tests.support.clock import FakeClock

STORY = "A customer was promised a patch that slipped by a month. lesson: call them before they find out"
REASON = "stayed on the call until the refund had really gone through"
SCRIPT: list[tuple[str, str]] = [
    ("alice", f"story {STORY}"),
    ("alice", "story anon The invoice portal rejected a valid card twice | I raised it with billing | tell them"),
    ("alice", f"shoutout @bob {REASON}"),
    ("alice", "schedule weekly tue 10:00 Europe/Berlin lead 30m"),
    ("alice", "remind {series} 1d"),
    ("alice", "request"),
    ("alice", "swap"),
    ("bob", "helpful"),
    ("alice", "done"),
    ("alice", "managers add @bob"),
    ("bob", "review on"),
    ("bob", "optout"),
    ("alice", "story Another customer needed an answer in their own language. lesson: ask early"),
    ("bob", "approve {pending}"),
]
# Numbers people type are the ids shown to them, which differ per workspace: filled in just in time.


async def numbers(runtime: Runtime, platform: str) -> dict[str, int]:
    async with runtime.sessions() as session:
        in_workspace = select(Workspace.id).where(Workspace.platform == platform).scalar_subquery()
        series = await session.scalar(select(MeetingSeries.id).where(MeetingSeries.workspace_id == in_workspace))
        pending = await session.scalar(
            select(Moment.id).where(Moment.workspace_id == in_workspace, Moment.state == "pending")
        )
    return {"series": series or 0, "pending": pending or 0}


async def run_in_slack(runtime: Runtime, driver: SlackDriver, clock: FakeClock) -> None:
    users = {"alice": "U1", "bob": "U2"}
    for who, text in SCRIPT:
        typed = text.format(**await numbers(runtime, "slack")).replace("@bob", "<@U2|bob>")
        await driver.command(typed, user=users[who])
        clock.advance(timedelta(minutes=1))


async def run_in_teams(runtime: Runtime, app: TeamsApp, clock: FakeClock) -> None:
    people = {"alice": ALICE, "bob": BOB}
    for who, text in SCRIPT:
        typed = text.format(**await numbers(runtime, "teams")).replace("@bob", "@Bob")
        mentioned = (BOB,) if "@Bob" in typed else ()
        response = await app.post(message(typed, app.service_url, sender=people[who], mentioned=mentioned))
        assert response.status < 300
        clock.advance(timedelta(minutes=1))


async def snapshot(runtime: Runtime, platform: str) -> dict[str, Any]:
    async with runtime.sessions() as session:
        workspace = await session.scalar(select(Workspace).where(Workspace.platform == platform))
        assert workspace is not None
        ws = workspace.id
        members = {m.id: m.name.lower() for m in await session.scalars(select(Member).where(Member.workspace_id == ws))}
        moments = list(
            await session.scalars(
                select(Moment).where(Moment.workspace_id == ws, Moment.library_key.is_(None)).order_by(Moment.id)
            )
        )
        order = {m.id: n for n, m in enumerate(moments)}
        library = {
            m.id: m.library_key
            for m in await session.scalars(
                select(Moment).where(Moment.workspace_id == ws, Moment.library_key.is_not(None))
            )
        }

        def which(moment_id: int | None) -> Any:
            return order.get(moment_id) if moment_id in order else library.get(moment_id)

        recipients = sorted(
            (order[r.moment_id], members[r.member_id])
            for r in await session.scalars(select(Recipient).where(Recipient.moment_id.in_(order)))
        )
        items = list(
            await session.scalars(select(AgendaItem).where(AgendaItem.workspace_id == ws).order_by(AgendaItem.id))
        )
        return {
            "members": sorted(
                (m.name.lower(), m.role, m.opted_out)
                for m in await session.scalars(select(Member).where(Member.workspace_id == ws))
            ),
            "moments": [
                (
                    m.kind,
                    m.state,
                    m.situation,
                    m.action,
                    m.reaction,
                    m.lesson,
                    sorted(m.tags),
                    m.anonymous,
                    m.private,
                    members.get(m.author_id or 0),
                    m.times_featured,
                )
                for m in moments
            ],
            "recipients": recipients,
            "series": [
                (s.rule, s.at, s.zone, s.lead_minutes, s.remind_minutes, s.state, s.next_start_at)
                for s in await session.scalars(select(MeetingSeries).where(MeetingSeries.workspace_id == ws))
            ],
            "agenda": [(i.state, which(i.moment_id), i.reason, members.get(i.presenter_id or 0)) for i in items],
            "featurings": [
                (which(f.moment_id), f.outcome)
                for f in await session.scalars(
                    select(Featuring).where(Featuring.workspace_id == ws).order_by(Featuring.id)
                )
            ],
            "votes": sorted(
                members[v.member_id]
                for v in await session.scalars(select(Vote).where(Vote.agenda_item_id.in_([i.id for i in items])))
            ),
        }


async def test_the_same_actions_in_slack_and_in_teams_leave_the_same_state(
    runtime: Runtime,
    clock: FakeClock,
    slack: SlackDriver,
    teams: TeamsApp,
) -> None:
    start = clock.now
    await run_in_slack(runtime, slack, clock)
    clock.now = start  # the same moments in time, so the same fresh/old judgements
    await run_in_teams(runtime, teams, clock)
    in_slack, in_teams = await snapshot(runtime, "slack"), await snapshot(runtime, "teams")
    assert in_slack == in_teams
    assert [m[1] for m in in_slack["moments"]] == ["approved"] * 4  # 3 stories + 1 shout-out, all approved
    assert in_slack["members"] == [("alice", "admin", False), ("bob", "manager", True)]
    assert [a[0] for a in in_slack["agenda"]] == ["presented"] and in_slack["votes"] == ["bob"]
    assert [f[1] for f in in_slack["featurings"]] == ["swapped", "presented"]
