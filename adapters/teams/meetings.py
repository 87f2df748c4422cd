"""Teams meeting start and end events: the moment's card in the meeting chat, and an in-meeting notification.

``meetingStart`` / ``meetingEnd`` arrive as ``event`` activities in the meeting's chat (or channel), the
meeting id in ``channelData.meeting.id``. The meeting's details (``GET /v1/meetings/{id}``: its scheduled
start and organizer) and its roster are read through the Bot Connector, the core decides what happens
(:meth:`CustomerMoment.meeting`), and the card and the targeted in-meeting notification
(``POST /v1/meetings/{id}/notification``) go out. Every failure is logged and answered 200: Teams would
only send the event again.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast
from urllib.parse import quote, urlencode

from adapters.teams import routing
from adapters.teams.activities import PLATFORM, Activity, person_of, place_of, section, text_of
from adapters.teams.conversations import ConversationStore
from adapters.teams.outbox import Connectors, Outbox, Where
from adapters.teams.roster import Directory
from adapters.teams.tab import NOTICE_PATH
from bot.core import Clock, CustomerMoment, utc_now
from bot.events import MeetingEvent, MeetingPhase, Person, Place
from bot.ports import DeliveryError
from bot.replies import MeetingAnswer

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]

MEETING_START = "application/vnd.microsoft.meetingStart"
MEETING_END = "application/vnd.microsoft.meetingEnd"
MEETING_EVENTS = frozenset({MEETING_START, MEETING_END})
LOOKUP_EVERY = timedelta(hours=1)  # how often a meeting chat's messages may look its meeting's details up
LOOKUPS_KEPT = 4096
OCCURRENCE_SLACK = timedelta(hours=12)  # a start (or end) this far from the scheduled start is another occurrence's
THREAD = ";messageid="  # a conversation id with this is a thread of a channel (a channel meeting's chat)
MAX_RECIPIENTS = 50  # people the notification reaches at most; the rest see the card in the chat
RECIPIENTS_PER_CALL = 10  # what one targeted meeting notification may name (Teams' limit)


class MeetingCalls(Protocol):
    """The Bot Connector's meeting endpoints, reached through the turn's signed connector."""

    async def meeting_details(self, meeting_id: str) -> Any: ...

    async def notify_meeting(self, meeting_id: str, notification: JsonDict) -> None: ...


def _moment(value: str) -> datetime | None:
    """An ISO 8601 time as Teams writes it (``2026-12-08T09:00:00Z``, with or without fractions)."""
    text = value.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # not a time, or one beyond the calendar in UTC
        return None


def scheduled_start(details: Mapping[str, Any]) -> datetime | None:
    return _moment(text_of(section(details, "details"), "scheduledStartTime"))


def this_occurrence(scheduled: datetime | None, activity: Activity) -> datetime | None:
    """The details' scheduled start, if it is this occurrence's: a recurring meeting's details may carry
    another occurrence's (the series' first), which is then ignored when the event says when this one
    started or ended, far from it."""
    if scheduled is None:
        return None
    value = section(activity, "value")
    happened = _moment(text_of(value, "StartTime") or text_of(value, "EndTime"))
    if happened is not None and abs(happened - scheduled) > OCCURRENCE_SLACK:
        return None
    return scheduled


def occurrence_of(activity: Activity, scheduled: datetime | None) -> str:
    """Which occurrence of the meeting this is: its scheduled start, else the day it started (UTC)."""
    if scheduled is not None:
        return scheduled.strftime("%Y-%m-%dT%H:%MZ")
    value = section(activity, "value")
    started = _moment(text_of(value, "StartTime") or text_of(value, "EndTime") or text_of(activity, "timestamp"))
    return (started or datetime.now(UTC)).strftime("%Y-%m-%d")


def meeting_id_of(activity: Activity) -> str:
    return text_of(section(section(activity, "channelData"), "meeting"), "id").strip()


def notification(recipients: list[str], *, title: str, page: str) -> JsonDict:
    """A targeted in-meeting notification: ``page`` opens on the meeting stage for ``recipients``."""
    return {
        "type": "targetedMeetingNotification",
        "value": {
            "recipients": recipients[:RECIPIENTS_PER_CALL],
            "surfaces": [
                {
                    "surface": "meetingStage",
                    "contentType": "task",
                    "content": {
                        "value": {
                            "height": "300",
                            "width": "400",
                            "title": f"Customer Moment: {title}"[:100] if title else "Customer Moment",
                            "url": page,
                        }
                    },
                }
            ],
        },
    }


def notice_page(public_url: str, *, title: str, link: str) -> str:
    """The page a notification opens (:mod:`adapters.teams.tab`): the title, and the card's link to open."""
    return f"{public_url}{NOTICE_PATH}?" + urlencode({"title": title[:100], "link": link})


