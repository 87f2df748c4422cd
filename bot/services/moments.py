"""Submitting and managing moments: stories, shout-outs, team exercises; withdraw, hide, opt out."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, bindparam, false, func, select, union_all

from bot import cards, forms, grammar
from bot.domain import privacy, similarity
from bot.domain.validation import Invalid, StoryFields, clean_exercise, clean_reason, clean_story
from bot.events import Standing
from bot.replies import Audience, Card, Reply, Section, Visibility, say
from bot.services import announcements, board, candidates, retraction
from bot.services.context import Context, NotFound, Refused, find_person, not_people
from bot.services.views import MOMENT_LINE, featured_notes, moment_view
from bot.storage import reads
from bot.storage.models import Member, Moment, Recipient, Team, TeamMember
from bot.storage.parts import one_of, part

logger = logging.getLogger(__name__)

MINE_LIMIT = 20
AUTHORED, RECEIVED = 0, 1


def _mine_part(number: int, moments: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    newest = moments.order_by(Moment.id.desc()).limit(MINE_LIMIT).subquery()
    return select(part(number), newest)


# What ``mine`` says of an item besides its line (``cards.standing_notes``).
_STANDING = (Moment.anonymous, Moment.private, Moment.decision_note, candidates.held_back().label("held_back"))

# The lines of ``mine`` in one statement: the member's newest moments, then the newest shout-outs for them.
_mine = union_all(
    _mine_part(
        AUTHORED,
        select(*MOMENT_LINE, *_STANDING, false().label("you_hid")).where(
            Moment.workspace_id == bindparam("workspace_id"), Moment.author_id == bindparam("member_id")
        ),
    ),
    _mine_part(
        RECEIVED,
        select(*MOMENT_LINE, *_STANDING, Recipient.hidden.label("you_hid"))
        .join(Recipient, Recipient.moment_id == Moment.id)
        .where(
            Moment.workspace_id == bindparam("workspace_id"),
            Recipient.member_id == bindparam("member_id"),
            # What its giver withdrew (or a reviewer has not let through) is shown to nobody but its giver.
            one_of(Moment.state, ("approved", "hidden")),
        ),
    ),
)
MINE = _mine.order_by(_mine.selected_columns.part, _mine.selected_columns.id.desc())


def masked(ctx: Context, *texts: str) -> privacy.MaskedTexts:
    """Mask personal data in what someone typed, reading phone numbers as the team writes them; colleagues
    mentioned in it read by their names (``@Bob``), not by the platform's ids (``@U2``)."""
    named = tuple(_names_for_mentions(ctx, text) for text in texts)
    return privacy.mask_all(named, regions=privacy.regions_for(ctx.team.zone if ctx.team else None))


def _names_for_mentions(ctx: Context, text: str) -> str:
    """``@U2`` → ``@Bob`` for each mention the surface looked up (a person it could not name keeps the token)."""
    people = {
        token: person.name
        for token, person in ctx.incoming.people.items()
        if token in text and person.name.strip() and person.name != person.external_id
    }
    if not people:
        return text
    tokens = "|".join(re.escape(token) for token in sorted(people, key=len, reverse=True))
    return re.sub(rf"(?<![\w@])(?:{tokens})(?!\w)", lambda match: "@" + people[match.group(0)].lstrip("@"), text)


def _initial_state(ctx: Context) -> str:
    team = ctx.require_team()
    return "pending" if team.review_required else "approved"


def _saved_message(state: str, moment: Moment, found: Sequence[str], *, names_someone: bool = False) -> str:
    label = cards.KIND_LABEL[moment.kind].lower()
    if state == "pending":
        text = f"Thanks! Your {label} #{moment.id} is waiting for a manager's review."
    else:
        text = f"Thanks! Your {label} #{moment.id} is in the pool for upcoming meetings."
    note = privacy.describe(found, names_someone=names_someone)
    return f"{text} {note}".strip()


def checked_story(ctx: Context, args: grammar.StoryArgs) -> tuple[StoryFields, privacy.MaskedTexts, tuple[str, ...]]:
    """A story's fields as they will be stored: checked, then masked; and the kinds of data masked.

    Tags are masked as typed: once made into slugs, "jane@example.com" no longer looks like an address.
    """
    tags = masked(ctx, *args.tags)
    fields = clean_story(
        situation=args.situation,
        action=args.action,
        reaction=args.reaction,
        lesson=args.lesson,
        tags=tags.texts,
        nps=args.nps,
        anonymous=args.anonymous,
    )
    texts = masked(ctx, fields.situation, fields.action, fields.reaction, fields.lesson)
    return fields, texts, privacy.merge(texts, tags).found


