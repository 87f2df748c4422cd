"""Bot Framework activities as Teams sends them (channel, group chat, 1:1), for the integration tests.

As in real Teams, a message in a channel names neither the channel nor its team; names come in team
and channel events (:func:`team_update`) or from the connector (``FakeConnector.team``).
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

JsonDict = dict[str, Any]

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OTHER_TENANT = "5d3e2773-e07f-4432-a630-1a0f68a28a05"
BOT = {"id": "28:0a6f3b2c-1111-4c4c-9a9a-0b0b0b0b0b0b", "name": "Customer Moment"}
TEAM = "19:9d8f7e6c5b4a39281706f5e4d3c2b1a0@thread.tacv2"  # also the General channel
CHANNEL = "19:1a2b3c4d5e6f708192a3b4c5d6e7f809@thread.tacv2"  # the Support channel
CHAT = "19:meeting_NDZlYjY2YjEtODE1Ni00ZjQ1@thread.v2"

_ids = itertools.count(1_700_000_000_000)


def account(name: str) -> JsonDict:
    """A Teams user: a long conversation member id (29:…) and an Entra object id."""
    aad = str(uuid.uuid5(uuid.NAMESPACE_URL, f"teams-user:{name}"))
    member = "29:1" + uuid.uuid5(uuid.NAMESPACE_DNS, name).hex * 3
    return {"id": member, "name": name.title(), "aadObjectId": aad}


def roster_entry(person: JsonDict) -> JsonDict:
    """The same person as the connector's member list returns them."""
    first = person["name"].split()[0]
    return {
        "id": person["id"],
        "name": person["name"],
        "aadObjectId": person["aadObjectId"],
        "givenName": first,
        "email": f"{first.lower()}@contoso.example",
        "userPrincipalName": f"{first.lower()}@contoso.example",
        "tenantId": TENANT,
        "userRole": "user",
    }


ALICE = account("alice")
BOB = account("bob")
CAROL = account("carol")


def aad(person: JsonDict) -> str:
    return str(person["aadObjectId"])


def conversation(where: str, *, sender: JsonDict, tenant: str, thread: str | None = None) -> tuple[JsonDict, JsonDict]:
    """The ``conversation`` and ``channelData`` of an activity in a channel, group chat or 1:1."""
    if where == "channel":
        conversation_id = f"{CHANNEL};messageid={thread}" if thread else CHANNEL
        return (
            {"id": conversation_id, "conversationType": "channel", "isGroup": True, "tenantId": tenant},
            {
                "teamsChannelId": CHANNEL,
                "teamsTeamId": TEAM,
                "channel": {"id": CHANNEL},
                "team": {"id": TEAM},
                "tenant": {"id": tenant},
            },
        )
    if where == "chat":
        return (
            {"id": CHAT, "conversationType": "groupChat", "isGroup": True, "tenantId": tenant},
            {"tenant": {"id": tenant}},
        )
    return (
        {"id": f"a:1personal{sender['aadObjectId'][:8]}", "conversationType": "personal", "tenantId": tenant},
        {"tenant": {"id": tenant}},
    )


def base(kind: str, service_url: str, *, where: str, sender: JsonDict, tenant: str, **extra: Any) -> JsonDict:
    activity_id = str(next(_ids))
    conv, data = conversation(where, sender=sender, tenant=tenant, thread=extra.pop("thread", None) or activity_id)
    activity: JsonDict = {
        "type": kind,
        "id": activity_id,
        "timestamp": "2026-11-23T09:00:00.000Z",
        "localTimestamp": "2026-11-23T10:00:00.000+01:00",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": dict(sender),
        "conversation": conv,
        "recipient": dict(BOT),
        "channelData": data,
        "locale": "en-US",
    }
    activity.update(extra)
    return activity


def message(
    text: str,
    service_url: str,
    *,
    sender: JsonDict = ALICE,
    where: str = "channel",
    tenant: str = TENANT,
    mentioned: tuple[JsonDict, ...] = (),
    to_bot: bool | None = None,
) -> JsonDict:
    """A typed message. In a channel or group chat it starts with the bot's @mention, as Teams requires."""
    entities: list[JsonDict] = []
    body = text
    for person in mentioned:
        body = body.replace(f"@{person['name']}", f"<at>{person['name']}</at>", 1)
        entities.append(
            {
                "type": "mention",
                "text": f"<at>{person['name']}</at>",
                "mentioned": {"id": person["id"], "name": person["name"]},
            }
        )
    if to_bot if to_bot is not None else where != "personal":
        body = f"<at>{BOT['name']}</at> {body}"
        entities.insert(0, {"type": "mention", "text": f"<at>{BOT['name']}</at>", "mentioned": dict(BOT)})
    entities.append({"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web"})
    return base(
        "message",
        service_url,
        where=where,
        sender=sender,
        tenant=tenant,
        text=body,
        textFormat="plain",
        entities=entities,
    )


