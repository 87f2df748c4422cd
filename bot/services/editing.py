"""Changing your own story or shout-out: the form, filled in with what is stored, and saving the change.

An edit is checked and masked like a new submission. Where the team reviews submissions, or the item had
been sent back, the changed item waits for review again: what managers approved is what gets featured.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot import cards, forms, grammar
from bot.domain import privacy
from bot.domain.lifecycle import OPEN
from bot.domain.validation import clean_reason
from bot.replies import Audience, Reply, say
from bot.services import announcements, board, picking, retraction
from bot.services.context import Context, Refused
from bot.services.moments import checked_story, masked, own_moment, reviewers_told
from bot.services.views import moment_view
from bot.storage.models import AgendaItem, Member, Moment, Recipient, Team

logger = logging.getLogger(__name__)

EDITABLE = ("story", "shoutout")
EDIT_ACTION = cards.EDIT_ACTION


async def _editable(ctx: Context, moment_id: int) -> Moment:
    """The person's own item, as it may be edited. Every answer is for them alone (as the edit's are): an
    answer only the author gets, said where others see it, would tell whose an anonymous story is."""
    moment = await own_moment(ctx, moment_id)
    if moment.author_id != ctx.member.id:
        raise Refused(f"You can edit your own stories and shout-outs; #{moment_id} is not one of them.", private=True)
    if moment.kind not in EDITABLE:
        raise Refused(
            f"#{moment_id} is an exercise: exercises can't be edited. `withdraw {moment_id}` takes it out, "
            "and `exercise` adds it again as it should read.",
            private=True,
        )
    if moment.state in ("withdrawn", "hidden"):
        state = cards.STATE_LABEL.get(moment.state, moment.state)
        raise Refused(f"#{moment_id} is {state}; it can't be edited.", private=True)
    return moment


async def edit(ctx: Context, moment_id: int) -> list[Reply]:
    """Open the item's form, filled in with what is stored."""
    moment = await _editable(ctx, moment_id)
    if moment.kind == "story":
        values = {
            "situation": moment.situation,
            "action": moment.action,
            "reaction": moment.reaction,
            "lesson": moment.lesson,
            "tags": tuple(moment.tags),
            "nps": moment.nps or "",
            "anonymous": moment.anonymous,
        }
        return [Reply(form=forms.story_form(moment.id, values))]
    return [Reply(form=forms.shoutout_edit_form(moment.id, {"reason": moment.situation, "private": moment.private}))]


async def _state_after_edit(ctx: Context, moment: Moment) -> str:
    team = await ctx.session.get(Team, moment.team_id) if moment.team_id else None
    if moment.state in ("pending", "rejected") or (team is not None and team.review_required):
        return "pending"
    return moment.state


def _saved(moment: Moment, before: str, found: tuple[str, ...], *, names_someone: bool = False) -> str:
    label = cards.KIND_LABEL[moment.kind].lower()
    if moment.state == "pending" and before != "pending":
        text = f"Saved your changes to {label} #{moment.id}; it is waiting for a manager's review again."
    elif moment.state == "pending":
        text = f"Saved your changes to {label} #{moment.id}; it is still waiting for a manager's review."
    else:
        text = f"Saved your changes to {label} #{moment.id}."
    return f"{text} {privacy.describe(found, names_someone=names_someone)}".strip()


async def _new_presenters(ctx: Context, moment: Moment) -> list[Reply]:
    """A story on an agenda turned anonymous (or named again): who presents it follows, as when it was picked
    (an anonymous story is presented by the meeting's organizer), and whoever now presents is told."""
    items = await ctx.session.scalars(
        select(AgendaItem).where(AgendaItem.moment_id == moment.id, AgendaItem.state.in_(OPEN))
    )
    told: list[Reply] = []
    for item in items:
        presenter, before = picking.presenter_for(moment, item.organizer_id), item.presenter_id
        if presenter == before:
            continue
        item.presenter_id, item.updated_at = presenter, ctx.now
        logger.info("agenda item %s: presenter now member %s (story %s edited)", item.id, presenter, moment.id)
        team = await ctx.session.get(Team, item.team_id)
        when = cards.local_time(item.starts_at, team.zone if team is not None else "UTC")
        why = "its author now shares it anonymously" if moment.anonymous else "its author presents it now"
        for member_id, text in (
            (presenter, f"You present the Customer Moment at the meeting on {when}: {why}."),
            (before, f"You no longer present the Customer Moment at the meeting on {when}: {why}."),
        ):
            member = await ctx.session.get(Member, member_id) if member_id is not None else None
            if member is not None and member.id != ctx.member.id:
                told.append(Reply(audience=Audience.DIRECT, to_member=member.external_id, text=text))
    await board.mark_moment(ctx.session, moment.id, ctx.now)
    return told


