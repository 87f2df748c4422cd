"""The core's front door: one incoming event in, neutral replies out, in one transaction.

Every surface calls :meth:`CustomerMoment.handle`. Rules, permissions and validation live behind
it, once; a failed rule rolls the whole event back and becomes a friendly reply.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import commands, forms
from bot.domain import recurrence
from bot.domain.recurrence import ScheduleError, UnknownZone
from bot.domain.validation import Invalid
from bot.events import Incoming, Person, Place, oversized_id, scrubbed
from bot.replies import Reply, say
from bot.services import agenda, calendars, meetings, members, moments, review, stats
from bot.services.calendars import Calendars
from bot.services.context import Context, NotFound, Refused, resolve
from bot.storage.models import Workspace

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Handler = Callable[[Context], Awaitable[list[Reply]]]

UNAVAILABLE = "I can't reach my database right now — please try again in a moment."
BROKEN = "Something went wrong on my side and it has been logged. Please try again."


def utc_now() -> datetime:
    return datetime.now(UTC)


class CustomerMoment:
    """The platform-neutral bot."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock = utc_now,
        calendars: Calendars | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._calendars = calendars

    async def handle(self, incoming: Incoming) -> list[Reply]:
        is_form = incoming.form_id is not None
        incoming = scrubbed(incoming)
        if oversized_id(incoming):
            logger.warning("refused an event with an oversized id from %s", incoming.place.platform)
            return [say("That request could not be read. Please try again from your chat app.")]
        try:
            async with self._sessions.begin() as session:
                ctx = await resolve(session, incoming, self._clock())
                return await self._route(ctx)
        except commands.UsageError as exc:
            return [say(str(exc))]
        except Invalid as exc:
            if is_form:
                return [Reply(text=str(exc), errors=exc.problems)]
            return [say("\n".join(exc.problems.values()))]
        except UnknownZone as exc:
            return [Reply(text=str(exc), errors={"zone": str(exc)})] if is_form else [say(str(exc))]
        except ScheduleError as exc:
            return [Reply(text=str(exc), errors={"time": str(exc)})] if is_form else [say(str(exc))]
        except Refused as exc:
            return [say(str(exc))]
        except (OperationalError, PoolTimeout, DBAPIError, OSError) as exc:
            logger.error(
                "database unavailable while handling %s from %s/%s: %s",
                _what(incoming),
                incoming.place.platform,
                incoming.place.workspace_id,
                exc,
            )
            return [say(UNAVAILABLE)]
        except Exception:
            logger.exception(
                "failed to handle %s from %s/%s", _what(incoming), incoming.place.platform, incoming.place.workspace_id
            )
            return [say(BROKEN)]

    async def remember_post(self, *, platform: str, workspace_id: str, key: str, ref: dict[str, Any]) -> None:
        """A surface posted a keyed message (e.g. an agenda card): remember where, for updates in place."""
        async with self._sessions.begin() as session:
            workspace = await session.scalar(
                select(Workspace).where(Workspace.platform == platform, Workspace.external_id == workspace_id)
            )
            if workspace is not None:
                await agenda.remember_post(session, workspace.id, key, ref)

    async def introduce(self, place: Place, people: Sequence[Person], *, zone: str | None = None) -> None:
        """Make a workspace, its channel and people known before anyone has acted (rosters, demo data)."""
        async with self._sessions.begin() as session:
            for person in people:
                ctx = await resolve(session, Incoming(place=place, actor=person), self._clock())
            if people and zone is not None and ctx.team is not None and ctx.team.zone == "UTC":
                ctx.team.zone = recurrence.zone(zone).key

    async def _route(self, ctx: Context) -> list[Reply]:
        incoming = ctx.incoming
        if incoming.form_id == "schedule" and forms.follows_calendar(incoming.form_values):
            return await calendars.follow(ctx, self._calendars, forms.follow_args(incoming.form_values))
        if incoming.form_id is not None:
            handler = FORMS.get(incoming.form_id)
            if handler is None:
                raise Refused("That form is no longer available. Please start again.")
            return await handler(ctx)
        if incoming.action is not None:
            return await _action(ctx, incoming.action, incoming.action_value)
        command = commands.parse(incoming.text)
        if command.name == "schedule" and commands.is_follow(command.rest):
            return await calendars.follow(ctx, self._calendars, commands.follow(command))
        return await _command(ctx, command)