def submit(
    value: JsonDict,
    service_url: str,
    *,
    card_id: str,
    sender: JsonDict = ALICE,
    where: str = "channel",
    tenant: str = TENANT,
) -> JsonDict:
    """What an Action.Submit on one of the bot's cards sends: a message with ``value`` and ``replyToId``."""
    return base(
        "message",
        service_url,
        where=where,
        sender=sender,
        tenant=tenant,
        thread=card_id,
        value=value,
        replyToId=card_id,
        entities=[{"type": "clientInfo", "locale": "en-US"}],
    )


def installed(
    service_url: str, *, where: str = "channel", sender: JsonDict = ALICE, tenant: str = TENANT, action: str = "add"
) -> JsonDict:
    """installationUpdate: the app was added to (or removed from) a team, chat or personal scope."""
    activity = base("installationUpdate", service_url, where=where, sender=sender, tenant=tenant, action=action)
    if where == "channel":
        activity["conversation"]["id"] = TEAM
        activity["channelData"]["channel"] = {"id": TEAM}
        activity["channelData"]["team"] = {"id": TEAM, "name": "Support Team"}
    return activity


def bot_added(
    service_url: str, *, where: str = "channel", sender: JsonDict = ALICE, tenant: str = TENANT, removed: bool = False
) -> JsonDict:
    """conversationUpdate with the bot in membersAdded (or membersRemoved)."""
    key = "membersRemoved" if removed else "membersAdded"
    activity = base("conversationUpdate", service_url, where=where, sender=sender, tenant=tenant, **{key: [dict(BOT)]})
    if where == "channel":
        activity["conversation"]["id"] = TEAM
        activity["channelData"] = {
            "team": {"id": TEAM, "name": "Support Team"},
            "eventType": "teamMemberRemoved" if removed else "teamMemberAdded",
            "tenant": {"id": tenant},
        }
    return activity


def team_update(
    service_url: str,
    event_type: str,
    *,
    channel: JsonDict | None = None,
    team_name: str | None = None,
    sender: JsonDict = ALICE,
    tenant: str = TENANT,
) -> JsonDict:
    """conversationUpdate for a team or channel event (``channelRenamed``, ``teamRenamed``, …) as Teams sends it."""
    activity = base("conversationUpdate", service_url, where="channel", sender=sender, tenant=tenant)
    activity["conversation"]["id"] = TEAM
    data: JsonDict = {"eventType": event_type, "team": {"id": TEAM}, "tenant": {"id": tenant}}
    if team_name is not None:
        data["team"]["name"] = team_name
    if channel is not None:
        data["channel"] = channel
    activity["channelData"] = data
    return activity


MEETING = "MCMxOTptZWV0aW5nX05EWmxZalkyWWpFdE9ERTFOaTAwWmpRMUB0aHJlYWQudjIjMA=="
MEETING_START = "application/vnd.microsoft.meetingStart"
MEETING_END = "application/vnd.microsoft.meetingEnd"


def meeting_event(
    service_url: str,
    *,
    ended: bool = False,
    meeting_id: str | None = MEETING,
    sender: JsonDict = ALICE,
    tenant: str = TENANT,
    at: str = "2026-11-23T09:00:00Z",
) -> JsonDict:
    """A meeting's start (or end) in its meeting chat, as Teams sends it to a bot in that chat."""
    value = {
        "Id": meeting_id or "",
        "MeetingType": "Scheduled",
        "JoinUrl": "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NDZl%40thread.v2/0",
        "Title": "Weekly support sync",
        "EndTime" if ended else "StartTime": at,
    }
    activity = base(
        "event",
        service_url,
        where="chat",
        sender=sender,
        tenant=tenant,
        name=MEETING_END if ended else MEETING_START,
        value=value,
    )
    if meeting_id is not None:
        activity["channelData"]["meeting"] = {"id": meeting_id}
    return activity


def meeting_details(*, organizer: JsonDict = ALICE, start: str | None = "2026-11-23T09:00:00Z") -> JsonDict:
    """What ``GET /v1/meetings/{id}`` answers: the meeting's schedule, its chat and its organizer."""
    details: JsonDict = {
        "id": MEETING,
        "msGraphResourceId": "",
        "joinUrl": "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NDZl%40thread.v2/0",
        "title": "Weekly support sync",
        "type": "Scheduled",
    }
    if start is not None:
        details["scheduledStartTime"] = start
        details["scheduledEndTime"] = start.replace("09:00", "09:30")
    return {
        "details": details,
        "conversation": {"isGroup": True, "conversationType": "groupChat", "id": CHAT},
        "organizer": {"id": organizer["id"], "aadObjectId": organizer["aadObjectId"], "tenantId": TENANT},
    }