async def save_story(ctx: Context, moment_id: int, args: grammar.StoryArgs) -> list[Reply]:
    moment = await _editable(ctx, moment_id)
    if moment.kind != "story":
        raise Refused(f"#{moment_id} is not a story.")
    fields, texts, found = checked_story(ctx, args)
    changed = (
        list(texts.texts) != [moment.situation, moment.action, moment.reaction, moment.lesson]
        or list(fields.tags) != list(moment.tags)
        or fields.nps != moment.nps
        or fields.anonymous != moment.anonymous
    )
    if not changed:
        return [say(f"Nothing changed: story #{moment.id} already reads like that.")]
    before, was_anonymous = moment.state, moment.anonymous
    moment.situation, moment.action, moment.reaction, moment.lesson = texts.texts
    moment.tags, moment.nps, moment.anonymous = list(fields.tags), fields.nps, fields.anonymous
    moment.state = await _state_after_edit(ctx, moment)
    logger.info("story %s edited by its author (state %s → %s, masked %s)", moment.id, before, moment.state, found)
    message = _saved(moment, before, found, names_someone=texts.names_someone)
    presenting = await _new_presenters(ctx, moment) if moment.anonymous != was_anonymous else []
    agenda = await retraction.after_edit(ctx.session, moment, now=ctx.now, actor_id=ctx.member.id)
    agenda = [*presenting, *agenda]
    shown = await announcements.ended_cards(ctx.session, moment.id)
    if shown:
        message += (
            " The cards of meetings that featured it no longer show it while it waits for review."
            if moment.state != "approved"
            else " The cards of meetings that featured it now read like that."
        )
    told = await _reviewers_told_again(ctx, moment, before)
    return [Reply(text=message, card=cards.story_readback(moment_view(moment))), *agenda, *shown, *told]


async def _reviewers_told_again(ctx: Context, moment: Moment, before: str) -> list[Reply]:
    """Back in review after an edit (it was shared, or sent back): its managers hear of it again."""
    if moment.state != "pending" or before == "pending":
        return []
    recognised = await ctx.session.scalars(select(Recipient.member_id).where(Recipient.moment_id == moment.id))
    return await reviewers_told(ctx, moment, set(recognised), again=True)


async def save_shoutout(ctx: Context, moment_id: int, reason_text: str, private: bool) -> list[Reply]:
    moment = await _editable(ctx, moment_id)
    if moment.kind != "shoutout":
        raise Refused(f"#{moment_id} is not a shout-out.")
    result = masked(ctx, clean_reason(reason_text))
    if result.texts[0] == moment.situation and private == moment.private:
        return [say(f"Nothing changed: shout-out #{moment.id} already reads like that.")]
    before, was_private = moment.state, moment.private
    moment.situation, moment.private = result.texts[0], private
    moment.state = await _state_after_edit(ctx, moment)
    logger.info("shout-out %s edited by its author (state %s → %s)", moment.id, before, moment.state)
    agenda = await retraction.after_edit(ctx.session, moment, now=ctx.now, actor_id=ctx.member.id)
    announced = await announcements.redraw(ctx.session, moment)
    saved = _saved(moment, before, result.found, names_someone=result.names_someone)
    if was_private and not announced.replies and announcements.shown_in_channel(moment):
        first = await announcements.announce(ctx.session, moment, ctx.member)  # private until now: never announced
        if first.replies:
            saved += f" It is no longer private: I shared it in {first.where}."
            return [say(saved), *agenda, *first.replies, *announced.cards]
    if announced.replies and not announcements.shown_in_channel(moment):
        why = "it is private now" if moment.private else "it waits for review"
        saved += f" I took its announcement out of {announced.where}: {why}."
    elif announced.replies:
        saved += f" Its announcement in {announced.where} now reads like that."
    if announced.cards:
        saved += (
            " The cards of meetings that featured it now read like that."
            if announcements.shown_in_channel(moment)
            else " The cards of meetings that featured it no longer show it."
        )
    return [say(saved), *agenda, *announced.all, *await _reviewers_told_again(ctx, moment, before)]
