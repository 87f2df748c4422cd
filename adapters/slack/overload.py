"""The "busy" answer on Slack: when a command's or a button's answer is shed, the person hears so.

:class:`adapters.http.overload.Busy` is raised by the listener before any work — for a command, while its
acknowledgement still waits to carry the answer; otherwise after the acknowledgement — when no slot came
free in time or Slack is slow to answer the calls already waiting on it.
Bolt (or :mod:`adapters.slack.fastpath`, for commands and button presses) hands it to the app's error
handler, which this provides: it posts :data:`adapters.http.overload.BUSY` to the request's
``response_url`` (only the person sees it) and counts the shed request. A command whose acknowledgement
has not gone out yet carries the busy answer in it instead (:func:`acknowledged`). A press in the Home tab, or a
visit to it, has no ``response_url``: the tab the person is looking at is published again with the busy
answer as its notice (a first visit, with no tab yet: a tab with only its top and the notice); a message
written to the bot is answered with it in that conversation.

Every other error is logged, as Bolt's own handler would, and the person hears of it where they can: a
command whose acknowledgement has not gone out carries a notice of the failure in it
(:func:`acknowledged`); otherwise a request acknowledged already gets the notice on its
``response_url`` when it has one (see :func:`error_handler`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, NamedTuple, Protocol

import aiohttp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from adapters.http.overload import BUSY, Busy, count_shed
from adapters.slack import delivery
from adapters.slack.acknowledgement import Acknowledgement
from adapters.slack.home import notice_only, with_notice
from adapters.slack.incoming import is_direct_message, tenant_of, user_of
from adapters.slack.respond import respond
from bot.core import BROKEN
from bot.log_safety import error_summary

logger = logging.getLogger(__name__)

BUSY_ANSWER = {"response_type": "ephemeral", "replace_original": False, "text": BUSY}
BUSY_ACKNOWLEDGEMENT = {"response_type": "ephemeral", "text": BUSY}
# A listener failed outside the core (which answers its own failures and rolls them back): what was asked
# may have been stored before the failure, so the person is told to look before trying again.
FAILED = (
    "Something went wrong on my side while answering, and it has been logged. "
    "What you asked for may have gone through: check before you try again."
)
FAILED_ANSWER = {"response_type": "ephemeral", "replace_original": False, "text": FAILED}
# A message shortcut only opens a form, and stores nothing before it is submitted.
FAILED_SHORTCUT_ANSWER = {"response_type": "ephemeral", "replace_original": False, "text": BROKEN}
FAILED_ACKNOWLEDGEMENT = {"response_type": "ephemeral", "text": FAILED}


class Waiting(NamedTuple):
    """Where someone waits for the answer to a request that has no ``response_url``: in their conversation with
    the bot (``channel``: a message they wrote there), or on the Home tab (``view``: the tab they see, as Slack
    sent it; None before the first one was published); ``visit``: they only opened the tab."""

    user_id: str
    channel: str = ""
    view: dict[str, Any] | None = None
    visit: bool = False


def waiting_without_url(body: dict[str, Any]) -> Waiting | None:
    """Where the person waits for the answer to ``body``'s request without a ``response_url``; None when nobody
    does (an event no one asked for, a press in a form)."""
    user_id = user_of(body)[0]
    view, event = body.get("view"), body.get("event")
    if user_id and isinstance(view, dict) and view.get("type") == "home":
        return Waiting(user_id, view=view)
    if isinstance(event, dict) and is_direct_message(event):  # the envelope names no user; the event does
        return Waiting(str(event["user"]), channel=str(event["channel"]))
    if isinstance(event, dict) and is_home_visit(event):
        shown = event.get("view")  # the tab as it is now; none before the first one was published
        return Waiting(str(event["user"]), view=shown if isinstance(shown, dict) else None, visit=True)
    return None


def is_home_visit(event: dict[str, Any]) -> bool:
    """A visit to the Home tab: someone waits to see it drawn."""
    return event.get("type") == "app_home_opened" and event.get("tab") == "home" and isinstance(event.get("user"), str)


def kind_of(body: dict[str, Any]) -> str:
    """command, action, shortcut or event: what was shed."""
    if body.get("command"):
        return "command"
    return {"block_actions": "action", "message_action": "shortcut"}.get(str(body.get("type")), "event")


def acknowledged(acknowledgement: Acknowledgement, error: Exception, body: dict[str, Any]) -> bool:
    """What a command's listener raised, answered in its acknowledgement if that has not gone out yet (True):
    the busy answer for :class:`Busy` (counted as shed), the failure notice for anything else (logged)."""
    busy = isinstance(error, Busy)
    if not acknowledgement.carry(BUSY_ACKNOWLEDGEMENT if busy else FAILED_ACKNOWLEDGEMENT):
        return False
    if busy:
        shed(body)
    else:
        log_failure(error, body)
    return True


def log_failure(error: Exception, body: dict[str, Any]) -> None:
    logger.error(
        "Slack %s of user %s in workspace %s failed in a listener or middleware: %s",
        kind_of(body),
        user_of(body)[0],
        tenant_of(body).workspace_id,
        error_summary(error),
    )


def shed(body: dict[str, Any]) -> None:
    """Count ``body``'s request as shed."""
    kind, user_id, workspace_id = kind_of(body), user_of(body)[0], tenant_of(body).workspace_id
    count_shed(surface="slack", kind=kind)
    logger.debug("busy: %s of user %s in workspace %s shed", kind, user_id, workspace_id)


