"""The core's front door: one incoming event in, neutral replies out, in one transaction.

Every surface calls :meth:`CustomerMoment.handle`. Rules, permissions and validation live behind
it, once; a failed rule rolls the whole event back and becomes a friendly reply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import commands
from bot.domain import recurrence
from bot.domain.recurrence import ScheduleError, UnknownZone
from bot.domain.validation import Invalid, scrub
from bot.events import (
    MAX_ID,
    Incoming,
    MeetingEvent,
    MeetingPhase,
    Person,
    Place,
    oversized_id,
    oversized_meeting,
    scrubbed,
    scrubbed_meeting,
)
from bot.grammar import UsageError
from bot.log_safety import error_summary
from bot.replies import Form, MeetingAnswer, Outcome, Reply, Visibility
from bot.services import meeting_chats, pools
from bot.services.context import Context, Refused, forget_team_members, resolve
from bot.services.posts import remember_post
from bot.storage.engine import Transaction
from bot.storage.models import Team, Workspace

if TYPE_CHECKING:
    from bot.services.calendars import Calendars

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]

UNAVAILABLE = "I can't reach my database right now — please try again in a moment."
BROKEN = "Something went wrong on my side and it has been logged. Please try again."


MEETING_PHASES = {
    MeetingPhase.AHEAD: meeting_chats.ahead,
    MeetingPhase.STARTED: meeting_chats.started,
    MeetingPhase.ENDED: meeting_chats.ended,
}


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
        self._calendars = calendars  # the feed reader and keys calendar series need; None: following is refused

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """The replies to one event. A refusal or failure is a single reply saying so in its ``outcome``;
        a form submission that did not go through carries that form (``retry_form``) to show again."""
        incoming = scrubbed(incoming)
        if oversized_id(incoming):
            logger.warning("refused an event with an oversized id from %s", incoming.place.platform)
            return [_refusal("That request could not be read. Please try again from your chat app.")]
        try:
            async with Transaction(self._sessions) as session:
                ctx = await resolve(session, incoming, self._clock())
                ctx.calendars = self._calendars
                return await self._route(ctx)
        except UsageError as exc:
            return [_refusal(commands.explain(exc))]
        except Invalid as exc:
            if incoming.form_id is not None:
                return [_form_refusal(incoming, str(exc), exc.problems)]
            return [_refusal("\n".join(exc.problems.values()))]
        except UnknownZone as exc:
            return [_form_refusal(incoming, str(exc), {"zone": str(exc)})]
        except ScheduleError as exc:
            return [_form_refusal(incoming, str(exc), {"time": str(exc)})]
        except Refused as exc:
            return [_refusal(str(exc), Visibility.ACTOR if exc.private else Visibility.CHANNEL)]
        except (OperationalError, PoolTimeout, DBAPIError, OSError) as exc:
            logger.error(
                "database unavailable while handling %s from %s/%s: %s",
                _what(incoming),
                incoming.place.platform,
                incoming.place.workspace_id,
                error_summary(exc),
            )
            return [_failure(incoming, UNAVAILABLE, Outcome.UNAVAILABLE)]
        except Exception as exc:
            logger.error(
                "failed to handle %s from %s/%s: %s",
                _what(incoming),
                incoming.place.platform,
                incoming.place.workspace_id,
                error_summary(exc),
            )
            return [_failure(incoming, BROKEN, Outcome.FAILED)]

    async def remember_post(self, *, platform: str, workspace_id: str, key: str, ref: dict[str, Any]) -> None:
        """A surface posted a keyed message (e.g. an agenda card): remember where, for updates in place."""
        await self._remember(platform, workspace_id, [(key, ref)])

    async def remember_posts(
        self, *, platform: str, workspace_id: str, replies: Sequence[Reply], refs: Sequence[Any]
    ) -> None:
        """After a turn's replies went out: remember where its keyed messages are now, in one transaction.

        ``refs`` are what the surface returned per reply (as ``Surface.deliver`` does); a keyed reply whose
        message is where it was already costs nothing.
        """
        moved = [
            (reply.message.key, ref)
            for reply, ref in zip(replies, refs, strict=False)
            if reply.message is not None and isinstance(ref, dict) and ref != reply.message.ref
        ]
        if moved:
            await self._remember(platform, workspace_id, moved)

    async def _remember(self, platform: str, workspace_id: str, posts: Sequence[tuple[str, dict[str, Any]]]) -> None:
        async with Transaction(self._sessions) as session:
            workspace = await session.scalar(
                select(Workspace).where(Workspace.platform == platform, Workspace.external_id == workspace_id)
            )
            if workspace is not None:
                for key, ref in posts:
                    await remember_post(session, workspace.id, key, ref)

    async def meeting(self, event: MeetingEvent) -> MeetingAnswer:
        """An online meeting is ahead, started or ended in a chat the app is in: what to post, whether to notify.

        A start counts once per occurrence, however often it arrives; a failure is logged and answered with
        nothing to do, so that the platform is never told to retry into a second card.
        """
        event = scrubbed_meeting(event)
        place = event.place
        if oversized_meeting(event):
            logger.warning("refused a meeting event with an oversized id from %s", place.platform)
            return MeetingAnswer()
        try:
            async with Transaction(self._sessions) as session:
                now = self._clock()
                answer = await MEETING_PHASES[event.phase](session, event, now)
                await pools.note_meeting_chat(session, place, now)  # what may draw from another pool
                return answer
        except Exception as exc:
            logger.error(
                "failed to handle a meeting that is %s in %s/%s: %s",
                event.phase.value,
                place.platform,
                place.workspace_id,
                error_summary(exc),
            )
            return MeetingAnswer()

    async def introduce(self, place: Place, people: Sequence[Person], *, zone: str | None = None) -> None:
        """Make a workspace, its channel and people known before anyone has acted (rosters, demo data)."""
        async with Transaction(self._sessions) as session:
            for person in people:
                ctx = await resolve(session, Incoming(place=place, actor=person), self._clock())
            if people and zone is not None and ctx.team is not None and ctx.team.zone == "UTC":
                ctx.team.zone = recurrence.zone(zone).key

    async def left(self, place: Place, people: Sequence[str], *, channels: Sequence[str] = ()) -> int:
        """People (their platform ids) left the place's channel, or were taken out of it, and out of ``channels``
        (more channels of the same workspace: a Teams team's): they are no longer among its people, who see
        what is shared there and act on it. Nothing else of theirs changes; acting there again makes them one
        of its people again. How many memberships ended: none for a repeated or unknown event, and none after
        a failure, which is logged (nobody waits on an answer, and the platform must not be told to retry)."""
        ids = [scrub(p) for p in dict.fromkeys(people) if p and len(p) <= MAX_ID]
        where = [scrub(c) for c in dict.fromkeys([place.channel_id or "", *channels]) if c and len(c) <= MAX_ID]
        if place.direct or not place.channel_id or not ids or not where:
            return 0
        workspace_id = scrub(place.workspace_id)
        try:
            async with Transaction(self._sessions) as session:
                ended = await forget_team_members(
                    session, platform=place.platform, workspace_id=workspace_id, channel_ids=where, people=ids
                )
        except Exception as exc:
            logger.error(
                "failed to note that %s person(s) left %s/%s: %s",
                len(ids),
                place.platform,
                workspace_id,
                error_summary(exc),
            )
            return 0
        logger.info(
            "%s person(s) left %s channel(s) in %s/%s: %s membership(s) ended",
            len(ids),
            len(where),
            place.platform,
            workspace_id,
            ended,
        )
        return ended

    async def zone(self, place: Place) -> str | None:
        """The time zone of the channel's team, or None when the channel is not known yet."""
        async with self._sessions() as session:
            return await session.scalar(
                select(Team.zone)
                .join(Workspace, Workspace.id == Team.workspace_id)
                .where(
                    Workspace.platform == place.platform,
                    Workspace.external_id == place.workspace_id,
                    Team.external_id == place.channel_id,
                )
            )

    async def _route(self, ctx: Context) -> list[Reply]:
        incoming = ctx.incoming
        if incoming.form_id is not None:
            return await commands.run_form(ctx, incoming.form_id)
        if incoming.action is not None:
            return await commands.run_action(ctx, incoming.action, incoming.action_value)
        return await commands.run_command(ctx, incoming.text)


def _refusal(text: str, visible_to: Visibility = Visibility.CHANNEL) -> Reply:
    return Reply(text=text, outcome=Outcome.REFUSED, visible_to=visible_to)


def _retry_form(incoming: Incoming) -> Form | None:
    return commands.form_for(incoming.form_id, incoming.form_context) if incoming.form_id is not None else None


def _form_refusal(incoming: Incoming, text: str, problems: dict[str, str]) -> Reply:
    """Problems with what was submitted: next to the form's fields, or as text after a command."""
    if incoming.form_id is None:
        return _refusal(text)
    return Reply(text=text, errors=problems, outcome=Outcome.REFUSED, retry_form=_retry_form(incoming))


def _failure(incoming: Incoming, text: str, outcome: Outcome) -> Reply:
    return Reply(text=text, outcome=outcome, retry_form=_retry_form(incoming))


def _what(incoming: Incoming) -> str:
    if incoming.form_id:
        return f"form {incoming.form_id!r}"
    if incoming.action:
        return f"action {incoming.action!r}"
    return f"command {incoming.text.split(' ', 1)[0][:30]!r}"
