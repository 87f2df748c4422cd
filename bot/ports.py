"""Ports: what the core needs from the outside world, as protocols that surfaces implement."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from bot.events import Person, Place
from bot.replies import Board, Reply

JsonDict = dict[str, Any]


class DeliveryError(Exception):
    """A message could not be delivered.

    ``retryable`` says whether trying again later may work (rate limits, timeouts, 5xx);
    ``retry_after`` is the platform's own hint in seconds, when it gave one.
    """

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class ChannelGone(DeliveryError):
    """The channel was archived or deleted, or the bot was removed from it: stop posting there."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class BoardStatus(Enum):
    """How showing a team's board went."""

    WRITTEN = "written"
    UNSUPPORTED = "unsupported"  # the surface has no such shared document: nothing to do, ever
    RETRY = "retry"  # rate limited or a passing failure: try again later
    PLAN = "plan"  # the workspace's plan has no channel canvases
    SCOPE = "scope"  # the app lacks a permission it needs: reinstall it
    NOT_ALLOWED = "not_allowed"  # the document exists but the bot may not change it
    GONE = "gone"  # the document was deleted and cannot be made again
    FAILED = "failed"  # refused for another reason: told once, tried again at the next change


@dataclass(frozen=True, slots=True)
class BoardOutcome:
    status: BoardStatus
    retry_after: float | None = None  # the platform's hint, for RETRY
    detail: str = ""  # the platform's error code, for logs


class Surface(Protocol):
    """A chat platform the core can send to without an incoming request (scheduler, notifications)."""

    platform: str

    async def deliver(self, *, workspace_id: str, channel_id: str | None, replies: Sequence[Reply]) -> list[Any]:
        """Send replies: CHANNEL ones to their ``to_team`` channel (or ``channel_id``), DIRECT ones to members.

        Returns, per reply, the surface's reference to the posted message (a JSON-able dict) or None.
        A reply with a ``message`` key whose ``ref`` is set updates that message instead of posting.
        Raises DeliveryError / ChannelGone when a CHANNEL post fails.
        """
        ...

    async def find_posted(self, *, workspace_id: str, channel_id: str, key: str) -> dict[str, Any] | None:
        """The reference of a message with this key already in the channel, if the platform can tell."""
        ...

    async def show_board(self, *, workspace_id: str, channel_id: str, board: Board) -> BoardOutcome:
        """Write the team's board into the channel's shared document, touching nothing else there.

        Never raises for platform errors: the outcome says what happened. Surfaces without such a
        document answer ``BoardStatus.UNSUPPORTED``.
        """
        ...


class Conversations(Protocol):
    """What a surface keeps about the conversations it may post to unasked, stored by the core.

    A surface that needs an address to post proactively (Teams: a conversation reference) keeps it per
    channel here, as an opaque JSON dict the core never reads. Every method names the surface's
    ``platform`` and ``workspace_id``; a channel the core does not know is simply not found.
    """

    async def install(self, place: Place, installer: Person, reference: JsonDict) -> None:
        """The app was added to a channel: make the workspace, channel and installer known (the first person
        of a workspace is its admin), keep the reference and mark the channel active, in one transaction."""
        ...

    async def stored(self, *, platform: str, workspace_id: str, channel_id: str) -> JsonDict | None:
        """The reference kept for a channel, whether or not it is active."""
        ...

    async def keep(self, *, platform: str, workspace_id: str, channel_id: str, reference: JsonDict) -> bool:
        """Replace the reference of a known channel (its active flag stays as it is); False for an unknown one."""
        ...

    async def kept(self, *, platform: str, workspace_id: str) -> dict[str, JsonDict]:
        """Every channel of the workspace that has a reference, active or not: channel id → reference."""
        ...

    async def forget(self, *, platform: str, workspace_id: str, channel_ids: Collection[str]) -> int:
        """The app was removed from these channels: drop their references and mark them inactive; how many."""
        ...

    async def set_active(self, *, platform: str, workspace_id: str, channel_ids: Collection[str], active: bool) -> None:
        """Stop posting to these channels (archived) or post there again (restored), keeping their references."""
        ...

    async def reference(self, *, platform: str, workspace_id: str, channel_id: str) -> JsonDict | None:
        """Where to post in a channel: its reference, when it has one and is active."""
        ...

    async def rename(self, *, platform: str, workspace_id: str, names: Mapping[str, str]) -> int:
        """The platform says these channels (channel id → name) are now called so; unknown ones are skipped.
        Returns how many known channels changed their name."""
        ...

    async def references(self, *, platform: str, workspace_id: str, limit: int = 3) -> list[JsonDict]:
        """Some active channels' references: somewhere to reach the workspace's members from."""
        ...

    async def posted(self, *, platform: str, workspace_id: str, channel_id: str, key: str) -> JsonDict | None:
        """The reference recorded for a keyed post (``MessageKey.key``) of this channel, if any."""
        ...


class OneTimeClaims(Protocol):
    """Things that may be used once, across every process of the deployment (a Teams file offer, a Slack
    delivery): the first claim of a key wins, every later one — from this process or another — loses.

    Keys are the surface's own (name the platform and workspace in them); the core never reads them.
    """

    async def claim(self, key: str, *, until: datetime) -> bool:
        """True for the first claim of ``key``, False when it was claimed before.

        ``until``: when what the key names can no longer be used anyway (an offer's expiry); the claim is
        kept at least until then, and forgotten some time after, so the record stays bounded.
        """
        ...

    async def claimed(self, key: str) -> bool:
        """Whether ``key`` was claimed and is not forgotten yet; claims nothing."""
        ...


@dataclass(frozen=True, slots=True)
class FetchedFeed:
    """A calendar feed's answer: ``status`` 200 with its ``body``, or 304 when it did not change."""

    status: int
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None


class FeedUnavailable(Exception):
    """A calendar feed could not be fetched; the message says what is wrong in words an organizer can act on."""


class CalendarFetcher(Protocol):
    """Reads calendar feeds from the network, safely: the URL was typed by a user."""

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchedFeed:
        """GET ``url`` (conditionally, when ``etag`` / ``last_modified`` are given). Raises FeedUnavailable."""
        ...

    def refusal(self, url: str) -> str | None:
        """Why ``url`` would never be fetched (scheme, credentials, a literal private address), or None."""
        ...
