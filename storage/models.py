"""The tables, as SQLAlchemy 2 typed models.

Invariants that racing requests could break live here as constraints, not in Python.
A talk on the agenda is an ``AgendaSession`` (never ``Session``, which is SQLAlchemy's).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SESSION_KINDS = ("talk", "panel", "pitch", "partnering", "break", "networking")
SESSION_STATUSES = ("scheduled", "cancelled")
ORG_TYPES = ("pharma", "biotech", "startup", "academia", "hospital", "investor", "public", "other")
REQUEST_STATUSES = ("pending", "accepted", "declined", "withdrawn", "cancelled")
MEETING_STATUSES = ("booked", "cancelled")


def _partial_unique(name: str, *columns: str, where: str) -> Index:
    """A unique index over the rows matching ``where`` only; both SQLite and PostgreSQL enforce it,
    which is how "one booking per table and slot" holds even when accepts race."""
    return Index(name, *columns, unique=True, sqlite_where=text(where), postgresql_where=text(where))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Event(Base):
    """One partnering event; ``revision`` grows on every load so caches know to refresh."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    dates: Mapped[list[str]] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # The event file's placement mode and per-person rules (storage.event_file.PartneringInfo.rules).
    partnering_rules: Mapped[dict] = mapped_column(JSON, default=dict)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    organisers: Mapped[list[Organiser]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Organiser.position"
    )
    venues: Mapped[list[Venue]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Venue.position"
    )


class Organiser(Base):
    """An organisation running the event (Roche, Oslo Cancer Cluster, ...)."""

    __tablename__ = "organisers"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(500), default="")

    event: Mapped[Event] = relationship(back_populates="organisers")


