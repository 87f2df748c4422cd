"""aiohttp request → Bolt request, refusing with a 400 the bodies Bolt itself would answer with a 500.

Bolt's own ``to_bolt_request`` decodes the body in the charset the request claims (strictly: bytes
that are not UTF-8 raise) and parses it in the request's constructor, where JSON nested too deep, a
broken ``payload=`` field or a payload that is not an object raises too; its listener matchers then
index into ``view``, ``actions`` and ``event`` assuming Slack's shapes. Slack only ever sends UTF-8
objects of those shapes, so anything else is malformed input: a 400 with a short reason, before the
signature check (which needs the decoded text) and before any listener runs.

Bolt's form parser also takes the word "payload" anywhere in a form for its interactivity field, and
then drops the form: ``/moment story The payload was lost …`` would go unanswered (a 404). So a form
is read here, as the fields it has, its ``payload`` field (JSON) being the body when there is one.

Reading it here is also faster. ``urllib``'s form parser undoes each ``%XX`` escape in a Python loop;
a submitted modal carries its whole view as JSON in one field, over a thousand escapes, and decoding
them took about a tenth of the CPU of a story submitted by its form. :func:`form_fields` undoes the
escapes of a well-formed field in C (the ``unicode_escape`` codec, after turning ``%`` into ``\\x``)
and hands anything else (a stray ``%``, a backslash, bytes that are not UTF-8) to ``urllib``, so the
fields are always those ``parse_qsl`` gives.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

logger = logging.getLogger(__name__)

JSON = "application/json"
# Fields that are a string in every Slack payload that has them (null where Slack leaves them out).
TEXT_FIELDS = (
    "type",
    "token",
    "team_id",
    "team_domain",
    "enterprise_id",
    "user_id",
    "user_name",
    "channel_id",
    "channel_name",
    "api_app_id",
    "command",
    "text",
    "trigger_id",
    "response_url",
    "callback_id",
    "action_id",
    "event_id",
)
# Fields that are an id or an object with an ``id``.
OWNER_FIELDS = ("team", "user", "channel", "enterprise")
VIEW_TEXT_FIELDS = ("id", "type", "callback_id", "private_metadata", "team_id", "app_installed_team_id")
ACTION_TEXT_FIELDS = ("type", "action_id", "block_id", "value")


def _unquoted(part: str) -> str:
    """``part`` of a form with ``+`` read as a space and its ``%XX`` escapes undone, as ``parse_qsl`` does."""
    part = part.replace("+", " ")
    if "%" not in part:
        return part
    if "\\" not in part:
        try:
            return part.replace("%", "\\x").encode().decode("unicode_escape").encode("latin-1").decode()
        except UnicodeError:  # an escape that is not two hex digits, or bytes that are not UTF-8
            pass
    return unquote(part)


def form_fields(text: str) -> dict[str, str]:
    """The fields of a form-encoded body: ``dict(parse_qsl(text, keep_blank_values=True))``, faster."""
    fields: dict[str, str] = {}
    for pair in text.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            fields[_unquoted(name)] = _unquoted(value)
    return fields


def _body(text: str, content_type: str | None) -> Any:
    """What Bolt reads from a body: JSON as it is, a form's ``payload`` field, or else the form's fields."""
    if not text:
        return {}
    if content_type == JSON or text.startswith("{"):
        return json.loads(text)
    fields = form_fields(text)
    # As Bolt looks for it: only where the text says "payload" as it is (a name written p%61yload is a field).
    return json.loads(fields["payload"]) if "payload" in text and "payload" in fields else fields


def _text_or_null(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _bad_texts(mapping: Mapping[str, Any], keys: tuple[str, ...], where: str) -> str | None:
    for key in keys:
        if not _text_or_null(mapping.get(key)):
            return f"'{where}{key}' must be a string"
    return None


def problem(body: object) -> str | None:
    """Why ``body`` is not shaped like anything Slack sends, or None when Bolt can read it safely."""
    if not isinstance(body, Mapping):
        return "the body must be an object"
    found = _bad_texts(body, TEXT_FIELDS, "")
    if found:
        return found
    for key in OWNER_FIELDS:
        owner = body.get(key)
        if isinstance(owner, Mapping):
            if not _text_or_null(owner.get("id")):
                return f"'{key}.id' must be a string"
        elif not _text_or_null(owner):
            return f"'{key}' must be a string or an object"
    # Bolt's matchers test for these keys with ``in`` and then index into them: present means usable.
    if "view" in body:
        view = body["view"]
        if not isinstance(view, Mapping):
            return "'view' must be an object"
        found = _bad_texts(view, VIEW_TEXT_FIELDS, "view.")
        if found:
            return found
        if "callback_id" in view and not isinstance(view.get("type"), str):
            # Bolt reads a submitted view's type (``body["view"]["type"]``) once it has a callback_id.
            return "'view.type' must be a string"
    if "actions" in body:
        actions = body["actions"]
        if not isinstance(actions, list) or not actions or not all(isinstance(a, Mapping) for a in actions):
            return "'actions' must be a list of objects"
        for action in actions:
            if not isinstance(action.get("action_id"), str):
                return "'actions[].action_id' must be a string"
            found = _bad_texts(action, ACTION_TEXT_FIELDS, "actions[].")
            if found:
                return found
    if "event" in body:
        event = body["event"]
        if not isinstance(event, Mapping):
            return "'event' must be an object"
        if not _text_or_null(event.get("type")):
            return "'event.type' must be a string"
    for key in ("container", "message"):
        if body.get(key) is not None and not isinstance(body.get(key), Mapping):
            return f"'{key}' must be an object"
    return None


def _refuse(reason: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": reason}), content_type="application/json")


async def to_bolt_request(request: web.Request) -> AsyncBoltRequest:
    """The Bolt request for ``request``; raises ``HTTPBadRequest`` (400) for a body Slack would never send.

    A body over the server's size limit is refused by aiohttp while reading (413).
    """
    raw = await request.read()
    try:
        text = raw.decode("utf-8")  # Slack signs and sends UTF-8, whatever charset a forger declares
    except UnicodeDecodeError:
        logger.info("slack: request body is not UTF-8; refused")
        raise _refuse("the body is not UTF-8") from None
    # Made empty, then given the body read here (see the module docstring), as Bolt's constructor would.
    bolt_request = AsyncBoltRequest(body="", query=request.query_string, headers=request.headers)  # type: ignore[arg-type]
    bolt_request.raw_body = text
    try:
        bolt_request.body = _body(text, bolt_request.content_type)
        bolt_request.context = build_async_context(AsyncBoltContext({}), bolt_request.body)
    except (ValueError, RecursionError, TypeError, AttributeError, KeyError, IndexError) as exc:
        # JSON that does not parse or nests too deep, or a payload whose ids Bolt cannot read.
        logger.info("slack: request body could not be read (%s); refused", type(exc).__name__)
        raise _refuse("the body is not a Slack request") from None
    found = problem(bolt_request.body)
    if found:
        logger.info("slack: malformed request refused: %s", found)
        raise _refuse(f"malformed request: {found}")
    return bolt_request
