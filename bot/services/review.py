"""Review: managers approve or send back new stories and shout-outs when a team asks for it."""

from __future__ import annotations

import logging

from sqlalchemy import ColumnElement, func, or_, select

from bot import cards, forms
from bot.domain import privacy
from bot.domain.validation import Invalid, tidy
from bot.grammar import beyond_any_id, record_id
from bot.replies import Audience, Reply, Visibility, say
from bot.services import retraction
from bot.services.context import Context, NotFound, Refused, is_channel_member
from bot.services.moments import masked, own_moment, shoutout_announcements, taken_off
from bot.services.views import moment_view
from bot.storage.models import Member, Moment, Recipient, Team, TeamMember

logger = logging.getLogger(__name__)


async def people_of(ctx: Context, moment: Moment) -> tuple[Member | None, list[Member]]:
    author = await ctx.session.get(Member, moment.author_id) if moment.author_id else None
    recipients = list(
        await ctx.session.scalars(
            select(Member)
            .join(Recipient, Recipient.member_id == Member.id)
            .where(Recipient.moment_id == moment.id)
            .order_by(Member.name)
        )
    )
    return author, recipients


REVIEW_LISTED = 20  # submissions shown at once in a manager's review list


async def queue(ctx: Context) -> list[Reply]:
    ctx.require_manager("review submissions")
    waiting = (
        await ctx.session.scalars(
            select(Moment)
            .where(Moment.workspace_id == ctx.workspace.id, Moment.state == "pending", _in_my_channels(ctx))
            .order_by(Moment.created_at, Moment.id)
        )
    ).all()
    # Their own items and shout-outs about them are another manager's to decide on, where there is one.
    waiting = [moment for moment in waiting if not await _others_decide(ctx, moment)]
    if not waiting:
        return [say("Nothing is waiting for your review.")]
    # Unpublished submissions: for managers' eyes only, wherever the queue was asked for.
    shown = (
        f" (the first {REVIEW_LISTED} shown; decide on them to see the next)" if len(waiting) > REVIEW_LISTED else ""
    )
    replies = [Reply(text=f"{len(waiting)} item(s) waiting for review{shown}:", visible_to=Visibility.MANAGERS)]
    for moment in waiting[:REVIEW_LISTED]:
        author, recipients = await people_of(ctx, moment)
        card = cards.review_card(moment_view(moment, author=author, recipients=recipients))
        replies.append(Reply(card=card, visible_to=Visibility.MANAGERS))
    return replies


async def set_review(ctx: Context, value: str) -> list[Reply]:
    team = ctx.require_team()
    ctx.require_manager("change review settings")
    if value not in ("on", "off"):
        raise Invalid({"review": "Say `review on` or `review off`."})
    if team.review_required == (value == "on"):
        other = "off" if value == "on" else "on"
        return [say(f"Nothing changed: review is already {value} in this channel. `review {other}` changes it.")]
    team.review_required = value == "on"
    logger.info("team %s: review %s by member %s", team.id, value, ctx.member.id)
    if team.review_required:
        return [say("Review is on: new stories and shout-outs here wait for a manager's approval.")]
    waiting = await ctx.session.scalar(
        select(func.count()).select_from(Moment).where(Moment.team_id == team.id, Moment.state == "pending")
    )
    still = (
        f" {waiting} shared here before still wait{'s' if waiting == 1 else ''} for a decision: `review` lists "
        f"{'it' if waiting == 1 else 'them'}."
        if waiting
        else ""
    )
    return [say(f"Review is off: new stories and shout-outs go straight into the pool.{still}")]


def _in_my_channels(ctx: Context) -> ColumnElement[bool]:
    """Items a manager reviews: those shared in the channels they are in (a private channel's stay
    unknown outside it), and those shared in no channel."""
    mine = select(TeamMember.team_id).where(TeamMember.member_id == ctx.member.id)
    return or_(Moment.team_id.is_(None), Moment.team_id.in_(mine))


async def _reviewable(ctx: Context, moment_id: int) -> Moment:
    moment = await own_moment(ctx, moment_id)
    if moment.team_id is not None and not await is_channel_member(ctx, moment.team_id):
        raise NotFound(
            f"There is no item #{moment_id} for you to review: managers review what is shared in the channels "
            "they are in."
        )
    return moment


async def _pending(ctx: Context, moment_id: int, *, shared_too: bool = False) -> Moment:
    """A submission waiting for review that this manager may decide on; ``shared_too``: or one approved
    already (sending it back takes it down)."""
    ctx.require_manager("approve or reject submissions")
    moment = await _reviewable(ctx, moment_id)
    if moment.state != "pending" and not (shared_too and moment.state == "approved"):
        state = cards.STATE_LABEL.get(moment.state)
        if moment.state == "approved":
            raise Refused(
                f"#{moment_id} is approved already. `reject {moment_id} <reason>` takes it down and sends it back "
                "to its author.",
                private=True,
            )
        raise Refused(f"#{moment_id} is not waiting for review (it is {state}).", private=True)
    await _not_your_own(ctx, moment)
    return moment


