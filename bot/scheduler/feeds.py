"""Refreshing the calendar feeds that meeting series follow: at most every 15 minutes each, one worker at a time.

A due feed is claimed like scheduler work (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, then a lease in
``locked_by`` / ``locked_until``), so replicas never read one feed together; a killed worker's claim runs
out with its lease. The network read happens outside any transaction; what it found is applied in a
short transaction of its own, only if this worker still holds the claim.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import calendar
from bot.domain.lifecycle import SeriesState
from bot.ports import FeedUnavailable, FetchedFeed, Surface
from bot.replies import Reply
from bot.services import calendars
from bot.services.calendars import Calendars
from bot.storage.models import CalendarFeed, MeetingSeries, Team, Workspace

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


async def claim_due_feeds(
    session: AsyncSession, *, now: datetime, worker: str, lease: timedelta, platforms: frozenset[str], batch: int
) -> list[int]:
    """Lease the feeds due for a read (by series id), skipping those another worker holds."""
    due = (
        select(CalendarFeed.series_id)
        .join(MeetingSeries, MeetingSeries.id == CalendarFeed.series_id)
        .where(
            CalendarFeed.next_refresh_at <= now,
            or_(CalendarFeed.locked_until.is_(None), CalendarFeed.locked_until < now),
            MeetingSeries.state != SeriesState.DELETED,
            CalendarFeed.workspace_id.in_(select(Workspace.id).where(Workspace.platform.in_(platforms))),
        )
        .order_by(CalendarFeed.next_refresh_at)
        .limit(batch)
        .with_for_update(of=CalendarFeed, skip_locked=True)
    )
    claimed = await session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.series_id.in_(due))
        .values(locked_by=worker, locked_until=now + lease)
        .returning(CalendarFeed.series_id)
        .execution_options(synchronize_session=False)
    )
    return sorted(row.series_id for row in claimed)


class FeedRefresher:
    """Reads due feeds and applies them; run beside the dispatcher's posting loop."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        calendars: Calendars,
        surfaces: Mapping[str, Surface],
        clock: Clock,
        worker: str,
        lease: timedelta = timedelta(minutes=2),
        batch: int = 20,
        concurrency: int = 5,
    ) -> None:
        self._sessions = sessions
        self._calendars = calendars
        self._surfaces = dict(surfaces)
        self._clock = clock
        self.worker = worker
        self._lease = lease
        self._batch = batch
        self._gate = asyncio.Semaphore(concurrency)

    async def run(self, *, interval: float, stopping: asyncio.Event) -> None:
        """Refresh until ``stopping`` is set."""
        while not stopping.is_set():
            try:
                await self.run_once()
            except Exception:
                logger.exception("calendar refresh pass failed; trying again shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=interval)

    async def run_once(self) -> int:
        """Claim the due feeds and refresh each; returns how many were read."""
        if self._calendars.box is None or not self._surfaces:
            return 0
        async with self._sessions.begin() as session:
            ids = await claim_due_feeds(
                session,
                now=self._clock(),
                worker=self.worker,
                lease=self._lease,
                platforms=frozenset(self._surfaces),
                batch=self._batch,
            )
        await asyncio.gather(*(self._guarded(series_id) for series_id in ids))
        return len(ids)

    async def _guarded(self, series_id: int) -> None:
        async with self._gate:
            try:
                await self.refresh(series_id)
            except Exception:
                logger.exception("series %s: calendar refresh failed; the claim runs out with its lease", series_id)

    async def refresh(self, series_id: int) -> None:
        """Read one claimed feed and apply the result."""
        box = self._calendars.box
        assert box is not None
        async with self._sessions.begin() as session:
            row = await session.get(CalendarFeed, series_id)
            if row is None or row.locked_by != self.worker:
                return
            url, etag, last_modified = calendars.feed_url(box, row), row.etag, row.last_modified
        fetched: FetchedFeed | None = None
        problem = "I can no longer decrypt the calendar's address (the server's keys changed)."
        if url is not None:
            try:
                fetched = await self._calendars.fetcher.fetch(url, etag=etag, last_modified=last_modified)
            except FeedUnavailable as exc:
                problem = str(exc)
        outgoing = await self._apply(series_id, fetched, problem)
        if outgoing is not None:
            await self._send(*outgoing)

    async def _apply(
        self, series_id: int, fetched: FetchedFeed | None, problem: str
    ) -> tuple[Workspace, Team, Sequence[Reply]] | None:
        now = self._clock()
        async with self._sessions.begin() as session:
            row = await session.get(CalendarFeed, series_id, with_for_update=True, populate_existing=True)
            if row is None or row.locked_by != self.worker:
                logger.info("series %s: calendar claim lost before its read was applied", series_id)
                return None
            series = await session.get(MeetingSeries, series_id, with_for_update=True, populate_existing=True)
            team = await session.get(Team, series.team_id) if series is not None else None
            workspace = await session.get(Workspace, row.workspace_id)
            row.locked_by, row.locked_until = None, None
            row.next_refresh_at = now + calendars.REFRESH_EVERY
            if series is None or team is None or workspace is None or series.state == SeriesState.DELETED:
                return None
            replies: list[Reply] = []
            failure = problem if fetched is None else None
            if fetched is not None:
                try:
                    body = fetched.body if fetched.status == 200 else None
                    replies = await calendars.apply_read(session, row, series, team, body=body, now=now)
                    calendars.read_succeeded(row, etag=fetched.etag, last_modified=fetched.last_modified, now=now)
                except calendar.CalendarError as exc:
                    failure = str(exc)
            if failure is not None:
                replies = await calendars.apply_failure(session, row, series, problem=failure, now=now)
            return (workspace, team, replies) if replies else None

    async def _send(self, workspace: Workspace, team: Team, replies: Sequence[Reply]) -> None:
        surface = self._surfaces.get(workspace.platform)
        if surface is None:
            return
        try:
            await surface.deliver(workspace_id=workspace.external_id, channel_id=team.external_id, replies=replies)
        except Exception as exc:  # best effort, like the scheduler's other notices
            logger.warning("calendar notices for team %s could not be delivered: %s", team.id, type(exc).__name__)
