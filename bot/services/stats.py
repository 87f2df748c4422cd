"""Participation stats and data export for one team. No leaderboards: the stats point at who was missed."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, distinct, func, select, true

from bot import cards
from bot.domain.lifecycle import COUNTED, AgendaState
from bot.replies import Attachment, Card, Fact, Reply, Section, Visibility
from bot.services.context import Context, Refused
from bot.storage import reads
from bot.storage.models import AgendaItem, Featuring, Member, Moment, Recipient, TeamMember, Vote
from bot.storage.parts import one_of

RECOGNITION_WINDOW = timedelta(days=90)
MAX_DAYS = 3660
WITH_MOMENT = (AgendaState.POSTED, AgendaState.PRESENTED)
WITHOUT_MOMENT = (AgendaState.SKIPPED, AgendaState.MISSED, AgendaState.FAILED)
FEATURED_KINDS = sorted(cards.KIND_LABEL)
# Withdrawn by the author, hidden by the recipient: promised gone, so an export carries no word of them.
TEXT_GONE = ("withdrawn", "hidden")
# Private shout-outs are for the people named and managers, and exports are for managers only; the mark
# tells whoever reads the file not to pass the row on.
PRIVATE_MARK = "private (only the people named and managers)"

# The whole report is one statement: a one-row count per table, side by side. Built once with bound
# parameters (team_id, since, now), so SQLAlchemy's compiled cache serves every `stats`.
_meetings = (
    select(
        func.count().filter(one_of(AgendaItem.state, WITH_MOMENT)).label("with_moment"),
        func.count().filter(one_of(AgendaItem.state, WITHOUT_MOMENT)).label("without_moment"),
        func.count().filter(AgendaItem.state == AgendaState.MISSED).label("missed"),
    )
    .select_from(AgendaItem)
    .where(
        AgendaItem.team_id == bindparam("team_id"),
        AgendaItem.starts_at >= bindparam("since"),
        AgendaItem.starts_at <= bindparam("now"),
    )
    .subquery("meetings")
)
# What people shared that still stands (in the pool or waiting for review; a team's own exercises count
# their authors as contributors): a withdrawn, hidden or sent-back item is not counted, nor is its author
# as a contributor for it. Recognitions are counted once approved, when they reach the people named.
# Everyone in the channel reads these counts, so they tell nothing a shared item does not: an anonymous
# story counts as a story but not its author as a contributor (who else contributed would tell who wrote
# it), and a private shout-out is for the people named alone (managers are told how many there were).
_made = (
    select(
        func.count().filter(Moment.kind == "story").label("stories"),
        func.count(distinct(Moment.author_id))
        .filter(Moment.anonymous.is_(False), Moment.private.is_(False))
        .label("contributors"),
        func.count().filter(Moment.anonymous.is_(True)).label("anonymous"),
        func.count().filter(Moment.kind == "shoutout", Moment.private.is_(False)).label("given"),
        func.count().filter(Moment.kind == "shoutout", Moment.private.is_(True)).label("given_privately"),
    )
    .select_from(Moment)
    .where(
        Moment.team_id == bindparam("team_id"),
        Moment.created_at >= bindparam("since"),
        Moment.library_key.is_(None),
        Moment.state.in_(("approved", "pending")),
    )
    .subquery("made")
)
_recognitions = (
    select(func.count().label("received"), func.count(distinct(Recipient.member_id)).label("recognised"))
    .select_from(Recipient)
    .join(Moment, Moment.id == Recipient.moment_id)
    .where(
        Moment.team_id == bindparam("team_id"),
        Moment.created_at >= bindparam("since"),
        Moment.state == "approved",
        Moment.private.is_(False),
        Recipient.hidden.is_(False),  # a recipient who hid a shout-out chose not to be counted with it
    )
    .subquery("recognitions")
)
_featured = (
    select(*(func.count().filter(Moment.kind == kind).label(f"featured_{kind}") for kind in FEATURED_KINDS))
    .select_from(Featuring)
    .join(Moment, Moment.id == Featuring.moment_id)
    .where(
        Featuring.team_id == bindparam("team_id"),
        Featuring.created_at >= bindparam("since"),
        one_of(Featuring.outcome, COUNTED),  # on an agenda now, or presented at its meeting
    )
    .subquery("featured")
)
_helpful = (
    select(func.count().label("votes"))
    .select_from(Vote)
    .join(AgendaItem, AgendaItem.id == Vote.agenda_item_id)
    .where(AgendaItem.team_id == bindparam("team_id"), Vote.created_at >= bindparam("since"))
    .subquery("helpful")
)
COUNTS = select(_meetings, _made, _recognitions, _featured, _helpful).select_from(
    _meetings.join(_made, true()).join(_recognitions, true()).join(_featured, true()).join(_helpful, true())
)

# The team's members nobody in the workspace recognised lately (workspace_id, team_id, recognised_since).
_recognised_lately = (
    select(Recipient.member_id)
    .join(Moment, Moment.id == Recipient.moment_id)
    .where(
        Moment.workspace_id == bindparam("workspace_id"),
        Moment.state == "approved",
        Moment.created_at >= bindparam("recognised_since"),
    )
)
NOT_RECOGNISED = (
    select(Member.name)
    .join(TeamMember, TeamMember.member_id == Member.id)
    .where(TeamMember.team_id == bindparam("team_id"), Member.id.not_in(_recognised_lately))
    .order_by(Member.name)
)


def _counted(count: int, kind: str) -> str:
    """``1 customer story``, ``2 customer stories``, ``3 shout-outs``."""
    label = cards.KIND_LABEL[kind].lower()
    if count == 1:
        return f"1 {label}"
    return f"{count} {label[:-1]}ies" if label.endswith("y") else f"{count} {label}s"


def _plus_anonymous(count: int) -> str:
    """Stories shared anonymously, whose authors the contributors leave out."""
    if not count:
        return ""
    return f", plus {count} anonymous {'story' if count == 1 else 'stories'}"


async def stats(ctx: Context, days_text: str) -> list[Reply]:
    team = ctx.require_team()
    try:
        days = int(days_text) if days_text.strip() else 90
    except ValueError:
        raise Refused("Give the period in days, e.g. `stats 30`.") from None
    if not 1 <= days <= MAX_DAYS:
        raise Refused(f"The period is 1 to {MAX_DAYS} days.")
    since = ctx.now - timedelta(days=days)
    (row,) = await reads.rows(ctx.session, COUNTS, {"team_id": team.id, "since": since, "now": ctx.now})
    counts = row._asdict()
    featured = [_counted(counts[f"featured_{kind}"], kind) for kind in FEATURED_KINDS if counts[f"featured_{kind}"]]
    recognised = counts["recognised"]
    to_whom = "1 person" if recognised == 1 else f"{recognised} different people"
    facts = [
        Fact("Meetings with a moment", str(counts["with_moment"])),
        Fact(
            "Meetings without",
            str(counts["without_moment"]) + (f" ({counts['missed']} missed)" if counts["missed"] else ""),
        ),
        Fact("Stories submitted", str(counts["stories"])),
        Fact("People who contributed", str(counts["contributors"]) + _plus_anonymous(counts["anonymous"])),
        Fact("Shout-outs given", str(counts["given"])),
        Fact("Recognitions received", f"{counts['received']} (to {to_whom})" if counts["received"] else "0"),
        # COUNTED: presented at a meeting, or on the agenda of one still ahead
        Fact("Featured or on an agenda", ", ".join(featured) or "nothing yet"),
        Fact("Helpful votes", str(counts["votes"])),
    ]
    sections: list[Section] = []
    if ctx.is_manager and counts["given_privately"]:
        facts.append(Fact("Private shout-outs (only managers see this)", str(counts["given_privately"])))
    if ctx.is_manager:
        unrecognised = await _not_recognised(ctx, team.id)
        text = (
            ", ".join(unrecognised[:40]) + (" …" if len(unrecognised) > 40 else "")
            if unrecognised
            else "Everyone here was recognised in the last 90 days."
        )
        sections.append(Section(text, "Not recognised in the last 90 days (only managers see this)"))
    # For the person who asked (a manager's also names who was missed), never for a whole channel to read.
    return [
        Reply(
            card=Card(
                title=f"Customer Moment · last {days} days · {team.name or 'this channel'}",
                facts=tuple(facts),
                sections=tuple(sections),
            ),
            visible_to=Visibility.ACTOR,
        )
    ]


async def _not_recognised(ctx: Context, team_id: int) -> list[str]:
    params = {"workspace_id": ctx.workspace.id, "team_id": team_id, "recognised_since": ctx.now - RECOGNITION_WINDOW}
    return [name for (name,) in await reads.rows(ctx.session, NOT_RECOGNISED, params)]


async def export(ctx: Context, fmt: str) -> list[Reply]:
    """A manager's export of the team's data, as a file that surfaces deliver to that manager alone.

    Only managers may export: it holds private shout-outs (marked so) and items waiting for review or
    sent back. Withdrawn and hidden items are listed without their text.
    """
    team = ctx.require_team()
    ctx.require_manager("export data")
    fmt = fmt.strip().lower() or "csv"
    if fmt not in ("csv", "json"):
        raise Refused("Export as `csv` or `json`.")
    moments = (await ctx.session.scalars(select(Moment).where(Moment.team_id == team.id).order_by(Moment.id))).all()
    members = {
        m.id: m for m in await ctx.session.scalars(select(Member).where(Member.workspace_id == ctx.workspace.id))
    }
    recipients: dict[int, list[str]] = defaultdict(list)
    for moment_id, member_id in await ctx.session.execute(
        select(Recipient.moment_id, Recipient.member_id)
        .join(Moment, Moment.id == Recipient.moment_id)
        .where(Moment.team_id == team.id, Recipient.hidden.is_(False))  # a hider left the shout-out
    ):
        recipients[moment_id].append(members[member_id].name if member_id in members else "")
    # Helpful votes are cast on agenda items; a moment counts the votes on the items it is on.
    votes_by_item: dict[int, int] = {
        item_id: votes
        for item_id, votes in await ctx.session.execute(
            select(Vote.agenda_item_id, func.count())
            .join(AgendaItem, AgendaItem.id == Vote.agenda_item_id)
            .where(AgendaItem.team_id == team.id)
            .group_by(Vote.agenda_item_id)
        )
    }
    votes_by_moment: dict[int, int] = defaultdict(int)
    for item_id, on_item in await ctx.session.execute(
        select(AgendaItem.id, AgendaItem.moment_id).where(AgendaItem.id.in_(votes_by_item))
    ):
        if on_item is not None:
            votes_by_moment[on_item] += votes_by_item[item_id]
    rows = [_moment_row(m, members, recipients[m.id], votes_by_moment[m.id]) for m in moments]
    stamp = ctx.now.strftime("%Y%m%d")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(_moment_row(Moment(), {}, [], 0).keys()))
        writer.writeheader()
        writer.writerows({key: _safe_cell(value) for key, value in row.items()} for row in rows)
        attachment = Attachment(f"customer-moment-{stamp}.csv", "text/csv", buffer.getvalue())
    else:
        items = (
            await ctx.session.scalars(
                select(AgendaItem).where(AgendaItem.team_id == team.id).order_by(AgendaItem.starts_at)
            )
        ).all()
        history = (
            await ctx.session.scalars(select(Featuring).where(Featuring.team_id == team.id).order_by(Featuring.id))
        ).all()
        document = {
            "team": {"name": team.name, "zone": team.zone, "review_required": team.review_required},
            "exported_at": ctx.now.isoformat(),
            "moments": rows,
            "agenda": [
                {
                    "id": i.id,
                    "starts_at": i.starts_at.isoformat(),
                    "state": i.state,
                    "moment_id": i.moment_id,
                    "reason": i.reason,
                    "helpful_votes": votes_by_item.get(i.id, 0),
                }
                for i in items
            ],
            "featurings": [
                {
                    "agenda_item_id": f.agenda_item_id,
                    "moment_id": f.moment_id,
                    "outcome": f.outcome,
                    "at": f.created_at.isoformat(),
                }
                for f in history
            ],
        }
        attachment = Attachment(
            f"customer-moment-{stamp}.json", "application/json", json.dumps(document, indent=2, ensure_ascii=False)
        )
    return [
        Reply(
            text=f"Exported {len(rows)} moments from {team.name or 'this channel'}.",
            attachment=attachment,
            visible_to=Visibility.ACTOR,
        )
    ]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _moment_row(m: Moment, members: dict[int, Member], recipients: list[str], helpful: int) -> dict[str, Any]:
    """One moment as exported. Withdrawn and hidden ones keep their row (the counts stay true) but no text."""
    author = members.get(m.author_id) if m.author_id else None
    gone = m.state in TEXT_GONE
    return {
        "id": m.id,
        "kind": m.kind,
        "state": m.state,
        "created_at": m.created_at.isoformat() if m.created_at else "",
        "author": "" if m.anonymous or author is None else author.name,
        "recipients": "; ".join(recipients),
        "visibility": PRIVATE_MARK if m.private else "channel",
        "title": "" if gone else m.title or "",
        "situation": "" if gone else m.situation or "",
        "action": "" if gone else m.action or "",
        "reaction": "" if gone else m.reaction or "",
        "lesson": "" if gone else m.lesson or "",
        "tags": "" if gone else ", ".join(m.tags or []),
        "nps": m.nps or "",
        "times_featured": m.times_featured or 0,
        "helpful_votes": helpful,
    }
