"""Organiser reports: the numbers at a glance, and CSV exports (meetings, interest per session,
announcement delivery)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.partnering.floor import csv_safe
from storage.db import Database
from storage.models import (
    AgendaSession,
    Announcement,
    Bookmark,
    Delivery,
    Event,
    Meeting,
    MeetingRequest,
    MeetingSlot,
    MeetingTable,
    Participant,
)


@dataclass(frozen=True)
class Summary:
    participants: int
    profiles: int
    requests: int
    pending: int
    meetings: int
    table_slots: int
    reminders_sent: int
    reminders_failed: int
    announcements: int
    announcement_messages: int


def _event(session) -> Event:
    return session.scalars(select(Event).order_by(Event.loaded_at.desc(), Event.id.desc()).limit(1)).one()


def summary(db: Database) -> Summary:
    with db.transaction() as session:
        event = _event(session)
        count = lambda query: session.scalar(query) or 0  # noqa: E731
        humans = Participant.is_bot.is_(False)
        table_slots = count(
            select(func.count()).select_from(MeetingTable).where(MeetingTable.event_id == event.id, MeetingTable.active.is_(True))
        ) * count(
            select(func.count()).select_from(MeetingSlot).where(MeetingSlot.active.is_(True))
        )  # fmt: skip
        delivered = dict(
            session.execute(
                select(Delivery.status, func.count())
                .where(Delivery.kind.in_(("session_reminder", "meeting_reminder")))
                .group_by(Delivery.status)
            ).all()
        )
        return Summary(
            participants=count(select(func.count()).select_from(Participant).where(humans)),
            profiles=count(select(func.count()).select_from(Participant).where(humans, Participant.organisation != "")),
            requests=count(select(func.count()).select_from(MeetingRequest).where(MeetingRequest.event_id == event.id)),
            pending=count(select(func.count()).select_from(MeetingRequest).where(MeetingRequest.status == "pending")),
            meetings=count(
                select(func.count()).select_from(Meeting).where(Meeting.event_id == event.id, Meeting.status == "booked")
            ),
            table_slots=table_slots,
            reminders_sent=delivered.get("sent", 0),
            reminders_failed=delivered.get("failed", 0),
            announcements=count(
                select(func.count()).select_from(Announcement).where(Announcement.status.in_(("sending", "done")))
            ),
            announcement_messages=count(
                select(func.count()).select_from(Delivery).where(Delivery.kind == "announcement", Delivery.status == "sent")
            ),
        )


def interest_csv(db: Database) -> str:
    """Bookmarks per session, most wanted first: which rooms will be full."""
    with db.transaction() as session:
        event = _event(session)
        zone = ZoneInfo(event.timezone)
        rows = session.execute(
            select(
                AgendaSession.key,
                AgendaSession.title,
                AgendaSession.starts_at,
                AgendaSession.status,
                func.count(Bookmark.id),
            )
            .outerjoin(Bookmark, Bookmark.session_id == AgendaSession.id)
            .where(AgendaSession.event_id == event.id)
            .group_by(AgendaSession.id)
            .order_by(func.count(Bookmark.id).desc(), AgendaSession.starts_at)
        ).all()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["session", "title", "start", "status", "bookmarks"])
        for key, title, start, status, bookmarks in rows:
            writer.writerow([key, csv_safe(title), start.astimezone(zone).isoformat(), status, bookmarks])
        return out.getvalue()


def announcements_csv(db: Database) -> str:
    """Per announcement and person: delivered, failed (why) or skipped (why)."""
    with db.transaction() as session:
        rows = session.execute(
            select(Announcement.id, Announcement.send_at, Participant.display_name, Participant.external_id, Delivery.status,
                   Delivery.detail, Delivery.sent_at)
            .join(Delivery, (Delivery.kind == "announcement") & (Delivery.ref_id == Announcement.id))
            .join(Participant, Participant.id == Delivery.participant_id)
            .order_by(Announcement.id, Delivery.id)
        ).all()  # fmt: skip
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["announcement", "scheduled for", "person", "user id", "status", "detail", "sent at"])
        for announcement_id, send_at, name, external_id, status, detail, sent_at in rows:
            writer.writerow([announcement_id, send_at.isoformat(), csv_safe(name), external_id, status, csv_safe(detail),
                             sent_at.isoformat() if sent_at else ""])  # fmt: skip
        return out.getvalue()
