"""An in-memory surface at the delivery port: records what would be posted, fails on demand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.ports import BoardOutcome, BoardStatus, ChannelGone, DeliveryError
from bot.replies import Audience, Board, Reply


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: escapes every `except Exception` like a dead process would."""


@dataclass
class Posted:
    workspace_id: str
    channel_id: str | None
    reply: Reply
    ts: str


@dataclass
class RecordingSurface:
    platform: str = "console"
    posts: list[Posted] = field(default_factory=list)
    fail_next: list[BaseException] = field(default_factory=list)
    kill_after_post: bool = False
    boards: list[tuple[str, str, Board]] = field(default_factory=list)  # (workspace, channel, board) written
    board_outcomes: list[BoardOutcome] = field(default_factory=list)  # the next show_board answers, else WRITTEN

    @property
    def cards(self) -> list[Posted]:
        """The agenda cards posted in channels (not the text notices that go to a channel too)."""
        return [p for p in self.posts if p.reply.audience is Audience.CHANNEL and p.reply.card is not None]

    @property
    def direct(self) -> list[Posted]:
        return [p for p in self.posts if p.reply.audience is Audience.DIRECT]

    async def deliver(self, *, workspace_id: str, channel_id: str | None, replies: Sequence[Reply]) -> list[Any]:
        refs: list[Any] = []
        for reply in replies:
            if reply.audience is Audience.CHANNEL and reply.card is not None and self.fail_next:
                raise self.fail_next.pop(0)
            ts = f"{len(self.posts) + 1}.000"
            self.posts.append(Posted(workspace_id, reply.to_team or channel_id, reply, ts))
            refs.append({"channel": reply.to_team or channel_id, "ts": ts})
            if self.kill_after_post and reply.audience is Audience.CHANNEL and reply.card is not None:
                self.kill_after_post = False
                raise WorkerKilled()
        return refs

    async def find_posted(self, *, workspace_id: str, channel_id: str, key: str) -> dict[str, Any] | None:
        for post in self.posts:
            message = post.reply.message
            if post.workspace_id == workspace_id and post.channel_id == channel_id and message and message.key == key:
                return {"channel": channel_id, "ts": post.ts}
        return None

    async def show_board(self, *, workspace_id: str, channel_id: str, board: Board) -> BoardOutcome:
        outcome = self.board_outcomes.pop(0) if self.board_outcomes else BoardOutcome(BoardStatus.WRITTEN)
        if outcome.status is BoardStatus.WRITTEN:
            self.boards.append((workspace_id, channel_id, board))
        return outcome


def rate_limited(seconds: float = 30.0) -> DeliveryError:
    return DeliveryError("ratelimited", retryable=True, retry_after=seconds)


def archived() -> ChannelGone:
    return ChannelGone("is_archived")
