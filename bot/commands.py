"""The command table: every command, card action and form the bot understands, each declared once.

A declaration names the command, its aliases, its usage line and help, who may use it, and its handler
(which reads its own arguments with :mod:`bot.grammar`). Help, parsing and routing are all driven by
these tables; adding a command means adding one :class:`CommandSpec` to :data:`COMMANDS`.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import ParamSpec

from bot import cards, forms, grammar
from bot.domain.lifecycle import SeriesState
from bot.grammar import MAX_COMMAND_TEXT, Command, UsageError
from bot.replies import Form, Reply, for_asker, say
from bot.services import (
    agenda,
    board,
    calendars,
    capture,
    editing,
    linking,
    meeting_chats,
    meetings,
    members,
    moments,
    presenting,
    review,
    stats,
    undo,
)
from bot.services.context import Context, NotFound, Refused

CommandHandler = Callable[[Context, Command], Awaitable[list[Reply]]]
ItemHandler = Callable[[Context, int], Awaitable[list[Reply]]]
FormHandler = Callable[[Context], Awaitable[list[Reply]]]
TextHandler = Callable[[Context, str], Awaitable[list[Reply]]]
P = ParamSpec("P")


class Who(Enum):
    """Who may use a command; the handler's use case enforces it, the table states it for help and tests."""

    ANYONE = "anyone"
    MANAGERS = "managers"
    ADMINS = "admins"


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    usage: str
    help: str
    handler: CommandHandler
    aliases: tuple[str, ...] = ()
    who: Who = Who.ANYONE
    examples: tuple[str, ...] = ()  # shown by ``help <command>``
    only_on: frozenset[str] = frozenset()  # the platforms whose help lists it (none: every one)


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """A button: ``handler`` gets the item number the button carries, or opens a form when ``opens`` is set;
    ``reads`` gets the action's value as text (a message shared with the bot)."""

    action: str
    handler: ItemHandler | None = None
    opens: Form | None = None
    reads: TextHandler | None = None
    updates_agenda_card: bool = False  # the pressed agenda card shows the item's new state
    decides: bool = False  # the pressed card (a review item) is used up: it turns into the decision


@dataclass(frozen=True, slots=True)
class FormSpec:
    """A form the core hands out; ``form`` rebuilds it from its context, to show it again with its problems."""

    form_id: str
    handler: FormHandler
    form: Callable[[str], Form | None]


# --- handlers that read their arguments --------------------------------------------------------------


def _theirs(handler: Callable[P, Awaitable[list[Reply]]]) -> Callable[P, Awaitable[list[Reply]]]:
    """A handler whose answers show the person's own items as they are stored (pending, sent back or private
    ones too): for the person who asked alone, wherever they asked."""

    async def run(*args: P.args, **kwargs: P.kwargs) -> list[Reply]:
        return for_asker(await handler(*args, **kwargs))

    return run


def _form_or(form: Form, handler: CommandHandler) -> CommandHandler:
    """No text opens the form; text is the one-line version."""

    async def run(ctx: Context, command: Command) -> list[Reply]:
        return [Reply(form=form)] if not command.rest else await handler(ctx, command)

    return run


def _on_item(handler: ItemHandler) -> CommandHandler:
    async def run(ctx: Context, command: Command) -> list[Reply]:
        number = grammar.number(command)
        assert number is not None
        return await handler(ctx, number)

    return run


def _on_next(handler: Callable[[Context, int | None], Awaitable[list[Reply]]]) -> CommandHandler:
    async def run(ctx: Context, command: Command) -> list[Reply]:
        return await handler(ctx, grammar.number(command, required=False))

    return run


def _on_item_and_text(handler: Callable[[Context, int, str], Awaitable[list[Reply]]]) -> CommandHandler:
    async def run(ctx: Context, command: Command) -> list[Reply]:
        return await handler(ctx, *grammar.number_and_text(command))

    return run


def _series_state(state: SeriesState) -> CommandHandler:
    async def run(ctx: Context, command: Command) -> list[Reply]:
        number = grammar.number(command)
        assert number is not None
        return await meetings.set_state(ctx, number, state)

    return run


async def _help(ctx: Context, command: Command) -> list[Reply]:
    return [say(help_text(command.words[0] if command.words else None, platform=ctx.incoming.place.platform))]


async def _story(ctx: Context, command: Command) -> list[Reply]:
    return await moments.submit_story(ctx, grammar.quick_story(command), read_back=True)


