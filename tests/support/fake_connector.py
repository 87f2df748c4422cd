"""A fake Bot Connector service: a real aiohttp server on a local port that Teams' REST calls go to.

The surface's real HTTP client talks to it over TCP, exactly as it talks to Teams. Point an activity's
``serviceUrl`` at :attr:`FakeConnector.url`. The fake records posts, replies, updates, conversation
creations and uploads (each with its request headers); serves rosters (plain and paged) and
single-member lookups by member id or Entra object id; serves meeting details (``GET /v1/meetings/{id}``)
and records in-meeting notifications (``POST /v1/meetings/{id}/notification``); serves a team's details
(``GET /v3/teams/{id}``) and channel list (``GET /v3/teams/{id}/conversations``) as Teams answers them
(the General channel without a name); and can be told to fail the next calls.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

JsonDict = dict[str, Any]


@dataclass(slots=True)
class Call:
    method: str
    path: str
    conversation_id: str = ""
    activity_id: str = ""  # the activity a call is about (update, reply)
    body: Any = None
    posted_id: str = ""  # the id the fake gave a new message
    peer: str = ""  # the caller's end of the TCP connection the call came over (host:port)
    headers: dict[str, str] = field(default_factory=dict)  # as sent (names in lower case)
    at: float = field(default_factory=time.monotonic)  # when it arrived (one clock for all local processes)

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


@dataclass(slots=True)
class Failure:
    status: int
    remaining: int
    retry_after: str | None = None
    code: str = "ServiceError"
    delay: float = 0.0
    only: str | None = None  # "POST", "PUT", "GET" or None for any call


@dataclass(slots=True)
class FakeConnector:
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    rosters: dict[str, list[JsonDict]] = field(default_factory=dict)
    default_roster: list[JsonDict] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)  # conversations the bot was removed from (403)
    failures: list[Failure] = field(default_factory=list)
    meetings: dict[str, JsonDict] = field(default_factory=dict)  # meeting id → its details, as Teams answers
    teams: dict[str, JsonDict] = field(default_factory=dict)  # team id → {"name": …, "channels": {id: name}}
    latency: float = 0.0  # seconds every call takes to be answered (a real Bot Connector is across the internet)
    post_latency: float = 0.0  # seconds a POST (a reply, a post, a new conversation) takes on top of that
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    # -- telling the fake what to do ------------------------------------------------------------

    def fail_next(
        self,
        count: int,
        status: int,
        *,
        retry_after: float | str | None = None,
        code: str = "ServiceError",
        only: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``count`` calls (of method ``only``) with ``status`` (and ``Retry-After``)."""
        after = None if retry_after is None else str(retry_after)
        self.failures.append(Failure(status, count, after, code, delay, only))

    def roster(self, conversation_id: str | None, members: list[JsonDict]) -> None:
        if conversation_id is None:
            self.default_roster = members
        else:
            self.rosters[conversation_id] = members

    # -- what happened --------------------------------------------------------------------------

    def posts(self, conversation_id: str | None = None) -> list[Call]:
        """New messages and thread replies, optionally in one conversation."""
        return [
            c
            for c in self.calls
            if c.method == "POST" and "/activities" in c.path and conversation_id in (None, c.conversation_id)
        ]

    def updates(self, activity_id: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == "PUT" and activity_id in (None, c.activity_id)]

    def created(self) -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and c.path == "/v3/conversations"]

    def notifications(self, meeting_id: str | None = None) -> list[Call]:
        """In-meeting notifications sent, optionally for one meeting."""
        return [
            c
            for c in self.calls
            if c.method == "POST"
            and c.path.startswith("/v1/meetings/")
            and c.path.endswith("/notification")
            and meeting_id in (None, c.conversation_id)
        ]

    def meeting(self, meeting_id: str, details: JsonDict) -> None:
        self.meetings[meeting_id] = details

    def team(self, team_id: str, name: str, channels: dict[str, str] | None = None) -> None:
        """A team Teams knows: its name and its channels (id → name); its General channel is ``team_id``."""
        self.teams[team_id] = {"name": name, "channels": {team_id: "", **(channels or {})}}

    def team_lookups(self, team_id: str | None = None) -> list[Call]:
        """Calls for a team's details or channel list, optionally of one team."""
        return [
            c
            for c in self.calls
            if c.method == "GET" and c.path.startswith("/v3/teams/") and team_id in (None, c.conversation_id)
        ]

    def clear(self) -> None:
        self.calls.clear()

    # -- the service ----------------------------------------------------------------------------

    def _failure(self, method: str) -> Failure | None:
        for failure in self.failures:
            if failure.remaining > 0 and failure.only in (None, method):
                failure.remaining -= 1
                return failure
        return None

    def _roster_of(self, conversation_id: str) -> list[JsonDict]:
        return self.rosters.get(conversation_id.split(";", 1)[0], self.default_roster)

    def _next_id(self) -> str:
        return str(next(self._ids))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw and request.path.startswith(("/v3/", "/v1/")) else None
        except ValueError:
            body = None
        parts = [p for p in request.match_info["tail"].split("/") if p]
        scoped = (["v3", "conversations"], ["v1", "meetings"], ["v3", "teams"])
        conversation = parts[2] if len(parts) > 2 and parts[:2] in scoped else ""
        activity = parts[4] if len(parts) > 4 and parts[3] == "activities" else ""
        call = Call(request.method, "/" + request.match_info["tail"], conversation, activity, body)
        peer = request.transport.get_extra_info("peername") if request.transport else None
        call.peer = f"{peer[0]}:{peer[1]}" if peer else ""
        call.headers = {name.lower(): value for name, value in request.headers.items()}
        self.calls.append(call)
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.post_latency and request.method == "POST":
            await asyncio.sleep(self.post_latency)
        failure = self._failure(request.method)
        if failure is not None:
            if failure.delay:
                await asyncio.sleep(failure.delay)
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            error = {"error": {"code": failure.code, "message": "fake failure"}}
            return web.json_response(error, status=failure.status, headers=headers)
        if conversation in self.gone or conversation.split(";", 1)[0] in self.gone:
            error = {"error": {"code": "BotNotInConversationRoster", "message": "The bot is not part of the roster"}}
            return web.json_response(error, status=403)
        return self._answer(request, parts, body, call)

    def _answer(self, request: web.Request, parts: list[str], body: Any, call: Call) -> web.StreamResponse:
        method = request.method
        if parts[:2] == ["v1", "meetings"] and len(parts) >= 3:
            return self._meeting(method, parts[2], parts[3:])
        if parts[:2] == ["v3", "teams"] and len(parts) >= 3 and method == "GET":
            return self._team(parts[2], parts[3:])
        if parts[:2] != ["v3", "conversations"]:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        rest = parts[2:]
        if not rest and method == "POST":
            members = (body or {}).get("members") or [{}]
            return web.json_response({"id": f"a:personal-{members[0].get('id', 'unknown')}", "activityId": ""})
        if len(rest) >= 2 and rest[1] == "activities" and method == "POST":
            call.posted_id = self._next_id()
            return web.json_response({"id": call.posted_id})
        if len(rest) == 3 and rest[1] == "activities" and method == "PUT":
            return web.json_response({"id": rest[2]})
        if len(rest) == 2 and rest[1] == "members" and method == "GET":
            return web.json_response(self._roster_of(rest[0]))
        if len(rest) == 3 and rest[1] == "members" and method == "GET":
            for member in self._roster_of(rest[0]):
                if rest[2] in (member.get("id"), member.get("aadObjectId"), member.get("userPrincipalName")):
                    return web.json_response(member)
            return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)
        if len(rest) == 2 and rest[1] == "pagedmembers" and method == "GET":
            return self._page(rest[0], request)
        return web.json_response({"error": {"code": "BadSyntax"}}, status=400)

    def _meeting(self, method: str, meeting_id: str, rest: list[str]) -> web.Response:
        if method == "GET" and not rest:
            if meeting_id not in self.meetings:
                return web.json_response({"error": {"code": "NotFound", "message": "meeting not found"}}, status=404)
            return web.json_response(self.meetings[meeting_id])
        if method == "POST" and rest == ["notification"]:
            return web.Response(status=202)
        return web.json_response({"error": {"code": "BadSyntax"}}, status=400)

    def _team(self, team_id: str, rest: list[str]) -> web.Response:
        team = self.teams.get(team_id)
        if team is None:
            return web.json_response({"error": {"code": "NotFound", "message": "team not found"}}, status=404)
        if not rest:
            return web.json_response({"id": team_id, "name": team["name"], "aadGroupId": "group-" + team_id})
        if rest == ["conversations"]:
            # As Teams lists them: the General channel (the team's own id) has no name.
            channels = [{"id": ident, **({"name": name} if name else {})} for ident, name in team["channels"].items()]
            return web.json_response({"conversations": channels})
        return web.json_response({"error": {"code": "BadSyntax"}}, status=400)

    def _page(self, conversation_id: str, request: web.Request) -> web.Response:
        members = self._roster_of(conversation_id)
        size = max(1, int(request.query.get("pageSize", "100")))
        start = int(request.query.get("continuationToken", "0") or 0)
        page: JsonDict = {"members": members[start : start + size]}
        if start + size < len(members):
            page["continuationToken"] = str(start + size)
        return web.json_response(page)

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["name"]] = await request.read()
        self.calls.append(Call(request.method, request.path))
        return web.json_response({"id": "drive-item", "name": request.match_info["name"]}, status=201)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_put("/upload/{name}", self._upload)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app


@asynccontextmanager
async def running_connector() -> AsyncIterator[FakeConnector]:
    """A fake connector listening on 127.0.0.1 (a free port) for the duration of the block."""
    connector = FakeConnector()
    runner = web.AppRunner(connector.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    connector.url = f"http://{host}:{port}/"
    try:
        yield connector
    finally:
        await runner.cleanup()
