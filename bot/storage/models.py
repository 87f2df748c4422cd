"""Database tables. Every row belongs to one workspace; nothing crosses between workspaces."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.domain.lifecycle import AgendaState, Outcome, SeriesState

E = TypeVar("E", bound=StrEnum)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: the same on SQLite (no zones) and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class StateColumn(TypeDecorator[E]):
    """A lifecycle state stored as its plain value (no database enum, so no migration when a state is
    added); rows read back as enum members, and an unknown value is refused before it is written."""

    impl = String
    cache_ok = True

    def __init__(self, states: type[E]) -> None:
        super().__init__(16)
        self.states = states

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else str(self.states(value).value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.states(value)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[str]: JSON}  # noqa: RUF012


class Workspace(Base):
    __tablename__ = "workspaces"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_id"),
        Index("ix_members_workspace_name", "workspace_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), default="member")
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("workspace_id", "external_id"), Index("ix_teams_board_due", "board_due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    zone: Mapped[str] = mapped_column(String(64), default="UTC")
    review_required: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    conversation: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # When the team was last invited to share a story because its pool had nothing new (at most weekly).
    nudged_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    # The "Customer Moment" section in the channel's canvas (bot.services.board, bot.scheduler.boards).
    canvas: Mapped[bool] = mapped_column(Boolean, default=False)
    board_due_at: Mapped[datetime | None] = mapped_column(default=None)  # rewrite from then (or a writer's lease)
    board_written_at: Mapped[datetime | None] = mapped_column(default=None)  # last write attempt: one a minute
    board_problem: Mapped[str | None] = mapped_column(String(32), default=None)  # the problem managers were told


class TeamMember(Base):
    """A member seen in a team's channel: the people a team's recognition stats are about."""

    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime]


class Moment(Base):
    """A story, shout-out or exercise. Library exercises have no team and a ``library_key``."""

    __tablename__ = "moments"
    __table_args__ = (
        Index(
            "ix_moments_rotation",
            "team_id",
            "state",
            "kind",
            "times_featured",
            "last_featured_at",
            "created_at",
            "id",
        ),
        Index("ix_moments_fresh", "team_id", "state", "kind", "times_featured", "created_at"),
        Index("ix_moments_author", "workspace_id", "author_id"),
        # Partial: only the ~40 library rows per workspace, never the millions of team items.
        Index(
            "ix_moments_library",
            "workspace_id",
            "library_key",
            sqlite_where=text("library_key IS NOT NULL"),
            postgresql_where=text("library_key IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    library_key: Mapped[str | None] = mapped_column(String(64), default=None)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), default=None)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(200), default="")
    situation: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(Text, default="")
    reaction: Mapped[str] = mapped_column(Text, default="")
    lesson: Mapped[str] = mapped_column(Text, default="")
    steps: Mapped[list[str]] = mapped_column(default=list)
    minutes: Mapped[int] = mapped_column(Integer, default=10)
    tags: Mapped[list[str]] = mapped_column(default=list)
    nps: Mapped[str | None] = mapped_column(String(16), default=None)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    times_featured: Mapped[int] = mapped_column(Integer, default=0)
    last_featured_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), default=None)
    # Where a shout-out's announcement was posted in its channel (bot.services.announcements).
    post_ref: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class Recipient(Base):
    """A member a shout-out recognises."""

    __tablename__ = "recipients"
    __table_args__ = (Index("ix_recipients_member", "member_id"),)

    moment_id: Mapped[int] = mapped_column(ForeignKey("moments.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)


class MeetingSeries(Base):
    __tablename__ = "meeting_series"
    __table_args__ = (
        Index("ix_series_due", "state", "next_post_at"),
        Index("ix_series_prepare", "state", "next_prepare_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    rule: Mapped[str] = mapped_column(String(500))
    at: Mapped[str] = mapped_column(String(5))
    zone: Mapped[str] = mapped_column(String(64))
    anchor: Mapped[str] = mapped_column(String(10))
    lead_minutes: Mapped[int] = mapped_column(Integer, default=30)
    skip_dates: Mapped[list[str]] = mapped_column(default=list)
    state: Mapped[SeriesState] = mapped_column(StateColumn(SeriesState), default=SeriesState.ACTIVE)
    next_start_at: Mapped[datetime | None] = mapped_column(default=None)
    next_post_at: Mapped[datetime | None] = mapped_column(default=None)
    remind_minutes: Mapped[int] = mapped_column(Integer, default=0)
    # When the scheduler prepares the next occurrence: picks its moment and sends the reminder.
    next_prepare_at: Mapped[datetime | None] = mapped_column(default=None)
    # A series that follows a calendar: its known meetings, [{"start", "original", "zone"}] in UTC ISO form.
    feed_occurrences: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime]


class CalendarFeed(Base):
    """Where a calendar-following series reads its meetings from, and how the last reads went."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (Index("ix_calendar_feeds_due", "next_refresh_at"),)

    series_id: Mapped[int] = mapped_column(ForeignKey("meeting_series.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    url_ciphertext: Mapped[str] = mapped_column(Text)  # the feed address is a secret: Fernet, ENCRYPTION_KEY
    host: Mapped[str] = mapped_column(String(255))
    event_uid: Mapped[str] = mapped_column(String(1000))
    event_title: Mapped[str] = mapped_column(String(200))
    event_ics: Mapped[str] = mapped_column(Text, default="")  # the followed event's entries, for unchanged feeds
    etag: Mapped[str | None] = mapped_column(String(500), default=None)
    last_modified: Mapped[str | None] = mapped_column(String(100), default=None)
    last_read_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    failing_since: Mapped[datetime | None] = mapped_column(default=None)
    warned_at: Mapped[datetime | None] = mapped_column(default=None)
    next_refresh_at: Mapped[datetime]
    locked_by: Mapped[str | None] = mapped_column(String(64), default=None)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]


class AgendaItem(Base):
    """One meeting occurrence's Customer Moment slot."""

    __tablename__ = "agenda_items"
    __table_args__ = (
        UniqueConstraint("series_id", "starts_at"),
        Index("ix_agenda_team_start", "team_id", "starts_at"),
        Index("ix_agenda_due", "state", "post_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_series.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime]
    post_at: Mapped[datetime]
    state: Mapped[AgendaState] = mapped_column(StateColumn(AgendaState), default=AgendaState.SCHEDULED)
    moment_id: Mapped[int | None] = mapped_column(ForeignKey("moments.id", ondelete="SET NULL"), default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
    presenter_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), default=None)
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), default=None)
    post_ref: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_by: Mapped[str | None] = mapped_column(String(64), default=None)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Featuring(Base):
    """History: every moment ever put on an agenda item, and how it ended."""

    __tablename__ = "featurings"
    __table_args__ = (
        Index("ix_featurings_team_time", "team_id", "created_at"),
        Index("ix_featurings_agenda", "agenda_item_id"),
        Index("ix_featurings_moment", "moment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"))
    moment_id: Mapped[int] = mapped_column(ForeignKey("moments.id", ondelete="CASCADE"))
    outcome: Mapped[Outcome] = mapped_column(StateColumn(Outcome), default=Outcome.CURRENT)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class Vote(Base):
    """A member found an agenda item's moment helpful (one vote per member and item)."""

    __tablename__ = "votes"

    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime]


class MeetingChat(Base):
    """A meeting's chat the app was added to (a team of its own), and the team whose pool it draws from."""

    __tablename__ = "meeting_chats"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    pool_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), default=None)
    linked_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime]


class MeetingOccurrence(Base):
    """One occurrence of an online meeting and its moment: its unique key makes a start count once, however
    often Teams delivers the event and however many servers receive it."""

    __tablename__ = "meeting_occurrences"
    __table_args__ = (UniqueConstraint("workspace_id", "meeting_id", "occurrence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    meeting_id: Mapped[str] = mapped_column(String(255))
    occurrence: Mapped[str] = mapped_column(String(32))  # the scheduled start, or the day it started
    chat_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None] = mapped_column(default=None)  # None: known ahead, not started yet
    ended_at: Mapped[datetime | None] = mapped_column(default=None)


class OneTimeClaim(Base):
    """A key claimed once (:class:`bot.ports.OneTimeClaims`): its primary key is what makes a second claim,
    from any process, lose. The key names the platform and workspace of what it claims; the row is kept until
    that can no longer be used anyway, then pruned."""

    __tablename__ = "one_time_claims"
    __table_args__ = (Index("ix_one_time_claims_kept_until", "kept_until"),)

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    kept_until: Mapped[datetime]