async def _story_form(ctx: Context) -> list[Reply]:
    """A new story, or (with the story's number as the form's context) changes to one."""
    args = moments.story_form_args(ctx.incoming.form_values)
    editing_id = grammar.record_id(ctx.incoming.form_context)
    if ctx.incoming.form_context and editing_id is None:
        raise Refused("That form has expired; use `edit` again.")
    if editing_id:
        return await _theirs(editing.save_story)(ctx, editing_id, args)
    return await moments.submit_story(ctx, args)


async def _shoutout_form(ctx: Context) -> list[Reply]:
    editing_id = grammar.record_id(ctx.incoming.form_context)
    if ctx.incoming.form_context and editing_id is None:
        raise Refused("That form has expired; use `edit` again.")
    if editing_id is None:
        return await moments.submit_shoutout_form(ctx)
    values = ctx.incoming.form_values
    return await _theirs(editing.save_shoutout)(
        ctx, editing_id, forms.text_value(values, "reason"), forms.flag_value(values, "private")
    )


async def _shoutout(ctx: Context, command: Command) -> list[Reply]:
    args = grammar.shoutout(command)
    return await moments.submit_shoutout(ctx, args.recipients, args.reason, args.private)


async def _exercise(ctx: Context, command: Command) -> list[Reply]:
    return await moments.add_exercise(ctx, grammar.exercise(command))


async def _request(ctx: Context, command: Command) -> list[Reply]:
    return await agenda.request(ctx, grammar.request_offset_minutes(command))


async def _review(ctx: Context, command: Command) -> list[Reply]:
    return await (review.set_review(ctx, command.rest.lower()) if command.rest else review.queue(ctx))


async def _timezone(ctx: Context, command: Command) -> list[Reply]:
    if not command.rest:
        return await meetings.show_zone(ctx)
    return await meetings.set_zone(ctx, command.rest)


def _rest(handler: Callable[[Context, str], Awaitable[list[Reply]]]) -> CommandHandler:
    async def run(ctx: Context, command: Command) -> list[Reply]:
        return await handler(ctx, command.rest)

    return run


def _plain(handler: Callable[[Context], Awaitable[list[Reply]]]) -> CommandHandler:
    async def run(ctx: Context, command: Command) -> list[Reply]:
        return await handler(ctx)

    return run


async def _schedule(ctx: Context, command: Command) -> list[Reply]:
    """A typed rule, or ``schedule from <feed URL>``: a series that follows a calendar."""
    if grammar.is_follow(command.rest):
        return await calendars.follow(ctx, ctx.calendars, grammar.follow(command))
    return await meetings.schedule(ctx, command.rest)


async def _schedule_form(ctx: Context) -> list[Reply]:
    """The schedule form: its "Follow my calendar" choice, or a typed rule built from its fields."""
    values = ctx.incoming.form_values
    if forms.follows_calendar(values):
        return await calendars.follow(ctx, ctx.calendars, forms.follow_args(values))
    return await meetings.schedule_form(ctx)


async def _optout(ctx: Context, command: Command) -> list[Reply]:
    return await moments.set_opt_out(ctx, True)


async def _optin(ctx: Context, command: Command) -> list[Reply]:
    return await moments.set_opt_out(ctx, False)


# --- the tables -------------------------------------------------------------------------------------

