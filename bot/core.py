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
from bot.domain.validation import Invalid
from bot.events import Incoming, Person, Place, oversized_id, scrubbed
from bot.grammar import UsageError
from bot.log_safety import error_summary
from bot.replies import Reply, say
from bot.services import agenda
from bot.services.context import Context, Refused, resolve
from bot.storage.models import Workspace

if TYPE_CHECKING:
    from bot.services.calendars import Calendars

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]

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
        self._calendars = calendars  # the feed reader and keys calendar series need; None: following is refused

    async def handle(self, incoming: Incoming) -> list[Reply]:
        is_form = incoming.form_id is not None
        incoming = scrubbed(incoming)
        if oversized_id(incoming):
            logger.warning("refused an event with an oversized id from %s", incoming.place.platform)
            return [say("That request could not be read. Please try again from your chat app.")]
        try:
            async with self._sessions.begin() as session:
                ctx = await resolve(session, incoming, self._clock())
                ctx.calendars = self._calendars
                return await self._route(ctx)
        except UsageError as exc:
            return [say(commands.explain(exc))]
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
                error_summary(exc),
            )
            return [say(UNAVAILABLE)]
        except Exception as exc:
            logger.error(
                "failed to handle %s from %s/%s: %s",
                _what(incoming),
                incoming.place.platform,
                incoming.place.workspace_id,
                error_summary(exc),
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
        if incoming.form_id is not None:
            return await commands.run_form(ctx, incoming.form_id)
        if incoming.action is not None:
            return await commands.run_action(ctx, incoming.action, incoming.action_value)
        return await commands.run_command(ctx, incoming.text)


def _what(incoming: Incoming) -> str:
    if incoming.form_id:
        return f"form {incoming.form_id!r}"
    if incoming.action:
        return f"action {incoming.action!r}"
    return f"command {incoming.text.split(' ', 1)[0][:30]!r}"