async def _not_your_own(ctx: Context, moment: Moment) -> None:
    """A manager does not decide on their own item or a shout-out about them while another manager of its
    channel can; the only manager there may (or nothing they share would ever pass review)."""
    others = await _others_decide(ctx, moment)
    if others:
        whose = "yours" if moment.author_id == ctx.member.id else "about you"
        raise Refused(
            f"#{moment.id} is {whose}: another manager of its channel decides on it ({cards.names(others)}).",
            private=True,  # whose an anonymous story is, and a waiting shout-out about them, are not the room's
        )


async def _others_decide(ctx: Context, moment: Moment) -> list[str]:
    """The managers of the moment's channel who may decide on it in this manager's place (up to three), when it
    is this manager's own item or a shout-out about them: neither its author nor one of the people it
    recognises. None when this manager may decide on it, as the only one who can."""
    about_them = await ctx.session.get(Recipient, (moment.id, ctx.member.id)) is not None
    if moment.author_id != ctx.member.id and not about_them:
        return []
    its_people = select(Recipient.member_id).where(Recipient.moment_id == moment.id)
    return list(
        await ctx.session.scalars(
            select(Member.name)
            .join(TeamMember, TeamMember.member_id == Member.id)
            .where(
                TeamMember.team_id == moment.team_id,
                Member.id != ctx.member.id,
                Member.id != moment.author_id,
                Member.id.not_in(its_people),
                Member.role.in_(("manager", "admin")),
            )
            .order_by(Member.name)
            .limit(3)
        )
    )


async def approve(ctx: Context, moment_id: int) -> list[Reply]:
    moment = await _pending(ctx, moment_id)
    moment.state, moment.decided_at, moment.decided_by = "approved", ctx.now, ctx.member.id
    author, recipients = await people_of(ctx, moment)
    replies = [say(f"Approved #{moment.id}.")]
    if author is not None and author.id != ctx.member.id:
        label = cards.KIND_LABEL[moment.kind].lower()
        if moment.private:
            to = cards.names([member.name for member in recipients])
            outcome = f"sent privately to {to} (private shout-outs are never featured)"
        else:
            outcome = "is in the pool for upcoming meetings"
        replies.append(
            Reply(
                audience=Audience.DIRECT,
                to_member=author.external_id,
                text=f"Your {label} #{moment.id} was approved and {outcome}.",
            )
        )
    if moment.kind == "shoutout":
        team = await ctx.session.get(Team, moment.team_id) if moment.team_id else None
        origin = Context(
            session=ctx.session,
            now=ctx.now,
            incoming=ctx.incoming,
            workspace=ctx.workspace,
            member=ctx.member,
            team=team,
        )
        replies += shoutout_announcements(origin, moment, recipients, giver=author)
    logger.info("moment %s approved by member %s", moment.id, ctx.member.id)
    return replies


async def reject(ctx: Context, moment_id: int, reason_text: str) -> list[Reply]:
    if not tidy(reason_text):
        ctx.require_manager("approve or reject submissions")
        await _reviewable(ctx, moment_id)
        return [Reply(form=forms.reject_form(moment_id))]
    moment = await _pending(ctx, moment_id, shared_too=True)
    reason = tidy(reason_text)
    if len(reason) > 1000:
        raise Invalid({"reason": "Please keep the reason under 1,000 characters."})
    shared = moment.state == "approved"
    moment.decided_at, moment.decided_by = ctx.now, ctx.member.id
    note = masked(ctx, reason)
    reason = moment.decision_note = note.texts[0]
    author, _ = await people_of(ctx, moment)
    found = privacy.describe(note.found)
    if shared:  # taken down: out of the pool, the agendas and the channel's messages that showed it
        taken, replies = await taken_off(ctx, moment, state="rejected", why=retraction.TAKEN_DOWN)
        answer = f"Took down #{moment.id} and sent it back to its author: it will not be featured.{taken} {found}"
        what = "was taken down and sent back"
    else:
        moment.state, replies = "rejected", []
        answer, what = f"Sent #{moment.id} back to its author. {found}", "was sent back"
    replies.insert(0, say(answer.strip()))
    if author is not None:
        replies.append(
            Reply(
                audience=Audience.DIRECT,
                to_member=author.external_id,
                text=f"Your {cards.KIND_LABEL[moment.kind].lower()} #{moment.id} {what} by {ctx.member.name}: {reason}",
            )
        )
    logger.info("moment %s %s by member %s", moment.id, "taken down" if shared else "rejected", ctx.member.id)
    return replies


async def reject_form(ctx: Context) -> list[Reply]:
    moment_id = record_id(ctx.incoming.form_context)
    if beyond_any_id(ctx.incoming.form_context):
        raise NotFound(f"There is no item #{ctx.incoming.form_context.strip()[:24]} here.")
    if moment_id is None:
        raise Refused("That form has expired; press Reject again.")
    reason = forms.text_value(ctx.incoming.form_values, "reason")
    if not tidy(reason):
        raise Invalid({"reason": "Tell the author why, so they can improve it."})
    return await reject(ctx, moment_id, reason)
