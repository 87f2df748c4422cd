"""The dispatcher loop: prepare due occurrences, claim due cards, post each exactly once.

Exactly once, visibly: a claim counts as an attempt *before* anything is sent. When a worker dies
between posting and recording, its lease expires and the next worker sees a repeated attempt; it
first asks the surface whether a card with this item's key is already in the channel
(``Surface.find_posted``) and records that one instead of posting again.

Work goes batch-wise, so that a crowd of meetings due in the same minute costs few statements: a
batch of series is prepared in one transaction; the cards of a batch of claimed items are loaded and
rendered together right after the claim (:mod:`bot.scheduler.batch`); posted cards are recorded in
groups (:mod:`bot.scheduler.recorder`). A send always ends inside the lease: a card whose send starts
later than :data:`FRESH_CLAIM_SECONDS` after its claim, or after a pacing wait, is read again first
(still this worker's and still to be posted? then its lease is renewed and its card rendered anew).
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

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.domain.lifecycle import AGENDA, SERIES, AgendaState, SeriesState, ending
from bot.log_safety import error_summary
from bot.ports import ChannelGone, DeliveryError, Surface
from bot.replies import Reply
from bot.scheduler import batch, boards, claims, notices, nudge, upcoming
from bot.scheduler.batch import Claimed
from bot.scheduler.feeds import FeedRefresher
from bot.scheduler.notices import Outgoing
from bot.scheduler.recorder import Recorder, Sent
from bot.services import agenda, agenda_card, picking, promises
from bot.storage.models import AgendaItem, MeetingSeries, Team, Workspace

logger = logging.getLogger(__name__)

FRESH_CLAIM_SECONDS = 5.0  # a card sent this soon after its claim needs no renewal (the claim checked it)

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
        feeds: FeedRefresher | None = None,
    ) -> None:
        self._feeds = feeds  # calendar feeds are read beside the posting loop, never in its way
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
        self._fresh = timedelta(seconds=min(FRESH_CLAIM_SECONDS, lease.total_seconds() - self._post_timeout))
        self._channel_interval = channel_interval
        self._sleep = sleep
        self._channel_next: dict[tuple[str, str], float] = {}
        self._stopping = asyncio.Event()

    # -- the loop ---------------------------------------------------------------------------------

    async def run(self, *, interval: float) -> None:
        """Work until :meth:`stop` is called; then release what is held and return."""
        logger.info("scheduler worker %s started for %s", self.worker, sorted(self._platforms))
        feeds = None
        if self._feeds is not None:
            feeds = asyncio.create_task(self._feeds.run(interval=max(interval, 30.0), stopping=self._stopping))
        while not self._stopping.is_set():
            try:
                tally = await self.run_once()
                busy = tally.prepared or tally.posted or tally.retried
            except Exception as exc:
                logger.error("scheduler pass failed; trying again shortly: %s", error_summary(exc))
                busy = 0
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=interval)
        if feeds is not None:
            await feeds
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

    async def next_due(self) -> datetime | None:
        """When the next pass would find something to do (a preparation, a post, a retry); None: nothing planned."""
        if not self._platforms:
            return None
        async with self._sessions() as session:
            return await upcoming.next_due(session, platforms=self._platforms)

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
        now = self._clock()
        async with self._sessions.begin() as session:
            ids = await claims.claim_due_items(
                session, now=now, worker=self.worker, lease=self._lease, platforms=self._platforms, batch=self._batch
            )
            claimed = await batch.load(session, ids, now=now)
        recorder = Recorder(sessions=self._sessions, clock=self._clock, on_recorded=lambda s, at: _posted(tally, s, at))
        try:
            await asyncio.gather(*(self._post_guarded(card, tally, recorder) for card in claimed))
        finally:
            await recorder.drain()
            _observe(tally)
        if recorder.error is not None:
            raise recorder.error
        await boards.refresh(
            sessions=self._sessions, surfaces=self._surfaces, clock=self._clock, send=self._send_quietly
        )
        return tally

    # -- preparing --------------------------------------------------------------------------------

    async def _prepare(self, tally: Tally) -> list[Outgoing]:
        outgoing: list[Outgoing] = []
        now = self._clock()
        async with self._sessions.begin() as session:
            prepared = await claims.prepare_due_series(session, now=now, platforms=self._platforms, batch=self._batch)
            places = await claims.places(session, {p.item.team_id for p in prepared if not p.missed})
            picks = picking.Batch()
            picked: set[int] = set()
            # The picks' writes wait for one flush at the end, except that a team's second pick in a batch
            # must see its first one.
            with session.no_autoflush:
                for entry in prepared:
                    tally.prepared += 1
                    if entry.missed:
                        tally.missed += 1
                        continue
                    item = entry.item
                    team, workspace = places[item.team_id]
                    if team.id in picked:
                        await session.flush()
                        picked.clear()
                    picked.add(team.id)
                    # An occurrence prepared early (to be swapped, say) keeps the moment it has.
                    replies = (
                        [] if item.moment_id is not None else await agenda.fill(session, item, team, now, batch=picks)
                    )
                    replies += await notices.reminder(session, item, team, entry.series)
                    replies += await nudge.pool_nudge(session, item, team, now)
                    if replies:
                        outgoing.append(
                            Outgoing(workspace.platform, workspace.external_id, team.external_id, tuple(replies))
                        )
        return outgoing

    # -- posting ----------------------------------------------------------------------------------

    async def _post_guarded(self, card: Claimed, tally: Tally, recorder: Recorder) -> None:
        async with self._gate:
            if self._stopping.is_set() or recorder.failed:
                return  # still claimed: released on the way out, or found in the channel after the lease
            try:
                await self._post(card, tally, recorder)
            except Exception as exc:
                logger.error(
                    "agenda item %s: unexpected failure while posting; will retry: %s", card.item_id, error_summary(exc)
                )
                await self._retry_later(card.item_id, tally, retry_after=None)

    async def _post(self, card: Claimed, tally: Tally, recorder: Recorder) -> None:
        featured: list[Reply] = []  # notices for the people of a moment picked only now
        if card.reply is None:
            settled = await self._settle(card.item_id, tally)
            if settled is None:
                return
            card, featured = settled
        reply = card.reply
        assert reply is not None
        surface = self._surfaces[card.platform]
        ref: Any = None
        if card.attempts > 1:
            ref = await surface.find_posted(workspace_id=card.workspace_id, channel_id=card.channel_id, key=card.key)
            if ref is not None:
                tally.found_already_posted += 1
                logger.info("agenda item %s was already posted by an earlier attempt; recording it", card.item_id)
        if ref is None:
            waited = await self._pace(card.platform, card.channel_id)
            if waited or self._clock() - card.claimed_at > self._fresh:
                # The lease may no longer cover the send, and the item may have changed (swapped, skipped):
                # read it again, renewing the lease, as long as it is still this worker's to post.
                settled = await self._settle(card.item_id, tally)
                if settled is None:
                    return
                card, more = settled
                featured += more
                reply = card.reply
                assert reply is not None
            if recorder.failed:
                return
            try:
                refs = await asyncio.wait_for(
                    surface.deliver(workspace_id=card.workspace_id, channel_id=card.channel_id, replies=[reply]),
                    timeout=self._post_timeout,
                )
            except ChannelGone as exc:
                await self._give_up(card.item_id, tally, reason=str(exc), pause=True)
                return
            except DeliveryError as exc:
                if exc.retryable:
                    await self._retry_later(card.item_id, tally, retry_after=exc.retry_after)
                else:
                    await self._give_up(card.item_id, tally, reason=str(exc), pause=False)
                return
            except TimeoutError:
                await self._retry_later(card.item_id, tally, retry_after=None)
                return
            ref = refs[0] if refs else None
        recorder.add(Sent(card.item_id, ref, card.due))
        if featured:
            await self._send_quietly(Outgoing(card.platform, card.workspace_id, card.channel_id, tuple(featured)))

    async def _settle(self, item_id: int, tally: Tally) -> tuple[Claimed, list[Reply]] | None:
        """Read a claimed item again in a transaction of its own, renewing its lease: for an item whose card
        could not be rendered at the claim (its team or series stopped, its meeting started, it has no moment
        yet), and for a card about to be sent well after its claim. Cancels it, records it missed, or picks
        its moment, as needed; None when there is nothing (more) to post."""
        now = self._clock()
        async with self._sessions.begin() as session:
            item = await claims.still_mine(session, item_id, self.worker, now=now, lease=self._lease)
            if item is None:
                logger.info("agenda item %s is no longer this worker's to post; left to its holder", item_id)
                return None
            team = await claims.team_is_live(session, item)
            if team is None:
                told = await _cancel(session, item)
                tally.cancelled += 1
                logger.info("agenda item %s cancelled: team inactive or series paused/deleted", item.id)
            elif item.starts_at <= now:
                await _end(session, item, AgendaState.MISSED)
                tally.missed += 1
                logger.warning(
                    "agenda item %s missed: meeting started at %s before it could be posted",
                    item.id,
                    item.starts_at.isoformat(),
                )
                return None
            else:
                featured: list[Reply] = []
                if item.moment_id is None:
                    featured = await agenda.fill(session, item, team, now)
                workspace = await session.get(Workspace, item.workspace_id)
                assert workspace is not None
                reply = await agenda_card.card_reply(session, item, team)
                return batch.claimed(item, team, workspace, reply=reply, claimed_at=now), featured
        if told is not None:  # the people it was promised to hear it was cancelled, once it is recorded
            await self._send_quietly(told)
        return None

    async def _retry_later(self, item_id: int, tally: Tally, *, retry_after: float | None) -> None:
        async with self._sessions.begin() as session:
            item = await session.get(AgendaItem, item_id, with_for_update=True, populate_existing=True)
            if item is None or item.state != AgendaState.SCHEDULED:
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
            if item is None or item.state != AgendaState.SCHEDULED:
                return
            message = await self._fail(session, item, tally, reason=reason, pause=pause)
        if message is not None:
            await self._send_quietly(message)

    async def _fail(
        self, session: AsyncSession, item: AgendaItem, tally: Tally, *, reason: str, pause: bool
    ) -> Outgoing | None:
        item.updated_at = self._clock()
        await _end(session, item, AgendaState.FAILED)
        tally.failed += 1
        team = await session.get(Team, item.team_id)
        workspace = await session.get(Workspace, item.workspace_id)
        if pause and item.series_id is not None:
            series = await session.get(MeetingSeries, item.series_id)
            if series is not None and series.state == SeriesState.ACTIVE:
                series.state = SERIES.move(series.state, SeriesState.PAUSED)
        logger.error("agenda item %s failed (%s)%s", item.id, reason, "; series paused" if pause else "")
        if team is None or workspace is None:
            return None
        return await notices.failure(session, item, team, workspace, reason=reason, pause=pause)

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


async def _end(session: AsyncSession, item: AgendaItem, state: AgendaState) -> None:
    """End a claimed item that will not be posted, giving back its lease and its moment."""
    item.state, item.locked_by, item.locked_until = AGENDA.move(item.state, state), None, None
    await picking.end_featuring(session, item, ending(state))


async def _cancel(session: AsyncSession, item: AgendaItem) -> Outgoing | None:
    """Cancel a claimed item whose team or series stopped; the notices to the people it was promised to."""
    before = promises.promised(item)
    await _end(session, item, AgendaState.CANCELLED)
    team = await session.get(Team, item.team_id)
    workspace = await session.get(Workspace, item.workspace_id)
    if team is None or workspace is None:
        return None
    why = "its meeting series was paused or removed" if team.active else "the channel no longer gets Customer Moments"
    replies = await promises.taken_back(session, item, team, before, why=why, actor_id=None, taken_off=True)
    return Outgoing(workspace.platform, workspace.external_id, None, tuple(replies)) if replies else None


def _posted(tally: Tally, sent: Sent, at: datetime) -> None:
    lag = (at - sent.due).total_seconds()
    tally.posted += 1
    tally.lags.append(max(0.0, lag))
    logger.info("agenda item %s posted (lag %.1fs)", sent.item_id, lag)


def _observe(tally: Tally) -> None:
    for outcome in ("prepared", "posted", "missed", "failed", "cancelled", "retried", "found_already_posted"):
        count = getattr(tally, outcome)
        if count:
            metrics.OCCURRENCES.labels(outcome).inc(count)
    for lag in tally.lags:
        metrics.SCHEDULER_LAG.observe(lag)