_MOMENT = reads.entity(Moment)


async def submit_story(ctx: Context, args: grammar.StoryArgs, *, read_back: bool = False) -> list[Reply]:
    """Save a new story; ``read_back`` (a one-line story) also shows how each part was read, to fix it."""
    team = ctx.require_team()
    fields, texts, found = checked_story(ctx, args)
    situation, action, reaction, lesson = texts.texts
    state = _initial_state(ctx)
    moment = await reads.inserted(
        ctx.session,
        _MOMENT,
        {
            "workspace_id": ctx.workspace.id,
            "team_id": team.id,
            "kind": "story",
            "state": state,
            "author_id": ctx.member.id,
            "anonymous": fields.anonymous,
            "situation": situation,
            "action": action,
            "reaction": reaction,
            "lesson": lesson,
            "tags": list(fields.tags),
            "nps": fields.nps,
            "created_at": ctx.now,
        },
    )
    logger.info("story %s saved in team %s (state %s, masked %s)", moment.id, team.id, state, found)
    message = _saved_message(state, moment, found, names_someone=texts.names_someone)
    earlier = await _same_story_told_before(ctx, moment)
    if earlier is not None:
        message += (
            f" It looks like your story #{earlier}; if it is the same one, `withdraw {moment.id}` removes this copy."
        )
    told = await reviewers_told(ctx, moment) if state == "pending" else []
    # An anonymous story's answer names its number: said where others see it, it would tell whose it is.
    seen_by = Visibility.ACTOR if moment.anonymous else Visibility.CHANNEL
    card = cards.story_readback(moment_view(moment)) if read_back else None
    return [Reply(text=message, card=card, visible_to=seen_by), *told]


# Managers told of one new submission waiting for review (a channel's first few, by when they became one).
REVIEWERS_TOLD = 5

_MANAGERS = (
    select(Member.id, Member.external_id)
    .join(TeamMember, TeamMember.member_id == Member.id)
    .where(
        TeamMember.team_id == bindparam("team_id"),
        Member.role.in_(("manager", "admin")),
        Member.id != bindparam("author_id"),
    )
    .order_by(Member.id)
)


async def reviewers_told(
    ctx: Context, moment: Moment, recognised: Collection[int] = (), *, again: bool = False
) -> list[Reply]:
    """A submission waits for review (``again``: changed by its author, it went back to review): the managers
    of its channel who decide on it (not its author; not the people a shout-out recognises, while another
    manager can) hear of it in a direct message naming neither its author nor its text, so that an anonymous
    story stays anonymous and nothing waits unseen."""
    team = await ctx.session.get(Team, moment.team_id) if moment.team_id is not None else None
    if team is None:
        return []
    author = moment.author_id if moment.author_id is not None else ctx.member.id
    managers = await reads.rows(ctx.session, _MANAGERS, {"team_id": team.id, "author_id": author})
    # Those recognised decide on it only when nobody else can (review._others_decide).
    deciding = [row for row in managers if row.id not in recognised] or list(managers)
    label = cards.KIND_LABEL[moment.kind].lower()
    where = cards.channel(team.name, unnamed="your channel")
    what = f"A {label} shared in {where} was changed and" if again else f"A new {label} shared in {where}"
    said = f"{what} is waiting for your review (#{moment.id}): `review` lists it."
    return [Reply(audience=Audience.DIRECT, to_member=row.external_id, text=said) for row in deciding[:REVIEWERS_TOLD]]


# An author's most recent stories compared with a new one: a story told twice is usually told again within
# weeks (a double submit, the same case retold), and reading a long history costs every submission.
SAME_STORY_LOOKBACK = 20
SAME_STORY_WITHIN = timedelta(days=120)


_RECENT_STORIES = (
    select(Moment.id, Moment.situation, Moment.lesson)
    .where(
        Moment.workspace_id == bindparam("workspace_id"),
        Moment.author_id == bindparam("author_id"),
        Moment.kind == "story",
        Moment.id != bindparam("story_id"),
        Moment.state != "withdrawn",
        Moment.created_at >= bindparam("since"),
    )
    .order_by(Moment.id.desc())
    .limit(SAME_STORY_LOOKBACK)
)


