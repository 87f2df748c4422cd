"""A fake Slack Web API on a real local port: records every call, answers like Slack, fails on demand.

Point ``SLACK_API_URL`` at :attr:`FakeSlack.api_url`. Besides ``/api/<method>`` it serves the
``response_url`` endpoint of interactions (``/response/<name>``) and the file upload URL
(``/upload/<file id>``). Tokens are per workspace; a call with an unknown token gets
``invalid_auth``, like a token from another workspace or a revoked one would. Channel canvases
(with their sections) come from :mod:`tests.support.fake_canvas`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.support.fake_canvas import CanvasMethods


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    at: float


@dataclass
class Failure:
    error: str
    status: int = 200
    retry_after: float | None = None
    page: str | None = None  # answered as an HTML page instead of Slack's JSON (a gateway's error page)


@dataclass
class Workspace:
    team_id: str
    name: str
    bot_user_id: str
    bot_id: str
    enterprise_id: str | None = None


@dataclass
class FakeSlack(CanvasMethods):
    calls: list[Call] = field(default_factory=list)
    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answered_at: dict[str, float] = field(default_factory=dict)  # response name → first arrival (monotonic)
    carried: list[str] = field(default_factory=list)  # response names answered in the command's 200 itself
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, Workspace] = field(default_factory=dict)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    archived: set[str] = field(default_factory=set)
    user_channels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    bot_channels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    homes: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id → the Home tab published last
    oauth_codes: dict[str, Workspace] = field(default_factory=dict)
    failures: dict[str, list[Failure]] = field(default_factory=lambda: defaultdict(list))
    delays: dict[str, float] = field(default_factory=dict)
    _server: TestServer | None = None
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("/"))

    @property
    def api_url(self) -> str:
        return self.url + "api/"

    def response_url(self, name: str) -> str:
        return f"{self.url}response/{name}"

    # --- set-up -------------------------------------------------------------------------------------

    def add_workspace(self, token: str, team_id: str, name: str = "", enterprise_id: str | None = None) -> Workspace:
        workspace = Workspace(team_id, name or team_id, f"UB{team_id}", f"B{team_id}", enterprise_id)
        self.tokens[token] = workspace
        return workspace

    def add_user(self, user_id: str, name: str, *, team_id: str = "T1", admin: bool = False, tz: str = "UTC") -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": team_id,
            "name": name.lower(),
            "real_name": name,
            "is_admin": admin,
            "is_owner": False,
            "tz": tz,
            "profile": {"display_name": name, "real_name": name},
        }

    def fail(
        self,
        method: str,
        error: str,
        *,
        status: int = 200,
        retry_after: float | None = None,
        times: int = 1,
        page: str | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` fail with ``error`` (HTTP ``status``, optional Retry-After),
        or with the HTML ``page`` in place of Slack's JSON answer."""
        self.failures[method] += [Failure(error, status, retry_after, page)] * times

    def slow(self, method: str, seconds: float) -> None:
        """Calls of ``method`` (or ``"response_url"``: every answer on a response URL) take ``seconds``."""
        self.delays[method] = seconds

    # --- reading what happened ----------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posted(self, channel: str) -> list[dict[str, Any]]:
        return list(self.messages.get(channel, []))

    def reset(self) -> None:
        self.calls.clear()
        self.responses.clear()
        self.answered_at.clear()
        self.carried.clear()
        self.ephemerals.clear()

    # --- the server ---------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        return params

    def _token(self, request: web.Request, params: dict[str, Any]) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header.removeprefix("Bearer ")
        token = params.get("token")
        return str(token) if token else None

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        token = self._token(request, params)
        self.calls.append(Call(method, params, token, time.monotonic()))
        if method in self.delays:
            await asyncio.sleep(self.delays[method])
        planned = self.failures.get(method)
        if planned:
            failure = planned.pop(0)
            headers = {"Retry-After": str(int(failure.retry_after))} if failure.retry_after is not None else {}
            if failure.page is not None:
                return web.Response(text=failure.page, content_type="text/html", status=failure.status, headers=headers)
            return web.json_response({"ok": False, "error": failure.error}, status=failure.status, headers=headers)
        if method == "oauth.v2.access":
            return web.json_response(self._oauth(params))
        workspace = self.tokens.get(token or "")
        if workspace is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return web.json_response(handler(workspace, params))

    def acknowledged(self, name: str, body: str) -> None:
        """A command's 200 came back with ``body``: what it carries is the answer Slack shows, as if it had come
        on the command's response URL ``name``."""
        if not body:
            return
        self.answered_at.setdefault(name, time.monotonic())
        self.carried.append(name)
        # Carried before any later answer was sent on the URL, though the test may read it after one arrived.
        later = next((i for i, (key, _) in enumerate(self.responses) if key == name), len(self.responses))
        self.responses.insert(later, (name, json.loads(body)))

    async def _response(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.answered_at.setdefault(name, time.monotonic())  # it has arrived; the sender waits for the "ok"
        if "response_url" in self.delays:
            await asyncio.sleep(self.delays["response_url"])
        self.responses.append((name, await request.json()))
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK")

    # --- methods ------------------------------------------------------------------------------------

    def _oauth(self, params: dict[str, Any]) -> dict[str, Any]:
        workspace = self.oauth_codes.get(str(params.get("code")))
        if workspace is None:
            return {"ok": False, "error": "invalid_code"}
        token = f"xoxb-{workspace.team_id}-installed"
        self.tokens[token] = workspace
        return {
            "ok": True,
            "app_id": "A1",
            "authed_user": {"id": "UINSTALLER"},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": workspace.bot_user_id,
            "team": {"id": workspace.team_id, "name": workspace.name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _auth_test(self, ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{ws.name}.slack.test/",
            "team": ws.name,
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "enterprise_id": ws.enterprise_id,
        }

    def _users_info(self, ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user")))
        if user is None or user["team_id"] != ws.team_id:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _next_ts(self) -> str:
        n = next(self._counter)
        return f"{1700000000 + n}.{n:06d}"

    def _channel_problem(self, channel: str) -> str | None:
        if not channel:
            return "channel_not_found"
        if channel in self.archived:
            return "is_archived"
        return None

    def _chat_postMessage(self, ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        if problem := self._channel_problem(channel):
            return {"ok": False, "error": problem}
        message = {
            "ts": self._next_ts(),
            "team": ws.team_id,
            "user": ws.bot_user_id,
            "text": params.get("text"),
            "blocks": params.get("blocks"),
            "metadata": params.get("metadata"),
        }
        self.messages[channel].append(message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _chat_update(self, ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        if problem := self._channel_problem(channel):
            return {"ok": False, "error": problem}
        for message in self.messages.get(channel, []):
            if message["ts"] == params.get("ts") and message["team"] == ws.team_id:
                message.update(text=params.get("text"), blocks=params.get("blocks"))
                if params.get("metadata"):
                    message["metadata"] = params["metadata"]
                return {"ok": True, "channel": channel, "ts": message["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def _chat_postEphemeral(self, ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        if problem := self._channel_problem(channel):
            return {"ok": False, "error": problem}
        self.ephemerals.append(dict(params))
        return {"ok": True, "message_ts": self._next_ts()}

    def _conversations_open(self, ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": "D" + str(params.get("users"))}}

    def _conversations_history(self, ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        if problem := self._channel_problem(channel):
            return {"ok": False, "error": problem}
        metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        found = []
        for message in reversed(self.messages.get(channel, [])):
            item = {k: v for k, v in message.items() if k != "metadata" or metadata}
            found.append(item)
        return {"ok": True, "messages": found[: int(params.get("limit") or 100)]}

    def _views(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view")
        view = json.loads(view) if isinstance(view, str) else dict(view or {})
        if params.get("trigger_id") == "expired":
            return {"ok": False, "error": "expired_trigger_id"}
        return {"ok": True, "view": {**view, "id": f"V{next(self._counter)}"}}

    def _views_open(self, ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        return self._views(params)

    def _views_publish(self, ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        """As Slack does: the user's Home tab is replaced, unless ``hash`` names one that is no longer shown."""
        user = str(params.get("user_id") or "")
        seen = params.get("hash")
        current = self.homes.get(user)
        if seen and current is not None and seen != current["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        published = self._views(params)["view"]
        published["hash"] = f"h{next(self._counter)}"
        self.homes[user] = published
        return {"ok": True, "view": published}

    def _users_conversations(self, ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("user"):
            return {"ok": True, "channels": self.user_channels.get(str(params["user"]), [])}
        return {"ok": True, "channels": self.bot_channels.get(ws.team_id, [])}

    def _files_getUploadURLExternal(self, ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._counter)}"
        return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}upload/{file_id}"}

    def _files_completeUploadExternal(self, ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel_id") or "")
        if problem := self._channel_problem(channel):
            return {"ok": False, "error": problem}
        files = json.loads(str(params.get("files") or "[]"))
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