MANAGERS, ADMINS = Who.MANAGERS, Who.ADMINS

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("help", "help [command]", "Show what I can do.", _help, aliases=("?",)),
    CommandSpec(
        "story",
        "story [anon] <what happened> [| did: …] [| reaction: …] lesson: <the lesson> [tags: a, b] [nps: …]",
        "Share a customer story (no text: open the form). did: and reaction: start a part after |, a line break"
        " or a full stop, so a sentence such as 'what we did: …' stays as you wrote it.",
        _form_or(forms.STORY, _story),
    ),
    CommandSpec(
        "shoutout",
        "shoutout [private] @name [@name …] <what they did, specifically>",
        "Recognise colleagues for specific service behaviour.",
        _form_or(forms.SHOUTOUT, _shoutout),
        aliases=("shout-out", "kudos"),
    ),
    CommandSpec(
        "exercise",
        "exercise <title> | <prompt> | <step>; <step> [| <minutes>]",
        "Add an exercise of your team's own.",
        _form_or(forms.EXERCISE, _exercise),
    ),
    CommandSpec(
        "schedule",
        "schedule weekly tue 10:00 Europe/Berlin lead 30m",
        "Put this channel's recurring meeting on the bot (no text: open the form).",
        _schedule,
        who=MANAGERS,
        examples=(
            "schedule biweekly thu 14:30 America/New_York from 2026-12-10   (from: the first meeting)",
            "schedule every 3 weeks mon 09:00 lead 1h",
            "schedule monthly 1st mon 10:00 Europe/London   (1st, 2nd, 3rd, 4th or last)",
            "schedule daily 09:15 Asia/Singapore   (Monday to Friday)",
            "schedule rrule FREQ=WEEKLY;BYDAY=TU,TH 10:00 Europe/Berlin",
            "schedule weekly tue 10:00 skip 2026-12-22,2026-12-29   (no moment on those dates)",
            "schedule from https://calendar.google.com/…/basic.ics   (follow a calendar: day and time come from it)",
            "schedule from https://outlook.office365.com/…/calendar.ics match Weekly sync lead 1h"
            "   (match: words from the meeting's title, when the calendar has several)",
        ),
    ),
    CommandSpec("meetings", "meetings", "List this channel's meetings.", _plain(meetings.list_series)),
    CommandSpec(
        "pause", "pause <meeting #>", "Pause a meeting series.", _series_state(SeriesState.PAUSED), who=MANAGERS
    ),
    CommandSpec(
        "resume",
        "resume <meeting #>",
        "Resume a paused meeting series.",
        _series_state(SeriesState.ACTIVE),
        aliases=("unpause",),
        who=MANAGERS,
    ),
    CommandSpec(
        "unschedule",
        "unschedule <meeting #>",
        "Delete a meeting series.",
        _series_state(SeriesState.DELETED),
        aliases=("delete", "cancel"),
        who=MANAGERS,
    ),
    CommandSpec(
        "remind",
        "remind <meeting #> <1h|1d|off>",
        "DM the organizer this long before the moment is posted.",
        _on_item_and_text(meetings.set_reminder),
        who=MANAGERS,
    ),
    CommandSpec(
        "skipdate",
        "skipdate <meeting #> <YYYY-MM-DD>",
        "Skip one date of a series (holiday, day off).",
        _on_item_and_text(meetings.skip_date),
        who=MANAGERS,
    ),
    CommandSpec(
        "request",
        "request [in <15m|2h|1h 30m>]",
        "Get a moment for a one-off meeting now, or for one starting within 24 hours.",
        _request,
    ),
    CommandSpec("swap", "swap [agenda #]", "Draw another moment for the next meeting.", _on_next(agenda.swap)),
    CommandSpec(
        "skip", "skip [agenda #]", "No moment at this meeting; the item goes back to the pool.", _on_next(agenda.skip)
    ),
    CommandSpec(
        "done", "done [agenda #]", "Mark the moment presented.", _on_next(presenting.done), aliases=("presented",)
    ),
    CommandSpec("helpful", "helpful [agenda #]", "Say the moment was helpful.", _on_next(agenda.helpful)),
    CommandSpec(
        "undo",
        "undo [agenda #]",
        "Take back `done` or `skip` on the current meeting's moment.",
        _on_next(undo.undo),
        examples=("undo", "undo 12"),
    ),
    CommandSpec(
        "queue",
        "queue",
        "See the upcoming agenda and the waiting pool.",
        _plain(agenda.queue),
        aliases=("next",),
    ),
    CommandSpec(
        "review",
        "review [on|off]",
        "Managers: see items waiting for review, or switch review on/off.",
        _review,
        who=MANAGERS,
    ),
    # A manager's decisions are answered to them alone: a refusal on their own anonymous story must not stand out.
    CommandSpec(
        "approve", "approve <#>", "Managers: approve a waiting item.", _theirs(_on_item(review.approve)), who=MANAGERS
    ),
    CommandSpec(
        "reject",
        "reject <#> <reason>",
        "Managers: send an item back to its author with a reason.",
        _theirs(_on_item_and_text(review.reject)),
        who=MANAGERS,
    ),
    CommandSpec("stats", "stats [days]", "Participation for this channel (default: last 90 days).", _rest(stats.stats)),
    CommandSpec(
        "export", "export [csv|json]", "Managers: export this channel's data.", _rest(stats.export), who=MANAGERS
    ),
    CommandSpec(
        "mine",
        "mine",
        "Your stories and shout-outs and where they stand.",
        _theirs(_plain(moments.mine)),
        aliases=("my",),
    ),
    CommandSpec(
        "edit",
        "edit <#>",
        "Change one of your own stories or shout-outs (opens its form, filled in).",
        _theirs(_on_item(editing.edit)),
        aliases=("change",),
    ),
    # Their answers name the person's own item, or a shout-out about them, which may be a private one.
    CommandSpec("withdraw", "withdraw <#>", "Withdraw one of your own items.", _theirs(_on_item(moments.withdraw))),
    CommandSpec("hide", "hide <#>", "Hide a shout-out about you.", _theirs(_on_item(moments.hide))),
    CommandSpec("optout", "optout", "Never feature items about you in meetings.", _optout, aliases=("opt-out",)),
    CommandSpec("optin", "optin", "Allow items about you to be featured again.", _optin, aliases=("opt-in",)),
    CommandSpec(
        "managers",
        "managers [add|remove @name]",
        "Admins: list or change managers.",
        members.managers,
        who=ADMINS,
    ),
    CommandSpec(
        "pool",
        "pool [#channel | off]",
        "In a meeting chat: draw its meetings' moments from a channel's pool (or its own).",
        _rest(linking.command),
        examples=("pool #support", "pool off"),
        only_on=frozenset({"teams", "console"}),  # meeting chats are Teams'
    ),
    CommandSpec(
        "canvas",
        "canvas [on|off]",
        "Managers: keep a Customer Moment section in this channel's canvas, or stop.",
        _rest(board.canvas),
        who=MANAGERS,
        only_on=frozenset({"slack", "console"}),  # channel canvases are Slack's
    ),
    CommandSpec(
        "timezone",
        "timezone [Area/City]",
        "See this channel's time zone; managers set it.",
        _timezone,
        aliases=("tz",),
        who=MANAGERS,
    ),
)

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("agenda.swap", agenda.swap, updates_agenda_card=True),
    ActionSpec("agenda.skip", agenda.skip, updates_agenda_card=True),
    ActionSpec("agenda.done", agenda.done, updates_agenda_card=True),
    ActionSpec("agenda.helpful", agenda.helpful, updates_agenda_card=True),
    ActionSpec("agenda.undo", undo.undo, updates_agenda_card=True),
    ActionSpec(
        meeting_chats.PRESENTED_ACTION,
        lambda ctx, number: meeting_chats.answer(ctx, number, presented=True),
        decides=True,
    ),
    ActionSpec(
        meeting_chats.NOT_PRESENTED_ACTION,
        lambda ctx, number: meeting_chats.answer(ctx, number, presented=False),
        decides=True,
    ),
    # A meeting chat's card: the same rules as `pool #channel` (through its form) and `pool off`.
    ActionSpec(cards.POOL_CHOOSE_ACTION, lambda ctx, _number: linking.choose(ctx)),
    ActionSpec(cards.POOL_OWN_ACTION, lambda ctx, _number: linking.own_pool(ctx)),
    ActionSpec("review.approve", review.approve, decides=True),
    ActionSpec("review.reject", lambda ctx, number: review.reject(ctx, number, ""), decides=True),
    ActionSpec(editing.EDIT_ACTION, _theirs(editing.edit)),
    ActionSpec("open.story", opens=forms.STORY),
    ActionSpec("open.shoutout", opens=forms.SHOUTOUT),
    ActionSpec(capture.ACTION, reads=capture.capture_message),
)