async def _same_story_told_before(ctx: Context, story: Moment) -> int | None:
    """The author's earlier story (not withdrawn) that this one repeats, if any."""
    told = similarity.shingles(f"{story.situation} {story.lesson}")
    rows = await reads.rows(
        ctx.session,
        _RECENT_STORIES,
        {
            "workspace_id": ctx.workspace.id,
            "author_id": ctx.member.id,
            "story_id": story.id,
            "since": ctx.now - SAME_STORY_WITHIN,
        },
    )
    for moment_id, situation, lesson in rows:
        if similarity.resemblance(told, similarity.shingles(f"{situation} {lesson}")) >= similarity.SAME_STORY:
            return int(moment_id)
    return None


def story_form_args(values: Mapping[str, Any]) -> grammar.StoryArgs:
    return grammar.StoryArgs(
        situation=forms.text_value(values, "situation"),
        action=forms.text_value(values, "action"),
        reaction=forms.text_value(values, "reaction"),
        lesson=forms.text_value(values, "lesson"),
        tags=tuple(forms.list_value(values, "tags")),
        nps=forms.text_value(values, "nps") or None,
        anonymous=forms.flag_value(values, "anonymous"),
    )


# Why someone a platform told us about cannot be recognised: only active human members can.
NOT_RECOGNISABLE = {
    Standing.BOT: "{name} is a bot or an app — a shout-out is for colleagues.",
    Standing.DEACTIVATED: "{name} is no longer an active member of this workspace.",
    Standing.UNKNOWN: "I can't find {name} in this workspace.",
    Standing.UNCHECKED: "I couldn't check who {name} is just now, so nothing was saved — please try again in a moment.",
}


def check_people(ctx: Context, tokens: Sequence[str]) -> None:
    """Refuse, before anything is stored, people the platform said are not active human members (or could
    not be asked about): each named by the label the person typed, with what was wrong."""
    problems = not_people(ctx, tokens, NOT_RECOGNISABLE, doing="in a shout-out")
    if problems:
        raise Invalid({"recipients": " ".join(problems)})


async def submit_shoutout(ctx: Context, tokens: Sequence[str], reason_text: str, private: bool) -> list[Reply]:
    team = ctx.require_team()
    reason = clean_reason(reason_text)
    check_people(ctx, tokens)
    people: list[Member] = []
    named_self = False
    for token in tokens:
        member = await find_person(ctx, token)
        if member.id == ctx.member.id:
            named_self = True  # recognition is for others: the giver is left out, the others keep theirs
        elif member not in people:
            people.append(member)
    if not people and named_self:
        raise Invalid({"recipients": "A shout-out is for someone else — tell a colleague what you saw them do."})
    if not people:
        raise Invalid({"recipients": "Who is it for? Pick at least one colleague."})
    if len(people) > 10:
        raise Invalid({"recipients": "Recognise at most 10 people in one shout-out."})
    masked_reason = masked(ctx, reason)
    state = _initial_state(ctx)
    moment = Moment(
        workspace_id=ctx.workspace.id,
        team_id=team.id,
        kind="shoutout",
        state=state,
        author_id=ctx.member.id,
        private=private,
        situation=masked_reason.texts[0],
        created_at=ctx.now,
    )
    ctx.session.add(moment)
    await ctx.session.flush()
    ctx.session.add_all(Recipient(moment_id=moment.id, member_id=m.id) for m in people)
    await ctx.session.flush()
    logger.info("shout-out %s saved in team %s (state %s, private %s)", moment.id, team.id, state, private)
    saved = _saved_message(state, moment, masked_reason.found, names_someone=masked_reason.names_someone).replace(
        "in the pool for upcoming meetings", "sent" if private else "shared"
    )
    if named_self:
        saved += " I left you out of it: a shout-out recognises others."
    replies = [say(saved)]
    if state == "approved":
        replies += shoutout_announcements(ctx, moment, people)
    else:
        replies += await reviewers_told(ctx, moment, {member.id for member in people})
    return replies