def message_link(ref: Mapping[str, Any]) -> str:
    """The Teams deep link to a posted message; a reply in a channel thread names its thread's first post."""
    conversation, activity = str(ref.get("conversationId") or ""), str(ref.get("activityId") or "")
    conversation, _, parent = conversation.partition(THREAD)
    link = f"https://teams.microsoft.com/l/message/{quote(conversation, safe='')}/{quote(activity, safe='')}"
    return link + ("?" + urlencode({"parentMessageId": parent}) if parent else "")


class Meetings:
    """What the bot does with meeting events (``Handler`` hands them over)."""

    def __init__(
        self,
        *,
        core: CustomerMoment,
        store: ConversationStore,
        directory: Directory,
        public_url: str = "",
        clock: Clock = utc_now,
    ) -> None:
        """``public_url``: where this server's pages are reached (``PUBLIC_URL``); the notification opens one
        of them, so without it the card is posted and no notification is sent."""
        self._core = core
        self._public_url = public_url.rstrip("/")
        self._store = store
        self._directory = directory
        self._clock = clock
        self._looked_up: OrderedDict[tuple[str, str], datetime] = OrderedDict()

    async def ahead(self, activity: Activity, connectors: Connectors) -> None:
        """Someone wrote in a meeting's chat (or added the app there): if the meeting is still ahead, its
        moment is prepared for the chat's lead time before it. The details are read at most hourly."""
        meeting_id, place = meeting_id_of(activity), place_of(activity)
        if not meeting_id or place.direct or place.channel_id is None or not self._first_lookup(place, meeting_id):
            return
        try:
            connector = await connectors(text_of(activity, "serviceUrl"))
            details = await self._details(cast(MeetingCalls, connector), meeting_id, place.workspace_id)
            scheduled = scheduled_start(details)
            if scheduled is None:  # whether it is still ahead is the core's to say, by its clock
                return
            event = MeetingEvent(
                place=place,
                meeting_id=meeting_id,
                occurrence=occurrence_of(activity, scheduled),
                phase=MeetingPhase.AHEAD,
                actor=person_of(section(activity, "from")),
                organizer=person_of(section(details, "organizer")),
                scheduled_start=scheduled,
            )
            await self._deliver(activity, await self._core.meeting(event), connectors)
        except Exception:  # the turn this came with was answered; the card is then picked at start
            logger.exception("teams: preparing a meeting ahead in %s failed", place.workspace_id)

    def _first_lookup(self, place: Place, meeting_id: str) -> bool:
        key, now = (place.workspace_id, meeting_id), self._clock()
        last = self._looked_up.get(key)
        if last is not None and now - last < LOOKUP_EVERY:
            return False
        self._looked_up[key] = now
        self._looked_up.move_to_end(key)
        while len(self._looked_up) > LOOKUPS_KEPT:
            self._looked_up.popitem(last=False)
        return True

    async def event(self, activity: Activity, connectors: Connectors) -> None:
        """One meeting start or end, start to finish; nothing here raises to the endpoint."""
        name = text_of(activity, "name")
        meeting_id = meeting_id_of(activity)
        place = place_of(activity)
        if not meeting_id or place.direct or place.channel_id is None:
            logger.info("teams: %s without a meeting id or chat in %s ignored", name, place.workspace_id)
            return
        service_url = text_of(activity, "serviceUrl")
        try:
            connector = await connectors(service_url)
        except Exception as exc:  # no credentials for this service URL: nothing can be read or posted
            logger.warning("teams: meeting event in %s: no connector: %s", place.workspace_id, exc)
            return
        calls = cast(MeetingCalls, connector)
        details = await self._details(calls, meeting_id, place.workspace_id)
        scheduled = this_occurrence(scheduled_start(details), activity)
        attendees, accounts = await self._roster(connector, place.channel_id, place.workspace_id)
        organizer = person_of(section(details, "organizer"))
        event = MeetingEvent(
            place=place,
            meeting_id=meeting_id,
            occurrence=occurrence_of(activity, scheduled),
            phase=MeetingPhase.ENDED if name == MEETING_END else MeetingPhase.STARTED,
            actor=person_of(section(activity, "from")),
            organizer=organizer,
            scheduled_start=scheduled,
            attendees=tuple(attendees),
        )
        answer = await self._core.meeting(event)
        ref = await self._deliver(activity, answer, connectors)
        if answer.notify and ref is not None and accounts:
            await self._notify(calls, meeting_id, place.workspace_id, accounts, title=answer.title, ref=ref)

    async def _notify(
        self, calls: MeetingCalls, meeting_id: str, tenant: str, accounts: list[str], *, title: str, ref: JsonDict
    ) -> None:
        """Point the meeting's people to the card: a targeted notification per ten of them."""
        if not self._public_url:
            logger.info("teams: meeting notification in %s not sent: PUBLIC_URL is not set", tenant)
            return
        page = notice_page(self._public_url, title=title, link=message_link(ref))
        people = accounts[:MAX_RECIPIENTS]
        for first in range(0, len(people), RECIPIENTS_PER_CALL):
            try:
                await calls.notify_meeting(
                    meeting_id, notification(people[first : first + RECIPIENTS_PER_CALL], title=title, page=page)
                )
            except DeliveryError as exc:
                logger.warning("teams: meeting notification in %s not sent: %s", tenant, exc)
                return

    async def _details(self, calls: MeetingCalls, meeting_id: str, tenant: str) -> Mapping[str, Any]:
        try:
            details = await calls.meeting_details(meeting_id)
        except DeliveryError as exc:  # no permission, or the bot left: the event's own data is enough
            logger.info("teams: meeting details in %s unavailable: %s", tenant, exc)
            return {}
        return details if isinstance(details, Mapping) else {}

    async def _roster(self, connector: Any, chat_id: str, tenant: str) -> tuple[list[Person], list[str]]:
        """The meeting chat's people (for the core) and their conversation accounts (for the notification)."""
        try:
            options = await self._directory.roster(connector, chat_id, tenant)
        except (DeliveryError, ValueError) as exc:
            logger.info("teams: roster of a meeting chat in %s unavailable: %s", tenant, exc)
            return [], []
        people = [Person(option.value, option.label) for option in options]
        accounts = [a for a in (self._directory.account_of(tenant, p.external_id) for p in people) if a]
        return people, accounts

    async def _deliver(self, activity: Activity, answer: MeetingAnswer, connectors: Connectors) -> JsonDict | None:
        """Post the answer's replies; the reference of the card the notification points to."""
        place = place_of(activity)
        if not answer.replies:
            return answer.card_ref
        conversation_id = text_of(section(activity, "conversation"), "id")
        where = Where(
            tenant=place.workspace_id,
            service_url=text_of(activity, "serviceUrl"),
            conversation_id=conversation_id,
            channel_id=place.channel_id,
            bot=dict(section(activity, "recipient")),
            roster_id=place.channel_id,
            # A channel meeting's chat is the thread of its post in the channel: its card goes there.
            thread_id=conversation_id if THREAD in conversation_id else None,
        )
        steps = routing.route(answer.replies, routing.Situation(kind="proactive", channel_id=place.channel_id))
        outbox = Outbox(where=where, connectors=connectors, store=self._store, directory=self._directory)
        refs = await outbox.send(steps)
        try:
            await self._core.remember_posts(
                platform=PLATFORM, workspace_id=place.workspace_id, replies=answer.replies, refs=refs
            )
        except Exception:  # the card stands; it is posted anew when it next changes
            logger.exception("teams: where a meeting card in %s went was not recorded", place.workspace_id)
        for reply, ref in zip(answer.replies, refs, strict=False):
            if reply.message is not None and reply.message.key == answer.card_key:
                return ref
        return answer.card_ref
