"""The dispatcher loop: prepare due occurrences, claim due cards, post each exactly once.

Exactly once, visibly: a claim counts as an attempt *before* anything is sent. When a worker dies
between posting and recording, its lease expires and the next worker sees a repeated attempt; it
first asks the surface whether a card with this item's key is already in the channel
(``Surface.find_posted``) and records that one instead of posting again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.cards import local_time
from bot.ports import ChannelGone, DeliveryError, Surface
from bot.replies import Audience, Button, Card, Reply, Section
from bot.scheduler import claims
from bot.services import agenda, picking
from bot.storage.models import AgendaItem, MeetingSeries, Member, Moment, Team, TeamMember, Workspace

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(slots=True)
class Tally:
    prepared: int = 0
    missed: int = 0
    posted: int = 0
    found_already_posted: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    lags: list[float] = field(default_factory=list)  # seconds between due time and posting


@dataclass(frozen=True, slots=True)
class Outgoing:
    platform: str
    workspace_id: str
    channel_id: str | None
    replies: tuple[Reply, ...]


class Dispatcher:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        surfaces: Mapping[str, Surface],
        clock: Clock,
        worker: str,
        lease: timedelta = timedelta(minutes=2),
        batch: int = 50,
        concurrency: int = 20,
        max_attempts: int = 5,
        post_timeout: float = 60.0,
        channel_interval: float = 1.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._sessions = sessions
        self._surfaces = dict(surfaces)
        self._platforms = frozenset(surfaces)
        self._clock = clock
        self.worker = worker
        self._lease = lease
        self._batch = batch
        self._gate = asyncio.Semaphore(concurrency)
        self._max_attempts = max_attempts
        # A send must end well inside the lease, or another worker could take the item while it is in flight.
        self._post_timeout = min(post_timeout, lease.total_seconds() * 0.5)
        self._channel_interval = channel_interval
        self._sleep = sleep
        self._channel_next: dict[tuple[str, str], float] = {}
        self._stopping = asyncio.Event()

    # -- the loop ---------------------------------------------------------------------------------

    async def run(self, *, interval: float) -> None:
        """Work until :meth:`stop` is called; then release what is held and return."""
        logger.info("scheduler worker %s started for %s", self.worker, sorted(self._platforms))
        while not self._stopping.is_set():
            try:
                tally = await self.run_once()
                busy = tally.prepared or tally.posted or tally.retried
            except Exception:
                logger.exception("scheduler pass failed; trying again shortly")
                busy = 0
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=interval)
        await self.release()
        logger.info("scheduler worker %s stopped", self.worker)

    def stop(self) -> None:
        self._stopping.set()

    async def release(self) -> int:
        async with self._sessions.begin() as session:
            released = await claims.release(session, worker=self.worker)
        if released:
            logger.info("worker %s released %s claimed item(s)", self.worker, released)
        return released

    async def run_once(self) -> Tally:
        """One pass: prepare what is due, then claim and post what is due."""
        tally = Tally()
        if not self._platforms:
            return tally
        outgoing = await self._prepare(tally)
        for message in outgoing:
            await self._send_quietly(message)
        if self._stopping.is_set():
            return tally
        async with self._sessions.begin() as session:
            ids = await claims.claim_due_items(
                session,
                now=self._clock(),
                worker=self.worker,
                lease=self._lease,
                platforms=self._platforms,
                batch=self._batch,
            )
        await asyncio.gather(*(self._post_guarded(item_id, tally) for item_id in ids))
        _observe(tally)
        return tally

    # -- preparing --------------------------------------------------------------------------------

    async def _prepare(self, tally: Tally) -> list[Outgoing]:
        outgoing: list[Outgoing] = []
        now = self._clock()
        async with self._sessions.begin() as session:
            prepared = await claims.prepare_due_series(session, now=now, platforms=self._platforms, batch=self._batch)
            for entry in prepared:
                tally.prepared += 1
                if entry.missed:
                    tally.missed += 1
                    continue
                item = await session.get(AgendaItem, entry.item_id)
                team = await session.get(Team, item.team_id) if item else None
                if item is None or team is None:
                    continue
                workspace = await session.get(Workspace, team.workspace_id)
                assert workspace is not None
                replies = await agenda.fill(session, item, team, now)
                replies += await self._reminder(session, item, team, entry.series_id)
                if replies:
                    outgoing.append(
                        Outgoing(workspace.platform, workspace.external_id, team.external_id, tuple(replies))
                    )
        return outgoing

    async def _reminder(self, session: AsyncSession, item: AgendaItem, team: Team, series_id: int) -> list[Reply]:
        series = await session.get(MeetingSeries, series_id)
        if series is None or not series.remind_minutes or item.organizer_id is None or item.moment_id is None:
            return []
        organizer = await session.get(Member, item.organizer_id)
        moment = await session.get(Moment, item.moment_id)
        if organizer is None or moment is None:
            return []
        what = moment.title or moment.situation
        what = what if len(what) <= 120 else what[:119] + "…"
        when = local_time(item.starts_at, team.zone)
        card = Card(
            title=f"Coming up: the Customer Moment for {when}",
            sections=(Section(what, "Planned moment"), Section(f"Why: {item.reason}")),
            buttons=(Button("Swap", "agenda.swap", str(item.id)), Button("Skip", "agenda.skip", str(item.id))),
        )
        return [Reply(card=card, audience=Audience.DIRECT, to_member=organizer.external_id)]

    # -- posting ----------------------------------------------------------------------------------

    async def _post_guarded(self, item_id: int, tally: Tally) -> None:
        async with self._gate:
            try:
                await self._post(item_id, tally)
            except Exception:
                logger.exception("agenda item %s: unexpected failure while posting; will retry", item_id)
                await self._retry_later(item_id, tally, retry_after=None)

    async def _post(self, item_id: int, tally: Tally) -> None:
        now = self._clock()
        async with self._sessions.begin() as session:
            item = await claims.still_mine(session, item_id, self.worker, now=now, lease=self._lease)
            if item is None:
                return
            team = await claims.team_is_live(session, item)
            if team is None:
                item.state, item.locked_by, item.locked_until = "cancelled", None, None
                await picking.end_featuring(session, item, "skipped")
                tally.cancelled += 1
                logger.info("agenda item %s cancelled: team inactive or series paused/deleted", item.id)
                return
            if item.starts_at <= now:
                item.state, item.locked_by, item.locked_until = "missed", None, None
                await picking.end_featuring(session, item, "skipped")
                tally.missed += 1
                logger.warning(
                    "agenda item %s missed: meeting started at %s before it could be posted",
                    item.id,
                    item.starts_at.isoformat(),
                )
                return
            notices: list[Reply] = []
            if item.moment_id is None:
                notices = await agenda.fill(session, item, team, now)
            card = await agenda.card_reply(session, item, team)
            workspace = await session.get(Workspace, item.workspace_id)
            assert workspace is not None
            platform, workspace_id, channel_id = workspace.platform, workspace.external_id, team.external_id
            attempts, due, key = item.attempts, item.post_at, f"agenda:{item.id}"
        surface = self._surfaces[platform]
        ref: Any = None
        if attempts > 1:
            ref = await surface.find_posted(workspace_id=workspace_id, channel_id=channel_id, key=key)
            if ref is not None:
                tally.found_already_posted += 1
                logger.info("agenda item %s was already posted by an earlier attempt; recording it", item_id)
        if ref is None:
            if await self._pace(platform, channel_id):
                # The wait may have outlasted the lease renewed above: renew again before sending.
                async with self._sessions.begin() as session:
                    renewed = await claims.renew(
                        session, item_id, worker=self.worker, now=self._clock(), lease=self._lease
                    )
                if not renewed:
                    logger.warning("agenda item %s: lease lost before sending; leaving it to its new holder", item_id)
                    return
            try:
                refs = await asyncio.wait_for(
                    surface.deliver(workspace_id=workspace_id, channel_id=channel_id, replies=[card]),
                    timeout=self._post_timeout,
                )
            except ChannelGone as exc:
                await self._give_up(item_id, tally, reason=str(exc), pause=True)
                return
            except DeliveryError as exc:
                if exc.retryable:
                    await self._retry_later(item_id, tally, retry_after=exc.retry_after)
                else:
                    await self._give_up(item_id, tally, reason=str(exc), pause=False)
                return
            except TimeoutError:
                await self._retry_later(item_id, tally, retry_after=None)
                return
            ref = refs[0] if refs else None
        await self._record(item_id, ref, tally, due)
        if notices:
            await self._send_quietly(Outgoing(platform, workspace_id, channel_id, tuple(notices)))

    async def _record(self, item_id: int, ref: Any, tally: Tally, due: datetime) -> None:
        now = self._clock()
        async with self._sessions.begin() as session:
            item = await session.get(AgendaItem, item_id, with_for_update=True, populate_existing=True)
            if item is None:
                return
            if item.locked_by != self.worker:
                logger.warning("agenda item %s: lease was taken over while posting (by %s)", item_id, item.locked_by)
            if item.state == "scheduled":
                item.state = "posted"
            item.post_ref = ref if isinstance(ref, dict) else item.post_ref
            item.locked_by, item.locked_until, item.updated_at = None, None, now
        tally.posted += 1
        tally.lags.append(max(0.0, (now - due).total_seconds()))
        logger.info("agenda item %s posted (lag %.1fs)", item_id, (now - due).total_seconds())

    async def _retry_later(self, item_id: int, tally: Tally, *, retry_after: float | None) -> None:
        async with self._sessions.begin() as session:
            item = await session.get(AgendaItem, item_id, with_for_update=True, populate_existing=True)
            if item is None or item.state != "scheduled":
                return
            if item.attempts >= self._max_attempts:
                message = await self._fail(session, item, tally, reason="the platform kept failing", pause=False)
            else:
                message = None
                backoff = min(300.0, 2.0**item.attempts) * (0.5 + random.random() / 2)
                delay = max(retry_after or 0.0, backoff)
                item.locked_by, item.locked_until = None, self._clock() + timedelta(seconds=delay)
        if message is not None:
            await self._send_quietly(message)
            return
        tally.retried += 1
        logger.info("agenda item %s: will retry in %.1fs", item_id, delay)

    async def _give_up(self, item_id: int, tally: Tally, *, reason: str, pause: bool) -> None:
        async with self._sessions.begin() as session:
            item = await session.get(AgendaItem, item_id, with_for_update=True, populate_existing=True)
            if item is None or item.state != "scheduled":
                return
            message = await self._fail(session, item, tally, reason=reason, pause=pause)
        if message is not None:
            await self._send_quietly(message)

    async def _fail(
        self, session: AsyncSession, item: AgendaItem, tally: Tally, *, reason: str, pause: bool
    ) -> Outgoing | None:
        item.state, item.locked_by, item.locked_until, item.updated_at = "failed", None, None, self._clock()
        await picking.end_featuring(session, item, "skipped")
        tally.failed += 1
        team = await session.get(Team, item.team_id)
        workspace = await session.get(Workspace, item.workspace_id)
        if pause and item.series_id is not None:
            series = await session.get(MeetingSeries, item.series_id)
            if series is not None and series.state == "active":
                series.state = "paused"
        logger.error("agenda item %s failed (%s)%s", item.id, reason, "; series paused" if pause else "")
        if team is None or workspace is None:
            return None
        managers = await self._managers(session, team)
        when = local_time(item.starts_at, team.zone)
        text = (
            f"I couldn't post the Customer Moment for the meeting on {when} in {team.name or 'your channel'}: "
            f"{reason}." + (" I paused that meeting series; `resume` it once I'm back in the channel." if pause else "")
        )
        replies = tuple(Reply(text=text, audience=Audience.DIRECT, to_member=m.external_id) for m in managers)
        return Outgoing(workspace.platform, workspace.external_id, None, replies) if replies else None

    async def _managers(self, session: AsyncSession, team: Team) -> list[Member]:
        in_team = list(
            await session.scalars(
                select(Member)
                .join(TeamMember, TeamMember.member_id == Member.id)
                .where(TeamMember.team_id == team.id, Member.role.in_(("manager", "admin")))
            )
        )
        if in_team:
            return in_team
        return list(
            await session.scalars(
                select(Member).where(Member.workspace_id == team.workspace_id, Member.role == "admin")
            )
        )

    async def _pace(self, platform: str, channel_id: str) -> bool:
        """At most one post per channel per ``channel_interval`` from this worker; True when it waited."""
        loop = asyncio.get_running_loop()
        key = (platform, channel_id)
        now = loop.time()
        ready = max(now, self._channel_next.get(key, now))
        self._channel_next[key] = ready + self._channel_interval
        if ready > now:
            await self._sleep(ready - now)
            return True
        return False

    async def _send_quietly(self, message: Outgoing) -> None:
        """Notifications (DMs, reminders) are best effort: a failure is logged, never retried forever."""
        surface = self._surfaces.get(message.platform)
        if surface is None or not message.replies:
            return
        try:
            await asyncio.wait_for(
                surface.deliver(
                    workspace_id=message.workspace_id, channel_id=message.channel_id, replies=list(message.replies)
                ),
                timeout=self._post_timeout,
            )
        except (DeliveryError, TimeoutError) as exc:
            logger.warning("notification to %s/%s not delivered: %s", message.platform, message.workspace_id, exc)


def _observe(tally: Tally) -> None:
    for outcome in ("prepared", "posted", "missed", "failed", "cancelled", "retried", "found_already_posted"):
        count = getattr(tally, outcome)
        if count:
            metrics.OCCURRENCES.labels(outcome).inc(count)
    for lag in tally.lags:
        metrics.SCHEDULER_LAG.observe(lag)