def shoutout_announcements(
    ctx: Context, moment: Moment, people: Sequence[Member], giver: Member | None = None
) -> list[Reply]:
    """The DM to each recipient and, unless private, the keyed post in the team channel (kept true of the
    shout-out afterwards: see bot.services.announcements)."""
    giver = giver or ctx.member
    card = announcements.card(giver, moment, people)
    replies = [
        Reply(
            card=card,
            audience=Audience.DIRECT,
            to_member=m.external_id,
            text=f"{giver.name} gave you a shout-out" + (" (privately)." if moment.private else "."),
        )
        for m in people
    ]
    if not moment.private and ctx.team is not None:
        replies.append(announcements.post(moment, ctx.team.external_id, card))
    return replies


async def submit_shoutout_form(ctx: Context) -> list[Reply]:
    values = ctx.incoming.form_values
    tokens = forms.list_value(values, "recipients")
    return await submit_shoutout(ctx, tokens, forms.text_value(values, "reason"), forms.flag_value(values, "private"))


async def add_exercise(ctx: Context, args: grammar.ExerciseArgs) -> list[Reply]:
    team = ctx.require_team()
    fields = clean_exercise(title=args.title, prompt=args.prompt, steps=args.steps, minutes=args.minutes)
    texts = masked(ctx, fields.title, fields.prompt, *fields.steps)
    title, prompt, *steps = texts.texts
    moment = Moment(
        workspace_id=ctx.workspace.id,
        team_id=team.id,
        kind="exercise",
        state="approved",
        author_id=ctx.member.id,
        title=title,
        situation=prompt,
        steps=steps,
        minutes=fields.minutes,
        created_at=ctx.now,
    )
    ctx.session.add(moment)
    await ctx.session.flush()
    added = f"Added exercise #{moment.id} “{moment.title}” to this channel's pool."
    return [say(f"{added} {privacy.describe(texts.found)}".strip())]


async def add_exercise_form(ctx: Context) -> list[Reply]:
    values = ctx.incoming.form_values
    steps = tuple(forms.text_value(values, "steps").splitlines())
    args = grammar.ExerciseArgs(
        forms.text_value(values, "title"),
        forms.text_value(values, "prompt"),
        steps,
        forms.text_value(values, "minutes"),
    )
    return await add_exercise(ctx, args)


async def own_moment(ctx: Context, moment_id: int) -> Moment:
    moment = await ctx.session.get(Moment, moment_id)
    if moment is None or moment.workspace_id != ctx.workspace.id or moment.library_key is not None:
        raise NotFound(f"There is no item #{moment_id} here.")
    return moment


async def withdraw(ctx: Context, moment_id: int) -> list[Reply]:
    moment = await own_moment(ctx, moment_id)
    if moment.author_id != ctx.member.id:
        also = f" A manager takes it down with `reject {moment_id} <reason>`." if ctx.is_manager else ""
        # For them alone, as the author's own answer is: which of the two it is would tell whose the item is.
        raise Refused(f"Only the author can withdraw #{moment_id}.{also}", private=True)
    if moment.state == "withdrawn":
        return [say(f"#{moment_id} is already withdrawn.")]
    note, replies = await taken_off(ctx, moment, state="withdrawn", why=retraction.WITHDRAWN)
    logger.info("moment %s withdrawn by its author", moment.id)
    return [say(f"Withdrawn #{moment_id}. It will not be featured.{note}"), *replies]


async def taken_off(ctx: Context, moment: Moment, *, state: str, why: str) -> tuple[str, list[Reply]]:
    """``moment`` in ``state`` (withdrawn, sent back), out of everything that showed it: the agendas still
    waiting for their meeting (each picks again, saying ``why``), its announcement in the channel, the
    cards of meetings that featured it. What the answer says of that, and the replies that do it."""
    was_shown = announcements.shown_in_channel(moment)  # hidden, private or in review: its announcement says so
    moment.state = state
    await board.mark_moment(ctx.session, moment.id, ctx.now)
    left = await retraction.retract(ctx.session, [moment.id], why=why, now=ctx.now, actor_id=ctx.member.id)
    note = " It left the agenda it was on; that meeting gets another moment." if left.items else ""
    announced = await announcements.redraw(ctx.session, moment)
    if not was_shown:  # its announcement was taken down before: nothing to take out again
        announced = announcements.Redrawn([], announced.channel, announced.cards)
    return note + _taken_down(announced), [*left.replies, *announced.all]