def _fixed(form: Form) -> Callable[[str], Form | None]:
    return lambda context: form


def _story_again(context: str) -> Form | None:
    number = grammar.record_id(context)
    return forms.story_form(number, {}) if number is not None else forms.STORY


def _shoutout_again(context: str) -> Form | None:
    number = grammar.record_id(context)
    return forms.shoutout_edit_form(number, {}) if number is not None else forms.SHOUTOUT


def _reject_form(context: str) -> Form | None:
    number = grammar.record_id(context)
    return forms.reject_form(number) if number is not None else None


FORMS: tuple[FormSpec, ...] = (
    FormSpec("story", _story_form, _story_again),
    FormSpec("shoutout", _shoutout_form, _shoutout_again),
    FormSpec("exercise", moments.add_exercise_form, _fixed(forms.EXERCISE)),
    FormSpec("schedule", _schedule_form, _fixed(forms.SCHEDULE)),
    FormSpec("reject", review.reject_form, _reject_form),
    # Its choices are the person's channels: a refusal is answered in words, the form is not shown again.
    FormSpec(forms.POOL_FORM_ID, linking.chosen, lambda _context: None),
)

BY_NAME: Mapping[str, CommandSpec] = {spec.name: spec for spec in COMMANDS}
BY_WORD: Mapping[str, CommandSpec] = {
    **{alias: spec for spec in COMMANDS for alias in spec.aliases},
    **BY_NAME,
}
BY_ACTION: Mapping[str, ActionSpec] = {spec.action: spec for spec in ACTIONS}
BY_FORM: Mapping[str, FormSpec] = {spec.form_id: spec for spec in FORMS}
AGENDA_CARD_ACTIONS = frozenset(spec.action for spec in ACTIONS if spec.updates_agenda_card)
DECIDING_ACTIONS = frozenset(spec.action for spec in ACTIONS if spec.decides)


