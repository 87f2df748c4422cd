"""``POST /api/messages``: the Bot Framework endpoint, strict about what it accepts.

Does what ``CloudAdapter.process`` does — authenticate, parse, run the turn, answer invokes — but with
authentication on, a request without a valid token is a 401 before its body is read (the token's
channel endorsement and ``serviceurl`` claim are checked against the activity once it is read); a
missing ``Content-Type``, a body that is not JSON or not an activity is a 400 (never a 500); an
activity whose ``serviceUrl`` is not a Bot Framework host (or, without authentication, not this
machine) is a 403 before anything runs or is stored, and the wire JSON reaches the bot untouched
(the SDK's models drop fields such as mention entities' details). Teams resends an activity it
thinks timed out: a recently seen one is acknowledged without running again. Log lines name ids and
the kind of an error, never what the body said (an error's text may quote it).
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, nullcontext
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.schema import Activity

from adapters.http.answer_time import answered
from adapters.http.foreground import Foreground
from adapters.http.overload import ANSWER_WAIT_SECONDS, BUSY, Backlog, Busy, count_shed
from adapters.teams.activities import HANDLED_TYPES, TEAMS_CHANNEL, problem, section, tenant_id, text_of
from adapters.teams.sdk import RAW_ACTIVITY
from bot.log_safety import error_kind, error_summary

logger = logging.getLogger(__name__)

ROUTE = "/api/messages"
# Messages worked on at once: their core call, where a turn reads and writes (not the lookups in Teams
# before it or the replies sent after it, which wait on the network, not on this process); more wait for a
# slot, up to the answer wait bound, then hear "busy". With the work of Slack's answers and forms
# (adapters/slack/surface.py CONCURRENT_WORK, adapters/http/inflight.py FORMS) this stays below the
# request pool (bot/storage/engine.py POOL_SIZE), so the work alone cannot fill it and leave requests in
# its 10 s wait, which no busy answer cuts short; what a turn does after its reply is sent (noting where a
# card went, a conversation reference that moved) takes a connection for a moment. One core answers no
# faster with more at once.
CONCURRENT_TURNS = 6


class RecentActivities:
    """The last few thousand activity ids this process handled (Teams redelivers on slow answers)."""

    def __init__(self, *, capacity: int = 4096) -> None:
        self._seen: OrderedDict[tuple[str, str, str], None] = OrderedDict()
        self._capacity = capacity

    @staticmethod
    def _key(body: dict[str, Any]) -> tuple[str, str, str]:
        return (text_of(section(body, "conversation"), "id"), text_of(body, "type"), text_of(body, "id"))

    def first_time(self, body: dict[str, Any]) -> bool:
        """Note the activity; False when it was seen already (being handled, or handled)."""
        key = self._key(body)
        if not key[2]:
            return True
        if key in self._seen:
            return False
        self._seen[key] = None
        while len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
        return True

    def forget(self, body: dict[str, Any]) -> None:
        """Handling failed: let Teams' redelivery try again."""
        self._seen.pop(self._key(body), None)


class TurnSlots:
    """The process's slots for Teams messages' core calls.

    A message that would wait longer than ``wait`` seconds for one raises
    :class:`adapters.http.overload.Busy`. While a core call runs it counts as a request someone is
    waiting on, so Slack's answers give way to it (:class:`adapters.http.foreground.Foreground`); the
    rest of the turn mostly waits on the Bot Connector, and does not.
    """

    def __init__(self, foreground: Foreground, wait: float = ANSWER_WAIT_SECONDS) -> None:
        self.backlog = Backlog(limit=CONCURRENT_TURNS, bound=wait)
        self._foreground = foreground

    @asynccontextmanager
    async def work(self) -> AsyncIterator[None]:
        async with self.backlog:
            with self._foreground.answering():
                yield


