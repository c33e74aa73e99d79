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
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
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
    """Someone who talks to the bot, on one platform (Slack user, console persona, later Teams)."""

    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_participants_platform_external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="")
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