# --- parsing, help and routing ------------------------------------------------------------------------


PLATFORM_NAMES = {"slack": "Slack", "teams": "Microsoft Teams", "console": "the console"}
FORM_COMMANDS = frozenset({"story", "shoutout", "exercise"})  # typed alone, these open a form with a field per part


def parse(text: str) -> Command:
    """Split a command line into its name and the rest. An empty line is ``help``."""
    line = (text or "").strip()
    if len(line) > MAX_COMMAND_TEXT:
        too_long = f"That is too long for one command (over {MAX_COMMAND_TEXT:,} characters)."
        spec = BY_WORD.get(grammar.split_first(line[:100])[0].lower().lstrip("/"))
        if spec is not None and spec.name in FORM_COMMANDS:
            too_long += f" Type `{spec.name}` alone to open its form, which has room for each part."
        raise UsageError(spec.name if spec is not None else None, too_long)
    if not line:
        return Command("help")
    head, rest = grammar.split_first(line)
    word = head.lower().lstrip("/")
    if word == "moment" and rest.strip():  # "moment story …" typed into a surface that did not strip it
        return parse(rest)
    spec = BY_WORD.get(word)
    if spec is None:
        raise UsageError(None, f"I don't know the command '{head[:40]}'.")
    rest = rest.strip()
    return Command(spec.name, rest, tuple(rest.split()))


def explain(error: UsageError) -> str:
    """What a person reads for a malformed command: the problem and that command's usage line."""
    spec = BY_NAME.get(error.command or "")
    if spec is None:
        return f"{error.problem} Try `help` to see what I can do."
    return f"{error.problem}\nUsage: {spec.usage}"


def help_text(topic: str | None = None, *, platform: str = "") -> str:
    """``help``: every command this platform has; ``help <command>``: that one's usage and examples. An
    unknown topic is said to be one, with the nearest command names, before the list."""
    spec = BY_WORD.get(topic.lower()) if topic else None
    if spec is not None:
        lines = [spec.usage, spec.help, *(f"  {example}" for example in spec.examples)]
        if spec.only_on and platform and platform not in spec.only_on:
            lines.append(f"It does nothing in {PLATFORM_NAMES.get(platform, platform)}.")
        return "\n".join(lines)
    offered = [spec for spec in COMMANDS if not spec.only_on or not platform or platform in spec.only_on]
    lines = []
    if topic:
        near = difflib.get_close_matches(topic.lower(), [spec.name for spec in COMMANDS], n=2, cutoff=0.6)
        guess = f" Did you mean {' or '.join(f'`help {name}`' for name in near)}?" if near else ""
        lines += [f"There is no command `{topic[:40]}`.{guess} Here is everything I understand:", ""]
    lines += ["Customer Moment — a customer story, exercise or shout-out in every meeting.", ""]
    lines += [f"{spec.usage}  —  {spec.help}" for spec in offered]
    return "\n".join(lines)


def form_for(form_id: str, context: str) -> Form | None:
    """The form a submission came from, rebuilt to show it again with its problems."""
    spec = BY_FORM.get(form_id)
    return spec.form(context) if spec is not None else None


async def run_command(ctx: Context, text: str) -> list[Reply]:
    command = parse(text)
    return await BY_NAME[command.name].handler(ctx, command)


async def run_action(ctx: Context, action: str, value: str) -> list[Reply]:
    spec = BY_ACTION.get(action)
    if spec is None:
        raise Refused("That button is no longer active.")
    if spec.opens is not None:
        return [Reply(form=spec.opens)]
    if spec.reads is not None:
        return await spec.reads(ctx, value)
    if grammar.beyond_any_id(value):
        raise NotFound(f"There is no item #{value.strip()[:24]} here.")
    number = grammar.record_id(value)
    if number is None or spec.handler is None:
        raise Refused("That button is no longer active.")
    return await spec.handler(ctx, number)


async def run_form(ctx: Context, form_id: str) -> list[Reply]:
    spec = BY_FORM.get(form_id)
    if spec is None:
        raise Refused("That form is no longer available. Please start again.")
    return await spec.handler(ctx)
