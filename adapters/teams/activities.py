"""Reading Bot Framework activities as plain JSON: is it well formed, where did it happen, who acted.

Pure functions over the wire dict Teams posts to ``/api/messages``. A Teams tenant is a workspace;
a channel or group chat is a team; a personal (1:1) chat is ``direct``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from bot.events import Person, Place

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]
Activity = Mapping[str, Any]

PLATFORM = "teams"
TEAMS_CHANNEL = "msteams"
HANDLED_TYPES = frozenset({"message", "conversationUpdate", "installationUpdate", "invoke", "event"})

MAX_EXTERNAL_ID = 64  # members.external_id and workspaces.external_id
MAX_CHANNEL_ID = 128  # teams.external_id
MAX_ID = 1024
MAX_URL = 2048

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def section(activity: Activity, key: str) -> Mapping[str, Any]:
    """A nested object of the activity, or an empty mapping when absent or not an object."""
    value = activity.get(key)
    return value if isinstance(value, Mapping) else {}


def text_of(mapping: Mapping[str, Any], key: str) -> str:
    value = mapping.get(key)
    return value if isinstance(value, str) else ""


def _id_problem(activity: Activity, key: str) -> str | None:
    value = activity.get(key)
    if not isinstance(value, Mapping):
        return f"'{key}' must be an object"
    ident = value.get("id")
    if not isinstance(ident, str) or not ident.strip() or len(ident) > MAX_ID:
        return f"'{key}.id' must be a non-empty string"
    return None


def problem(body: object) -> str | None:
    """Why ``body`` is not an activity this bot can take, or None when it is fine.

    Types the bot does not handle (typing, messageReaction, …) only need a ``type``: they are
    acknowledged and ignored.
    """
    if not isinstance(body, Mapping):
        return "the body must be a JSON object"
    kind = body.get("type")
    if not isinstance(kind, str) or not kind.strip() or len(kind) > 64:
        return "'type' must be a non-empty string"
    if kind not in HANDLED_TYPES:
        return None
    for key in ("conversation", "from"):
        found = _id_problem(body, key)
        if found:
            return found
    service_url = body.get("serviceUrl")
    if not isinstance(service_url, str) or not service_url.startswith(("https://", "http://")):
        return "'serviceUrl' must be an http(s) URL"
    if len(service_url) > MAX_URL:
        return "'serviceUrl' is too long"
    if not isinstance(body.get("channelId"), str):
        return "'channelId' must be a string"
    for key, expected, label in (
        ("text", str, "a string"),
        ("entities", list, "a list"),
        ("channelData", Mapping, "an object"),
        ("recipient", Mapping, "an object"),
        ("membersAdded", list, "a list"),
        ("membersRemoved", list, "a list"),
        ("name", str, "a string"),
        ("action", str, "a string"),
        ("replyToId", str, "a string"),
    ):
        if key in body and body[key] is not None and not isinstance(body[key], expected):
            return f"'{key}' must be {label}"
    if any(not isinstance(entity, Mapping) for entity in body.get("entities") or ()):
        return "'entities' must hold objects"
    workspace = workspace_id(body)
    if not workspace:
        return "the activity names no tenant"
    if len(workspace) > MAX_EXTERNAL_ID:
        return "the tenant id is too long"
    channel = channel_id(body)
    if channel is not None and len(channel) > MAX_CHANNEL_ID:
        return "the conversation id is too long"
    return None


def tenant_id(activity: Activity) -> str:
    conversation_tenant = text_of(section(activity, "conversation"), "tenantId")
    return conversation_tenant or text_of(section(section(activity, "channelData"), "tenant"), "id")


def workspace_id(activity: Activity) -> str:
    """The tenant; local channels without tenants (the Bot Framework Emulator) use their channel name."""
    tenant = tenant_id(activity)
    if tenant:
        return tenant
    channel = text_of(activity, "channelId")
    return "" if channel == TEAMS_CHANNEL else channel


def conversation_type(activity: Activity) -> str:
    """``personal``, ``groupChat`` or ``channel``.

    Conversations outside Teams (the Emulator, Web Chat) carry no type; they count as a group chat
    so every command can be tried locally.
    """
    conversation = section(activity, "conversation")
    kind = text_of(conversation, "conversationType")
    if kind in ("personal", "groupChat", "channel"):
        return kind
    if text_of(section(section(activity, "channelData"), "channel"), "id"):
        return "channel"
    if conversation.get("isGroup") is True or text_of(activity, "channelId") != TEAMS_CHANNEL:
        return "groupChat"
    return "personal"


def channel_id(activity: Activity, kind: str | None = None) -> str | None:
    """The team's id in the core: a channel's own conversation id (no thread suffix) or the group chat's id.

    ``kind``: the activity's :func:`conversation_type`, when the caller has read it already.
    """
    kind = kind or conversation_type(activity)
    conversation_id = text_of(section(activity, "conversation"), "id")
    if kind == "personal":
        return None
    if kind == "channel":
        channel = text_of(section(section(activity, "channelData"), "channel"), "id")
        return channel or conversation_id.split(";", 1)[0]
    return conversation_id


def teams_team_id(activity: Activity) -> str | None:
    """The Microsoft Teams team a channel belongs to (its General channel shares this id)."""
    return text_of(section(section(activity, "channelData"), "team"), "id") or None


def channel_name(activity: Activity, kind: str | None = None) -> str:
    data = section(activity, "channelData")
    team = text_of(section(data, "team"), "name")
    channel = text_of(section(data, "channel"), "name")
    if (kind or conversation_type(activity)) == "channel":
        if team and (channel or text_of(section(data, "channel"), "id") == text_of(section(data, "team"), "id")):
            return f"{team} › {channel or 'General'}"
        return channel
    return text_of(section(activity, "conversation"), "name")


def place_of(activity: Activity, kind: str | None = None) -> Place:
    kind = kind or conversation_type(activity)
    return Place(
        platform=PLATFORM,
        workspace_id=workspace_id(activity),
        channel_id=channel_id(activity, kind),
        channel_name=channel_name(activity, kind)[:200],
        direct=kind == "personal",
        # A meeting's chat is a group chat whose activities name the meeting (a channel meeting's thread
        # belongs to its channel, which is a team of its own).
        meeting=kind == "groupChat" and bool(text_of(section(section(activity, "channelData"), "meeting"), "id")),
    )


def person_id(account: Mapping[str, Any]) -> str | None:
    """A person's id in the core: the Entra (AAD) object id, stable across conversations and bots.

    Accounts without one (the Emulator's users) use their channel id when it fits; long Teams
    ``29:`` ids never become member ids, because the same person would then exist twice.
    """
    aad = text_of(account, "aadObjectId") or text_of(account, "objectId")
    if _GUID.match(aad):
        return aad.lower()
    ident = text_of(account, "id").strip()
    if ident and not ident.startswith("29:") and len(ident) <= MAX_EXTERNAL_ID:
        return ident
    return None


def person_of(account: Mapping[str, Any]) -> Person | None:
    ident = person_id(account)
    if ident is None:
        return None
    name = " ".join(text_of(account, "name").split())
    return Person(external_id=ident, name=name[:120] or ident)


def actor_of(activity: Activity) -> Person | None:
    return person_of(section(activity, "from"))


def is_bot_account(activity: Activity, account: Mapping[str, Any]) -> bool:
    bot = text_of(section(activity, "recipient"), "id")
    return bool(bot) and text_of(account, "id") == bot


def has_bot(activity: Activity, key: str) -> bool:
    """Whether ``membersAdded``/``membersRemoved`` names this bot."""
    members = activity.get(key)
    if not isinstance(members, list):
        return False
    return any(isinstance(m, Mapping) and is_bot_account(activity, m) for m in members)


def conversation_reference(activity: Activity, kind: str | None = None) -> JsonDict:
    """The proactive address of the conversation an activity came from, as a plain JSON dict.

    The keys of ``TurnContext.get_conversation_reference(activity).serialize()`` (user, bot,
    conversation, channelId, locale, serviceUrl), read from the wire JSON so nothing is lost in the
    SDK's models; a channel thread is widened to the channel itself so proactive posts start new
    threads. ``teamsTeamId`` (the Microsoft Teams team) lets an uninstall find every channel of it.
    """
    conversation = dict(section(activity, "conversation"))
    channel = channel_id(activity, kind)
    if channel is not None:
        conversation["id"] = channel
    tenant = tenant_id(activity)
    if tenant:
        conversation["tenantId"] = tenant
    reference: JsonDict = {
        "user": dict(section(activity, "from")),
        "bot": dict(section(activity, "recipient")),
        "conversation": conversation,
        "channelId": text_of(activity, "channelId"),
        "serviceUrl": text_of(activity, "serviceUrl"),
    }
    if text_of(activity, "locale"):
        reference["locale"] = text_of(activity, "locale")
    team = teams_team_id(activity)
    if team:
        reference["teamsTeamId"] = team
    return reference


def roster_id(activity: Activity, kind: str | None = None) -> str | None:
    """Whose members a people field offers: the whole team for a channel, the chat for a group chat."""
    kind = kind or conversation_type(activity)
    if kind == "personal":
        return None
    conversation_id = text_of(section(activity, "conversation"), "id")
    if kind == "channel":
        return teams_team_id(activity) or conversation_id.split(";", 1)[0]
    return conversation_id