def _refuse(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


class Endpoint:
    def __init__(
        self,
        *,
        adapter: Any,
        bot: Any,
        teams_only: bool,
        service_url_allowed: Callable[[str], bool],
        foreground: Foreground,
        turns: TurnSlots,
        tenant: str | None = None,
    ) -> None:
        """``teams_only``: refuse other Bot Framework channels (Web Chat, …): with authentication on, this
        surface serves Microsoft Teams only; the Emulator is for local use with authentication off.
        ``service_url_allowed``: where replies may go (the rule every Bot Connector call follows too).
        ``foreground``: activities other than messages count as requests someone is waiting on while they
        run (a message, while its core call runs: :class:`TurnSlots`). ``turns``: the slots a message's
        core call takes, the same the bot's handler enters; a :class:`adapters.http.overload.Busy` from
        one is answered "busy" here. ``tenant``: a single-tenant app only accepts activities from its
        own tenant."""
        self._adapter = adapter
        self._bot = bot
        self._teams_only = teams_only
        self._service_url_allowed = service_url_allowed
        self._tenant = tenant
        self._recent = RecentActivities()
        self._foreground = foreground
        self.turns = turns

    async def handle(self, request: web.Request) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        # The token first, from the header alone: with authentication on, a request without a valid one
        # is refused before its body is read. Its channel endorsement and serviceurl claim need the
        # activity, and are checked once the body is read (below).
        if await self._authenticated(Activity(), header) is None:
            return _refuse(401, "a valid Bot Framework token is required")
        content_type = request.headers.get("Content-Type", "")
        if not content_type.strip():
            return _refuse(400, "Content-Type: application/json is required")
        if "application/json" not in content_type.lower():
            return _refuse(415, "only application/json activities are accepted")
        raw = await request.read()  # over MAX_BODY_BYTES: aiohttp answers 413
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested deeper than the parser goes
            return _refuse(400, "the body is not valid JSON")
        found = problem(body)
        if found:
            logger.info("teams: malformed activity refused: %s", found)
            return _refuse(400, f"malformed activity: {found}")
        try:
            activity = Activity().deserialize(body)
        except Exception as exc:  # msrest raises several types for values of the wrong shape, quoting them
            logger.info("teams: activity %s could not be read (%s)", text_of(body, "id")[:80], error_kind(exc))
            return _refuse(400, "malformed activity: a field has the wrong type")
        authenticated = await self._authenticated(activity, header)
        if authenticated is None:
            return _refuse(401, "a valid Bot Framework token is required")
        if self._teams_only and text_of(body, "channelId") != TEAMS_CHANNEL:
            logger.warning("teams: activity %s from another channel than Teams refused", text_of(body, "id")[:80])
            return _refuse(403, "only Microsoft Teams is served here")
        if not self._service_url_allowed(text_of(body, "serviceUrl")):
            # The token names this service URL (botbuilder checks its serviceurl claim), but it is not one
            # the bot may call: nothing of the activity runs, so nothing is stored or sent.
            logger.warning("teams: activity %s refused: service URL not allowed", text_of(body, "id")[:80])
            return _refuse(403, "this serviceUrl is not a Bot Framework service")
        if self._tenant and tenant_id(body) != self._tenant:
            logger.warning("teams: activity from tenant %s refused (single-tenant app)", tenant_id(body))
            return _refuse(403, "this app serves one tenant only")
        if body["type"] not in HANDLED_TYPES:
            return web.Response(status=200)
        if not self._recent.first_time(body):
            logger.info("teams: repeated activity %s ignored", text_of(body, "id"))
            return web.json_response({}) if body["type"] == "invoke" else web.Response(status=200)

        async def logic(turn_context: TurnContext) -> None:
            turn_context.turn_state[RAW_ACTIVITY] = body
            if body["type"] != "message":  # installs, removals and invokes (which owe an invoke answer) all run
                await self._bot.on_turn(turn_context)
                return
            try:
                await self._bot.on_turn(turn_context)
            except Busy:  # raised before the core call: nothing of the message was stored
                count_shed(surface="teams", kind="turn")
                logger.debug("busy: teams message %s from %s shed", text_of(body, "id"), tenant_id(body))
                await turn_context.send_activity(BUSY)

        # A message counts as answered in the foreground while its core call runs (TurnSlots.work).
        answering = self._foreground.answering() if body["type"] != "message" else nullcontext()
        try:
            with answering:
                invoke = await self._adapter.process_activity(authenticated, activity, logic)
        except Exception as exc:  # its text may quote the activity: the kind of error and where, no message
            logger.error(
                "teams: %s activity %s from %s failed: %s",
                body["type"],
                text_of(body, "id")[:80],
                tenant_id(body) or "no tenant",
                error_summary(exc),
            )
            self._recent.forget(body)
            return _refuse(500, "the activity could not be processed")
        if body["type"] == "invoke":  # its answer is this response (a message's replies went out already: handling.py)
            answered(surface="teams", kind="turn")
        if invoke is not None:
            # The SDK's own invoke answers are serialized already; models are serialized here.
            answer = invoke.body
            if answer is not None and not isinstance(answer, dict | list):
                answer = serializer_helper(answer)
            return web.json_response(answer, status=invoke.status)
        return web.Response(status=200)

    async def _authenticated(self, activity: Activity, header: str) -> Any:
        """botbuilder's authentication result for this header (and activity), or None when it fails.

        With an empty activity only the token itself is checked: its signature, issuer, audience and
        lifetime; with the activity, also the channel that endorses its key and its ``serviceurl`` claim.
        """
        try:
            return await self._adapter.bot_framework_authentication.authenticate_request(activity, header)
        except PermissionError:  # no token, or one that is not for this bot
            return None
        except Exception as exc:  # unreadable token, unreachable signing keys: not authenticated either way
            logger.warning("teams: request not authenticated (%s)", error_kind(exc))
            return None