def _what(incoming: Incoming) -> str:
    if incoming.form_id:
        return f"form {incoming.form_id!r}"
    if incoming.action:
        return f"action {incoming.action!r}"
    return f"command {incoming.text.split(' ', 1)[0][:30]!r}"


FORMS: dict[str, Handler] = {
    "story": moments.submit_story_form,
    "shoutout": moments.submit_shoutout_form,
    "exercise": moments.add_exercise_form,
    "schedule": meetings.schedule_form,
    "reject": review.reject_form,
}


async def _action(ctx: Context, action: str, value: str) -> list[Reply]:
    number = commands.record_id(value)
    if commands.beyond_any_id(value):
        raise NotFound(f"There is no item #{value.strip()[:24]} here.")
    agenda_actions = {
        "agenda.swap": agenda.swap,
        "agenda.skip": agenda.skip,
        "agenda.done": agenda.done,
        "agenda.helpful": agenda.helpful,
    }
    if action in agenda_actions and number is not None:
        return await agenda_actions[action](ctx, number)
    if action == "review.approve" and number is not None:
        return await review.approve(ctx, number)
    if action == "review.reject" and number is not None:
        return await review.reject(ctx, number, "")
    if action == "open.story":
        return [Reply(form=forms.STORY)]
    if action == "open.shoutout":
        return [Reply(form=forms.SHOUTOUT)]
    raise Refused("That button is no longer active.")


async def _command(ctx: Context, command: commands.Command) -> list[Reply]:
    name = command.name
    if name == "help":
        return [say(commands.help_text(command.words[0] if command.words else None))]
    if name == "story":
        if not command.rest:
            return [Reply(form=forms.STORY)]
        return await moments.submit_story(ctx, commands.quick_story(command))
    if name == "shoutout":
        if not command.rest:
            return [Reply(form=forms.SHOUTOUT)]
        args = commands.shoutout(command)
        return await moments.submit_shoutout(ctx, args.recipients, args.reason, args.private)
    if name == "exercise":
        if not command.rest:
            return [Reply(form=forms.EXERCISE)]
        return await moments.add_exercise(ctx, commands.exercise(command))
    simple: dict[str, Callable[[], Awaitable[list[Reply]]]] = {
        "schedule": lambda: meetings.schedule(ctx, command.rest),
        "meetings": lambda: meetings.list_series(ctx),
        "request": lambda: agenda.request(ctx, commands.request_offset_minutes(command)),
        "swap": lambda: agenda.swap(ctx, commands.number(command, required=False)),
        "skip": lambda: agenda.skip(ctx, commands.number(command, required=False)),
        "done": lambda: agenda.done(ctx, commands.number(command, required=False)),
        "helpful": lambda: agenda.helpful(ctx, commands.number(command, required=False)),
        "queue": lambda: agenda.queue(ctx),
        "mine": lambda: moments.mine(ctx),
        "optout": lambda: moments.set_opt_out(ctx, True),
        "optin": lambda: moments.set_opt_out(ctx, False),
        "stats": lambda: stats.stats(ctx, command.rest),
        "export": lambda: stats.export(ctx, command.rest),
        "managers": lambda: members.managers(ctx, command),
        "timezone": lambda: meetings.set_zone(ctx, command.rest) if command.rest else _usage(name),
    }
    if name in simple:
        return await simple[name]()
    if name == "review":
        return await (review.set_review(ctx, command.rest.lower()) if command.rest else review.queue(ctx))
    number = commands.number(command)
    assert number is not None
    if name == "approve":
        return await review.approve(ctx, number)
    if name == "reject":
        return await review.reject(ctx, *commands.number_and_text(command))
    if name == "withdraw":
        return await moments.withdraw(ctx, number)
    if name == "hide":
        return await moments.hide(ctx, number)
    if name in ("pause", "resume", "unschedule"):
        state = {"pause": "paused", "resume": "active", "unschedule": "deleted"}[name]
        return await meetings.set_state(ctx, number, state)
    if name == "remind":
        _, text = commands.number_and_text(command)
        return await meetings.set_reminder(ctx, number, text)
    if name == "skipdate":
        _, text = commands.number_and_text(command)
        return await meetings.skip_date(ctx, number, text)
    raise commands.UsageError(name)


async def _usage(name: str) -> list[Reply]:
    raise commands.UsageError(name)