class Venue(Base):
    __tablename__ = "venues"
    __table_args__ = (UniqueConstraint("event_id", "key", name="uq_venues_event_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    map_url: Mapped[str] = mapped_column(String(500), default="")
    directions: Mapped[str] = mapped_column(Text, default="")

    event: Mapped[Event] = relationship(back_populates="venues")
    rooms: Mapped[list[Room]] = relationship(back_populates="venue", cascade="all, delete-orphan", order_by="Room.position")


class Room(Base):
    __tablename__ = "rooms"
    __table_args__ = (UniqueConstraint("venue_id", "name", name="uq_rooms_venue_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))

    venue: Mapped[Venue] = relationship(back_populates="rooms")


class AgendaSession(Base):
    """A session on the agenda. Removed sessions are cancelled, never deleted, so what
    attendees attached to them (bookmarks, meetings) is never dropped silently."""

    __tablename__ = "agenda_sessions"
    __table_args__ = (
        UniqueConstraint("event_id", "key", name="uq_agenda_sessions_event_key"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("kind IN ('talk', 'panel', 'pitch', 'partnering', 'break', 'networking')", name="kind"),
        CheckConstraint("status IN ('scheduled', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id", ondelete="SET NULL"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"), index=True)

    venue: Mapped[Venue | None] = relationship()
    room: Mapped[Room | None] = relationship()
    speakers: Mapped[list[Speaker]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="Speaker.position"
    )


class Speaker(Base):
    __tablename__ = "speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(300), default="")

    session: Mapped[AgendaSession] = relationship(back_populates="speakers")


class Participant(Base):
    """Someone who talks to the bot, on one platform (Slack user, console persona, later Teams),
    with the partnering profile others search."""

    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_participants_platform_external_id"),
        CheckConstraint(
            "org_type IN ('', 'pharma', 'biotech', 'startup', 'academia', 'hospital', 'investor', 'public', 'other')",
            name="org_type",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="")
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    org_type: Mapped[str] = mapped_column(String(20), default="")
    role: Mapped[str] = mapped_column(String(200), default="")
    offers: Mapped[str] = mapped_column(Text, default="")
    seeks: Mapped[str] = mapped_column(Text, default="")
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reminder_minutes: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    meeting_reminders: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    daily_digest: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # Privacy: left out of partner search and suggestions; erased (a tombstone that keeps counts, no personal data).
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The platform's language setting ("nb-NO"): free-text answers to this person are in that language.
    locale: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # Where each profile field came from: {"organisation": "import", "seeks": "chat", ...}; a re-import of the
    # registration list changes only fields still marked "import" (see bot/people/).
    profile_sources: Mapped[dict] = mapped_column(JSON, default=dict)
    # Filled in from the registration and not yet seen by the person: the next /profile, /partners or Home says so.
    profile_check_due: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class MeetingBlock(Base):
    """A stretch of time set aside for 1:1 partnering meetings at one venue."""

    __tablename__ = "meeting_blocks"
    __table_args__ = (
        UniqueConstraint("event_id", "key", name="uq_meeting_blocks_event_key"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    venue: Mapped[Venue | None] = relationship()
    slots: Mapped[list[MeetingSlot]] = relationship(back_populates="block", order_by="MeetingSlot.starts_at")


class MeetingSlot(Base):
    """One meeting-length slot of a block. Blocks never overlap, so a slot stands for its time."""

    __tablename__ = "meeting_slots"
    __table_args__ = (UniqueConstraint("block_id", "starts_at", name="uq_meeting_slots_block_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("meeting_blocks.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    block: Mapped[MeetingBlock] = relationship(back_populates="slots")


class MeetingTable(Base):
    """A table or room where one meeting at a time takes place."""

    __tablename__ = "meeting_tables"
    __table_args__ = (
        UniqueConstraint("venue_id", "name", name="uq_meeting_tables_venue_name"),
        Index("ix_meeting_tables_venue_position", "venue_id", "position", "id"),  # a venue's tables in order
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    room: Mapped[str] = mapped_column(String(200), default="")
    capacity: Mapped[int] = mapped_column(Integer, default=2)
    position: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    venue: Mapped[Venue] = relationship()


class Unavailability(Base):
    """A participant marked themself unavailable for a block: no meeting is placed there."""

    __tablename__ = "unavailabilities"
    __table_args__ = (UniqueConstraint("participant_id", "block_id", name="uq_unavailabilities_participant_block"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("meeting_blocks.id", ondelete="CASCADE"), index=True)


class MeetingRequest(Base):
    """Someone asks someone else for a 1:1 meeting; accepted ones get a :class:`Meeting`."""

    __tablename__ = "meeting_requests"
    __table_args__ = (
        CheckConstraint("requester_id <> invitee_id", name="not_self"),
        CheckConstraint("status IN ('pending', 'accepted', 'declined', 'withdrawn', 'cancelled')", name="status"),
        _partial_unique("uq_meeting_requests_one_pending", "requester_id", "invitee_id", where="status = 'pending'"),
        Index("ix_meeting_requests_requester_created", "requester_id", "created_at"),
        Index("ix_meeting_requests_invitee_status", "invitee_id", "status"),
        Index("ix_meeting_requests_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    invitee_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text, default="")
    preferred_day: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requester: Mapped[Participant] = relationship(foreign_keys=[requester_id])
    invitee: Mapped[Participant] = relationship(foreign_keys=[invitee_id])


class Meeting(Base):
    """A booked (or cancelled) meeting: a request placed in a slot at a table.

    ``ics_uid`` is fixed per request so a rescheduled meeting updates the calendar entry;
    ``sequence`` grows with every change, as calendar clients expect.
    """

    __tablename__ = "meetings"
    __table_args__ = (
        CheckConstraint("status IN ('booked', 'cancelled')", name="status"),
        _partial_unique("uq_meetings_table_slot_booked", "slot_id", "table_id", where="status = 'booked'"),
        _partial_unique("uq_meetings_request_booked", "request_id", where="status = 'booked'"),
        Index("ix_meetings_slot_status", "slot_id", "status", "table_id"),  # a slot's bookings, from the index alone
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("meeting_requests.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("meeting_slots.id", ondelete="RESTRICT"), index=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("meeting_tables.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="booked")
    ics_uid: Mapped[str] = mapped_column(String(200))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))

    request: Mapped[MeetingRequest] = relationship()
    slot: Mapped[MeetingSlot] = relationship()
    table: Mapped[MeetingTable] = relationship()


class ScheduleRun(Base):
    """One scheduling run (``/meetings schedule all``, ``python -m bot schedule`` or a ``schedule_at`` time): what it
    placed against the upper bound, and how fair it was, for /report and the dashboard. ``trigger_key`` makes a
    ``schedule_at`` time run once even with two workers."""

    __tablename__ = "schedule_runs"
    __table_args__ = (UniqueConstraint("event_id", "trigger_key", name="uq_schedule_runs_event_trigger"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    trigger_key: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(40), default="")
    placed: Mapped[int] = mapped_column(Integer, default=0)
    bound: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class MeetingSeat(Base):
    """One person's place in a meeting at a slot: the unique index makes double booking impossible."""

    __tablename__ = "meeting_seats"
    __table_args__ = (
        _partial_unique("uq_meeting_seats_participant_slot_active", "participant_id", "slot_id", where="active"),
        Index("ix_meeting_seats_participant_active", "participant_id", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("meeting_slots.id", ondelete="RESTRICT"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Bookmark(Base):
    """A session someone wants to be reminded of."""

    __tablename__ = "bookmarks"
    __table_args__ = (UniqueConstraint("participant_id", "session_id", name="uq_bookmarks_participant_session"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


DELIVERY_STATUSES = ("pending", "sending", "sent", "failed", "skipped")


class Delivery(Base):
    """One message to one person: the outbox row that makes sending durable.

    Written in the same transaction as the change it announces, so nothing is lost when
    a process dies; ``dedupe_key`` is unique, so nothing is queued twice; a sender claims
    rows by moving them to ``sending`` with a lease, so two senders never take the same one.
    The outcome (sent, failed with the reason, skipped and why) stays for organisers to see.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'skipped')", name="status"),
        Index("ix_deliveries_status_due", "status", "due_at"),
        Index("ix_deliveries_kind_ref", "kind", "ref_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    ref_id: Mapped[int | None] = mapped_column(Integer)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str] = mapped_column(String(100), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[str] = mapped_column(Text, default="")
    platform_ref: Mapped[str] = mapped_column(String(100), default="")


ANNOUNCEMENT_STATUSES = ("draft", "scheduled", "sending", "done", "cancelled")
AUDIENCES = ("channel", "everyone", "day", "session", "block", "org_types")


class Announcement(Base):
    """A message from the organisers to an audience, now or at a set time.

    The audience is resolved when sending starts, into one delivery per person (or one for a
    channel); progress and the final report are counted from those deliveries.
    """

    __tablename__ = "announcements"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'scheduled', 'sending', 'done', 'cancelled')", name="status"),
        CheckConstraint("audience IN ('channel', 'everyone', 'day', 'session', 'block', 'org_types')", name="audience"),
        Index("ix_announcements_status_send_at", "status", "send_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(20))
    audience_value: Mapped[str] = mapped_column(String(200), default="")
    allow_broadcast: Mapped[bool] = mapped_column(Boolean, default=False)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    send_now: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    total: Mapped[int] = mapped_column(Integer, default=0)
    progress_ref: Mapped[str] = mapped_column(String(100), default="")
    progress_sent: Mapped[int] = mapped_column(Integer, default=-1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[Participant] = relationship()


class OrganiserAction(Base):
    """Who did what as an organiser, and when: the audit trail."""

    __tablename__ = "organiser_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class DashboardToken(Base):
    """A one-time sign-in link to the organisers' dashboard, bound to one organiser.

    Only a SHA-256 of the token is kept, so the table alone cannot sign anyone in; ``used_at`` makes
    a link die on first use (an UPDATE ... WHERE used_at IS NULL, so two clicks racing cannot both win).
    """

    __tablename__ = "dashboard_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ParticipantAddress(Base):
    """What a door needs to message someone first (a chat platform's conversation reference), opaque to the
    core; ``dead_reason`` set when the platform said the person can no longer be messaged (uninstalled, blocked)."""

    __tablename__ = "participant_addresses"

    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True)
    address: Mapped[dict] = mapped_column(JSON, default=dict)
    dead_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ImportPreview(Base):
    """A programme an organiser fetched with ``session import <address>`` and was shown as a diff, kept until they
    press *Apply* (within 30 minutes): the press applies exactly this file, whichever web process gets it."""

    __tablename__ = "import_previews"
    # Never reuse a number (SQLite would, after the highest row is gone): an old Apply must not apply a newer preview.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser: Mapped[str] = mapped_column(String(100))  # the platform user who asked for it
    source: Mapped[str] = mapped_column(String(2000))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class PublishedFile(Base):
    """A file served at PUBLIC_URL/calendar/<token>.ics for doors that cannot attach files to a message;
    the token is random and unguessable, and one meeting's files keep their calendar UID and sequence."""

    __tablename__ = "published_files"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    mimetype: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


INTAKE_STATUSES = ("pending", "done")


class Intake(Base):
    """Something a person did that was acknowledged before it was carried out (an Accept press in a burst).

    Written, many at a time, before Slack gets its answer, so the press survives the process: the web process
    carries it out right after; the worker takes over rows left pending (a process that died after its ack).
    """

    __tablename__ = "intake"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'done')", name="status"),
        Index("ix_intake_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(64))
    ref_id: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[str] = mapped_column(Text, default="")
    # The web process that wrote it, while its heartbeat renews the lease (bot.delivery.leases).
    claimed_by: Mapped[str] = mapped_column(String(100), default="", server_default="")
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Pacing(Base):
    """A send budget shared by every worker replica: the earliest instant (Unix seconds) of the next send.

    Each sender moves it forward by one interval in one atomic UPDATE and waits until its own turn, so N
    workers together keep WORKER_MESSAGES_PER_SECOND, not N times it.
    """

    __tablename__ = "pacing"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float, default=0.0)


REGISTRATION_STATUSES = ("unlinked", "linked", "opted_out")


class Registration(Base):
    """One registrant from the organisers' registration list (``python -m bot import-people``).

    ``email_hash`` (SHA-256 of the lower-cased address) is how a re-import finds the row again; the address
    itself is kept only while the person is not yet linked to a chat account (``email`` is cleared on linking,
    and erased with everything else by delete and retention). ``fields`` holds the imported profile values;
    ``participant_id`` is the one participant the registrant became, whichever door found them first.
    ``opted_out`` rows keep only the hash, so a re-import does not bring back someone who deleted their data.
    """

    __tablename__ = "registrations"
    __table_args__ = (CheckConstraint("status IN ('unlinked', 'linked', 'opted_out')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    source_file: Mapped[str] = mapped_column(String(200), default="")
    source_row: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="unlinked", index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"), unique=True)
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    looked_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
