"""The team's board in the Slack channel canvas: one section, found again by its heading, replaced alone.

The channel's canvas is found with ``conversations.info`` (``properties.canvas.file_id``) or made with
``conversations.canvases.create``; the bot's section is found with ``canvases.sections.lookup`` by its
heading and replaced with ``canvases.edit`` (or added at the end when someone deleted it). What people
wrote around it is never sent, read or changed. Slack errors become a neutral :class:`BoardOutcome`.
"""

from __future__ import annotations

import logging
import re

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import delivery
from bot.ports import BoardOutcome, BoardStatus
from bot.replies import Board, BoardEntry

logger = logging.getLogger(__name__)

PLAN = frozenset({"team_tier_cannot_create_channel_canvases", "free_team_canvas_creation_not_allowed"})
SCOPE = frozenset({"missing_scope", "no_permission"})
NOT_ALLOWED = frozenset({"not_allowed", "access_denied", "restricted_action", "canvas_disabled_user_team"})
# The canvas the channel points at is no more: make a new one (once) before telling anyone.
CANVAS_GONE = frozenset({"canvas_not_found", "channel_canvas_deleted", "canvas_deleted", "file_not_found"})
MAX_TEXT = 300  # characters of one person-written field on the board

# Everything canvas markdown could read as markup: backslash-escaped, so people's text stays text
# (no headings, links, mentions ``![](@U1)``, emphasis, lists or tables made from a story).
_MARKUP = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&:=^$])")


def plain(text: str, limit: int = MAX_TEXT) -> str:
    """One line of person-written text, safe inside canvas markdown."""
    line = " ".join(text.split())
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return _MARKUP.sub(r"\\\1", line)


def markdown(board: Board) -> str:
    """The section: one heading (how it is found again) and its content, with no further headings."""
    lines = [f"## {plain(board.title)}", ""]
    upcoming = board.next
    if upcoming is None:
        lines.append(plain(board.empty_note))
    else:
        lines.append(f"**Next meeting{': ' + plain(upcoming.when) if upcoming.when else ''}**")
        lines.append("")
        lines += _entry(upcoming)
    if board.presented:
        lines += ["", "**Last presented**", ""]
        for entry in board.presented:
            line = f"- {plain(entry.title)}"
            if entry.when:
                line += f" · {plain(entry.when)}"
            if entry.presenter:
                line += f" · presented by {plain(entry.presenter)}"
            lines.append(line)
    return "\n".join(lines) + "\n"


def _entry(entry: BoardEntry) -> list[str]:
    lines = [f"**{plain(entry.title)}**"]
    if entry.summary:
        lines.append(plain(entry.summary))
    if entry.presenter:
        lines.append(f"Presenter: {plain(entry.presenter)}")
    if entry.why:
        lines.append(f"Why this one: {plain(entry.why)}")
    return [line + "  " if i < len(lines) - 1 else line for i, line in enumerate(lines)]  # hard line breaks


async def show(client: AsyncWebClient, *, channel: str, board: Board) -> BoardOutcome:
    """Write the board into the channel's canvas; never raises for Slack's answers."""
    content = {"type": "markdown", "markdown": markdown(board)}
    try:
        canvas_id = await _channel_canvas(client, channel)
        if canvas_id is None:
            await client.conversations_canvases_create(channel_id=channel, document_content=content)
            logger.info("made the canvas of channel %s with the board", channel)
            return BoardOutcome(BoardStatus.WRITTEN)
        try:
            await _write(client, canvas_id, content, board.title)
        except SlackApiError as exc:
            if delivery.api_error(exc) not in CANVAS_GONE:
                raise
            logger.info("canvas %s of channel %s is gone; making a new one", canvas_id, channel)
            await client.conversations_canvases_create(channel_id=channel, document_content=content)
        return BoardOutcome(BoardStatus.WRITTEN)
    except SlackApiError as exc:
        return outcome_of(exc, channel=channel)
    except delivery.SEND_FAILURES as exc:
        logger.warning("canvas of channel %s not written: %s", channel, type(exc).__name__)
        return BoardOutcome(BoardStatus.RETRY, detail=type(exc).__name__)


async def _channel_canvas(client: AsyncWebClient, channel: str) -> str | None:
    info = await client.conversations_info(channel=channel)
    properties = (info.get("channel") or {}).get("properties") or {}
    canvas = properties.get("canvas") or {}
    file_id = canvas.get("file_id") if isinstance(canvas, dict) else None
    return str(file_id) if file_id else None


async def _write(client: AsyncWebClient, canvas_id: str, content: dict[str, str], heading: str) -> None:
    found = await client.canvases_sections_lookup(
        canvas_id=canvas_id, criteria={"section_types": ["any_header"], "contains_text": heading}
    )
    sections = [s.get("id") for s in found.get("sections") or () if isinstance(s, dict) and s.get("id")]
    if sections:
        change = {"operation": "replace", "section_id": sections[0], "document_content": content}
    else:
        change = {"operation": "insert_at_end", "document_content": content}
    await client.canvases_edit(canvas_id=canvas_id, changes=[change])
    logger.info("canvas %s: board %s", canvas_id, "replaced" if sections else "added at the end")


def outcome_of(exc: SlackApiError, *, channel: str) -> BoardOutcome:
    """Map a Slack error to what the scheduler does about it."""
    error = delivery.api_error(exc)
    status = exc.response.status_code if exc.response is not None else 0
    logger.warning("canvas of channel %s not written: %s", channel, error)
    if error in delivery.RETRYABLE or status == 429 or status >= 500:
        return BoardOutcome(BoardStatus.RETRY, retry_after=delivery.retry_after_of(exc), detail=error)
    if error in PLAN:
        return BoardOutcome(BoardStatus.PLAN, detail=error)
    if error in SCOPE:
        return BoardOutcome(BoardStatus.SCOPE, detail=error)
    if error in NOT_ALLOWED:
        return BoardOutcome(BoardStatus.NOT_ALLOWED, detail=error)
    if error in CANVAS_GONE or error in delivery.GONE or error == "channel_canvas_already_exists":
        return BoardOutcome(BoardStatus.GONE, detail=error)
    return BoardOutcome(BoardStatus.FAILED, detail=error)