class ErrorHandler(Protocol):
    """Bolt's ``app.error`` handler, as :func:`error_handler` makes it; ``response`` is Bolt's response to the
    request while it is still to be sent (the fast path calls it without one)."""

    def __call__(
        self,
        error: Exception,
        body: dict[str, Any],
        client: AsyncWebClient | None = None,
        response: BoltResponse | None = None,
        /,
    ) -> Awaitable[None]: ...


def error_handler(
    sender: AsyncWebClient,
    tracked: Callable[[], AbstractAsyncContextManager[object]],
    claim: Callable[[dict[str, Any]], Awaitable[bool]],
) -> ErrorHandler:
    """Bolt's ``app.error`` handler: the busy answer for :class:`Busy`; for anything else a logged error,
    and a notice of the failure to the person once the request was acknowledged: on its ``response_url`` (a
    command, a press in a message, a message shortcut), else where they wait for the answer (a message to
    the bot: in that conversation; a press in the Home tab or a visit to it: on the tab, at its top). A
    request that failed before it was acknowledged (in Bolt's middleware, authorization included) gets
    Slack's own error for its 500 and nothing more: no listener ran, so nothing of it "may have gone
    through". A press in a form has nowhere to be told: its failure is logged only.

    ``sender``: the surface's own client, whose session and proxy carry a busy answer to a ``response_url``.

    ``tracked``: entered around sending the busy answer, so that shutdown waits for it as for any answer
    (:meth:`adapters.http.inflight.Inflight.tracked`). ``claim``: the delivery log's claim of a request's
    delivery (:meth:`adapters.slack.dedupe.DeliveryLog.claim`), so that a message to the bot gets one outcome,
    the busy answer or its answer, however often Slack delivers it. The handler's ``client`` is the request's
    own, with the workspace's token (Bolt passes it by that name), which publishing a Home tab needs."""

    async def handle(
        error: Exception,
        body: dict[str, Any],
        client: AsyncWebClient | None = None,
        response: BoltResponse | None = None,
    ) -> None:
        """``response``: Bolt's response to the request when it is still to be sent (a 500 for a failure
        before the acknowledgement); None once the request was acknowledged, and from the fast path."""
        if isinstance(error, Busy):
            what, answer = "busy", answer_busy(body, client)
        else:
            log_failure(error, body)
            if response is not None:
                return
            what, answer = "failure", answer_failure(body, client)
        try:
            await answer
        except Exception:  # nobody awaits the handler's task: logged here, or lost
            logger.exception("%s answer failed (%s of workspace %s)", what, kind_of(body), tenant_of(body).workspace_id)

    async def answer_failure(body: dict[str, Any], client: AsyncWebClient | None) -> None:
        url = body.get("response_url")
        if isinstance(url, str) and url:
            notice = FAILED_SHORTCUT_ANSWER if kind_of(body) == "shortcut" else FAILED_ANSWER
            await post(url, notice, body, "failure notice")
            return
        waiting = waiting_without_url(body)
        if client is None or waiting is None:
            return
        if waiting.channel:
            async with tracked():
                await in_direct(client, waiting.user_id, waiting.channel, FAILED, "failure notice")
        else:  # a visit asked nothing: only the tab to see again
            told = BROKEN if waiting.visit else FAILED
            await on_home(client, waiting.user_id, waiting.view, told, "failure notice")

    async def answer_busy(body: dict[str, Any], client: AsyncWebClient | None) -> None:
        shed(body)
        url = body.get("response_url")
        if not isinstance(url, str) or not url:
            waiting = waiting_without_url(body)
            if client is None or waiting is None:
                return  # an event nobody waits on an answer to
            if waiting.channel:
                await busy_direct(client, waiting.user_id, waiting.channel, body)
            else:
                await on_home(client, waiting.user_id, waiting.view, BUSY, "busy notice")
            return
        await post(url, BUSY_ANSWER, body, "busy answer")

    async def post(url: str, answer: dict[str, Any], body: dict[str, Any], what: str) -> None:
        workspace_id, (user_id, _) = tenant_of(body).workspace_id, user_of(body)
        try:
            async with tracked():
                status = await respond(sender, url, answer)
        except (aiohttp.ClientError, TimeoutError) as exc:  # its text may hold the URL, which is a credential
            logger.warning("%s to user %s in workspace %s failed: %s", what, user_id, workspace_id, type(exc).__name__)
            return
        if status != 200:
            logger.warning("response_url answered %s to the %s of user %s", status, what, user_id)

    async def busy_direct(client: AsyncWebClient, user_id: str, channel: str, body: dict[str, Any]) -> None:
        async with tracked():  # the claim too: shutdown and tests wait for the whole busy answer
            try:
                # Claimed here, as a served message claims it: an attempt of the same delivery running
                # meanwhile, or delivered again later, then does nothing, and a claimed one gets no busy answer.
                if not await claim(body):
                    return
            except (SQLAlchemyError, OSError) as exc:  # the busy answer still goes: better than silence
                logger.warning("delivery of user %s's direct message not claimed: %s", user_id, type(exc).__name__)
            await in_direct(client, user_id, channel, BUSY, "busy answer")

    async def in_direct(client: AsyncWebClient, user_id: str, channel: str, text: str, what: str) -> None:
        """``text`` in the person's conversation with the bot (where they wrote the message answered); the
        caller tracks it."""
        try:
            await client.chat_postMessage(channel=channel, text=text)
        except delivery.SEND_FAILURES as exc:
            logger.warning("%s to the direct message of user %s not posted: %s", what, user_id, delivery.failure(exc))

    async def on_home(client: AsyncWebClient, user_id: str, view: dict[str, Any] | None, text: str, what: str) -> None:
        """The tab the person sees (``view``, as Slack sent it with the press or the visit) with ``text`` as its
        notice; a first visit (``view`` None: no tab yet) gets one with only its top and the notice."""
        noticed = notice_only(text) if view is None else with_notice(view, text)
        if noticed is None:
            return
        # Slack refuses it if the tab changed since: the newer tab stays. A first visit has no tab to compare
        # with, so a tab drawn meanwhile (an earlier visit answered) would give way to this one until the next.
        seen = view.get("hash") if view is not None else None
        try:
            async with tracked():
                await client.views_publish(user_id=user_id, view=noticed, hash=seen if isinstance(seen, str) else None)
        except delivery.SEND_FAILURES as exc:
            if delivery.failure(exc) == "hash_conflict":  # drawn again meanwhile (another press): that tab stays
                logger.info("%s on the Home tab of user %s not published: the tab changed since", what, user_id)
                return
            logger.warning("%s on the Home tab of user %s not published: %s", what, user_id, delivery.failure(exc))

    return handle