async def hide(ctx: Context, moment_id: int) -> list[Reply]:
    moment = await own_moment(ctx, moment_id)
    mine = await ctx.session.get(Recipient, (moment.id, ctx.member.id))
    if moment.kind != "shoutout" or mine is None:
        raise Refused(f"You can hide shout-outs about you; #{moment_id} is not one of them.")
    if mine.hidden:
        return [say(f"You already hid #{moment_id}; nothing changed.")]
    # Hiding is the hider's own choice: they leave what is shown and featured, the others keep their
    # recognition. Only when everyone it recognises has hidden it is the whole shout-out gone. The row lock
    # keeps two recipients hiding at once from each seeing the other still there.
    await ctx.session.execute(select(Moment.id).where(Moment.id == moment.id).with_for_update())
    mine.hidden = True
    await ctx.session.flush()
    others = await ctx.session.scalar(
        select(func.count()).where(Recipient.moment_id == moment.id, Recipient.hidden.is_(False))
    )
    logger.info("member %s hid shout-out %s (%s recipients still shown)", ctx.member.id, moment.id, others)
    if others:
        redrawn = await retraction.redraw(ctx.session, moment.id)
        announced = await announcements.redraw(ctx.session, moment)
        note = f" Its announcement in {announced.where} no longer names you." if announced.replies else ""
        if announced.cards:
            note += " The cards of meetings that featured it no longer name you either."
        done = f"Hidden #{moment_id} for you: you will not be shown or featured with it.{note}"
        return [say(done), *redrawn, *announced.all]
    moment.state = "hidden"
    await board.mark_moment(ctx.session, moment.id, ctx.now)
    why = retraction.HIDDEN
    left = await retraction.retract(ctx.session, [moment.id], why=why, now=ctx.now, actor_id=ctx.member.id)
    announced = await announcements.redraw(ctx.session, moment)
    note = _taken_down(announced)
    return [say(f"Hidden #{moment_id}. It will not be shown or featured.{note}"), *left.replies, *announced.all]


def _taken_down(announced: announcements.Redrawn) -> str:
    """What the answer says of the channel messages that showed the moment and no longer do."""
    note = f" I took its announcement out of {announced.where}." if announced.replies else ""
    if announced.cards:
        note += " The cards of meetings that featured it no longer show it."
    return note


async def set_opt_out(ctx: Context, opted_out: bool) -> list[Reply]:
    if ctx.member.opted_out == opted_out:
        if opted_out:
            return [say("Nothing changed: you had already opted out of being featured in meetings. `optin` undoes it.")]
        return [say("Nothing changed: items about you can already be featured in meetings. `optout` stops that.")]
    ctx.member.opted_out = opted_out
    logger.info("member %s opted %s", ctx.member.id, "out" if opted_out else "in")
    if opted_out:
        left = await retraction.after_opt_out(ctx.session, ctx.member, ctx.now)
        note = " The meetings that were going to feature them get another moment." if left.items else ""
        done = "Done: stories and shout-outs about you will not be featured in meetings."
        return [say(f"{done}{note} `optin` undoes it."), *left.replies]
    return [say("Welcome back: items about you can be featured in meetings again.")]


async def mine(ctx: Context) -> list[Reply]:
    lines: dict[int, list[str]] = {AUTHORED: [], RECEIVED: []}
    found = await reads.rows(ctx.session, MINE, {"workspace_id": ctx.workspace.id, "member_id": ctx.member.id})
    featured = await featured_notes(ctx.session, {row.id for row in found})
    for row in found:
        standing = cards.ItemStanding(
            anonymous=bool(row.anonymous),
            private=bool(row.private),
            you_hid=bool(row.you_hid),
            held_back=bool(row.held_back),
            you_opted_out=ctx.member.opted_out,
            decision_note=row.decision_note or "",
            featured=tuple(featured.get(row.id, ())),
        )
        lines[row.part].append(cards.moment_line(row, notes=cards.standing_notes(row, standing)))
    authored, received = lines[AUTHORED], lines[RECEIVED]
    sections = [Section("\n".join(authored) or "Nothing yet — try `story`.", "What you shared")]
    if received:
        sections.append(Section("\n".join(received), "Shout-outs for you"))
    if ctx.member.opted_out:
        sections.append(Section("You have opted out of being featured in meetings (`optin` to undo)."))
    return [Reply(card=Card(title="Your moments", sections=tuple(sections)))]
