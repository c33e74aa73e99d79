"""Reminders: bookmarked sessions and booked meetings reach each participant by direct message.

Reminders are outbox rows (see :mod:`bot.delivery`) whose ``due_at`` is derived from the
session's or meeting's current start and the person's lead time; it is recomputed when
either changes, so a moved session's reminders follow it without anyone acting. What is
sent is decided again at send time from the current state.

Late policy: a reminder is sent as long as its session or meeting has not started, even
when the worker was down past the due time; once it has started, the reminder is recorded
as skipped ("too late") and not sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session as OrmSession

from bot.clock import Clock
from bot.delivery.outbox import enqueue_many, message
from bot.errors import NotFound, UserError
from storage.db import Database
from storage.models import AgendaSession, Bookmark, Delivery, Event, Meeting, MeetingSeat, MeetingSlot, Participant

LEAD_CHOICES = (5, 10, 15, 30, 60)
SESSION_REMINDER = "session_reminder"
MEETING_REMINDER = "meeting_reminder"
DIGEST = "daily_digest"
REMINDER_KINDS = (SESSION_REMINDER, MEETING_REMINDER, DIGEST)
DIGEST_AT = time(18, 0)  # the evening before each event day, event time


@dataclass(frozen=True)
class Preferences:
    lead_minutes: int
    meeting_reminders: bool
    daily_digest: bool


@dataclass(frozen=True)
class BookmarkView:
    session_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    cancelled: bool


def reminder_due(start: datetime, lead_minutes: int, now: datetime) -> datetime:
    """When to send: ``lead`` before the start, or straight away when that moment has passed."""
    return max(now, start - timedelta(minutes=lead_minutes))


class Reminders:
    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    # --- bookmarks -------------------------------------------------------------------------

    def bookmarked(self, participant_id: int) -> set[int]:
        with self.db.transaction() as session:
            return set(session.scalars(select(Bookmark.session_id).where(Bookmark.participant_id == participant_id)))

    def add(self, *, participant_id: int, session_id: int) -> tuple[AgendaSession, bool]:
        """Bookmark a session; returns it and whether the reminder goes out right away.

        Raises:
            UserError: the session is cancelled or has started.
        """
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            row = session.get(AgendaSession, session_id)
            if row is None or row.status != "scheduled":
                raise NotFound("That session is not on the agenda any more.")
            if row.starts_at <= now:
                raise UserError(f"{row.title} has already started, so there is nothing to remind you of.")
            exists = session.scalar(
                select(Bookmark.id).where(Bookmark.participant_id == participant_id, Bookmark.session_id == session_id)
            )
            if exists is None:
                session.add(Bookmark(participant_id=participant_id, session_id=session_id, created_at=now))
                session.flush()
            person = session.get(Participant, participant_id)
            due = reminder_due(row.starts_at, person.reminder_minutes, now)
            enqueue_many(session, [message(participant_id=participant_id, kind=SESSION_REMINDER, ref_id=session_id,
                                           dedupe_key=f"{SESSION_REMINDER}:{session_id}:{participant_id}", due_at=due, now=now)])  # fmt: skip
            session.expunge(row)
            return row, due <= now

    def remove(self, *, participant_id: int, session_id: int) -> None:
        with self.db.transaction(write=True) as session:
            session.execute(
                delete(Bookmark).where(Bookmark.participant_id == participant_id, Bookmark.session_id == session_id)
            )
            session.execute(
                delete(Delivery).where(
                    Delivery.kind == SESSION_REMINDER,
                    Delivery.ref_id == session_id,
                    Delivery.participant_id == participant_id,
                    Delivery.status == "pending",
                )
            )

    def list(self, participant_id: int) -> list[BookmarkView]:
        now = self.clock.now()
        with self.db.transaction() as session:
            rows = session.scalars(
                select(AgendaSession)
                .join(Bookmark, Bookmark.session_id == AgendaSession.id)
                .where(Bookmark.participant_id == participant_id, AgendaSession.ends_at > now)
                .order_by(AgendaSession.starts_at)
            ).all()
            return [BookmarkView(r.id, r.title, r.starts_at, r.ends_at, r.status == "cancelled") for r in rows]

    # --- preferences -----------------------------------------------------------------------

    def preferences(self, participant_id: int) -> Preferences:
        with self.db.transaction() as session:
            person = session.get(Participant, participant_id)
            return Preferences(person.reminder_minutes, person.meeting_reminders, person.daily_digest)

    def set_preferences(
        self, *, participant_id: int, lead_minutes: int | None = None, meeting_reminders: bool | None = None,
        daily_digest: bool | None = None,
    ) -> Preferences:  # fmt: skip
        if lead_minutes is not None and lead_minutes not in LEAD_CHOICES:
            raise UserError(f"Choose a lead time of {', '.join(map(str, LEAD_CHOICES))} minutes.")
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            person = session.get(Participant, participant_id)
            if lead_minutes is not None:
                person.reminder_minutes = lead_minutes
            if meeting_reminders is not None:
                person.meeting_reminders = meeting_reminders
            if daily_digest is not None:
                person.daily_digest = daily_digest
            session.flush()
            retime(session, now=now, participant_id=participant_id)
            if meeting_reminders is False:
                session.execute(
                    update(Delivery)
                    .where(
                        Delivery.participant_id == participant_id,
                        Delivery.kind == MEETING_REMINDER,
                        Delivery.status == "pending",
                    )
                    .values(status="skipped", detail="meeting reminders switched off")
                )
            if meeting_reminders:
                session.execute(
                    update(Delivery)
                    .where(Delivery.participant_id == participant_id, Delivery.kind == MEETING_REMINDER,
                           Delivery.status == "skipped", Delivery.detail == "meeting reminders switched off")
                    .values(status="pending", detail="")
                )  # fmt: skip
                retime(session, now=now, participant_id=participant_id)
                queue_meeting_reminders(session, now=now, participant_id=participant_id)
            return Preferences(person.reminder_minutes, person.meeting_reminders, person.daily_digest)

    # --- the evening digest ----------------------------------------------------------------

    def plan_digests(self) -> int:
        """Queue "your day tomorrow" for everyone with sessions or meetings on the next event day,
        due at 18:00 the evening before. Idempotent: run it on every worker tick."""
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            event = session.scalars(select(Event).order_by(Event.loaded_at.desc(), Event.id.desc()).limit(1)).first()
            if event is None:
                return 0
            zone = ZoneInfo(event.timezone)
            today = now.astimezone(zone).date()
            planned = 0
            for text_day in event.dates:
                day = date.fromisoformat(text_day)
                due = datetime.combine(day - timedelta(days=1), DIGEST_AT, tzinfo=zone)
                if day <= today or not (due - timedelta(hours=2) <= now < datetime.combine(day, time(0), tzinfo=zone)):
                    continue
                start = datetime.combine(day, time(0), tzinfo=zone)
                end = start + timedelta(days=1)
                people = set(
                    session.scalars(
                        select(Bookmark.participant_id)
                        .join(AgendaSession, AgendaSession.id == Bookmark.session_id)
                        .where(
                            AgendaSession.starts_at >= start,
                            AgendaSession.starts_at < end,
                            AgendaSession.status == "scheduled",
                        )
                    )
                ) | set(
                    session.scalars(
                        select(MeetingSeat.participant_id)
                        .join(MeetingSlot, MeetingSlot.id == MeetingSeat.slot_id)
                        .where(MeetingSeat.active.is_(True), MeetingSlot.starts_at >= start, MeetingSlot.starts_at < end)
                    )
                )
                wanted = set(
                    session.scalars(select(Participant.id).where(Participant.id.in_(people), Participant.daily_digest.is_(True)))
                ) if people else set()  # fmt: skip
                enqueue_many(session, [message(participant_id=p, kind=DIGEST, ref_id=None, payload={"day": text_day},
                                               dedupe_key=f"{DIGEST}:{text_day}:{p}", due_at=max(due, now), now=now)
                                       for p in sorted(wanted)])  # fmt: skip
                planned += len(wanted)
            return planned


def retime(session: OrmSession, *, now: datetime, participant_id: int | None = None, session_id: int | None = None) -> int:
    """Recompute ``due_at`` of pending session reminders from the session's current start and each
    person's lead time (after a session moved, or someone changed their lead time)."""
    query = (
        select(Delivery, AgendaSession.starts_at, Participant.reminder_minutes)
        .join(AgendaSession, AgendaSession.id == Delivery.ref_id)
        .join(Participant, Participant.id == Delivery.participant_id)
        .where(Delivery.kind == SESSION_REMINDER, Delivery.status == "pending")
    )
    meetings = (
        select(Delivery, MeetingSlot.starts_at, Participant.reminder_minutes)
        .join(Meeting, Meeting.id == Delivery.ref_id)
        .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
        .join(Participant, Participant.id == Delivery.participant_id)
        .where(Delivery.kind == MEETING_REMINDER, Delivery.status == "pending")
    )
    if participant_id is not None:
        query = query.where(Delivery.participant_id == participant_id)
        meetings = meetings.where(Delivery.participant_id == participant_id)
    if session_id is not None:
        query = query.where(Delivery.ref_id == session_id)
    changed = 0
    for statement in (query, meetings) if session_id is None else (query,):
        for delivery, start, lead in session.execute(statement):
            due = reminder_due(start, lead, now)
            if delivery.due_at != due:
                delivery.due_at = due
                changed += 1
    return changed


def queue_meeting_reminders(session: OrmSession, *, now: datetime, participant_id: int | None = None,
                            meeting_ids: list[int] | None = None) -> None:  # fmt: skip
    """Queue a reminder before each booked, not yet started meeting, for each person who wants one."""
    query = (
        select(MeetingSeat.meeting_id, MeetingSeat.participant_id, MeetingSlot.starts_at, Participant.reminder_minutes)
        .join(MeetingSlot, MeetingSlot.id == MeetingSeat.slot_id)
        .join(Participant, Participant.id == MeetingSeat.participant_id)
        .where(MeetingSeat.active.is_(True), Participant.meeting_reminders.is_(True), MeetingSlot.starts_at > now)
    )
    if participant_id is not None:
        query = query.where(MeetingSeat.participant_id == participant_id)
    if meeting_ids is not None:
        if not meeting_ids:
            return
        query = query.where(MeetingSeat.meeting_id.in_(meeting_ids))
    rows = [
        meeting_reminder(meeting_id, person, start, lead, now) for meeting_id, person, start, lead in session.execute(query)
    ]
    enqueue_many(session, rows)


def meeting_reminder(meeting_id: int, person: int, start: datetime, lead_minutes: int, now: datetime) -> dict:
    """The outbox row of one person's reminder before a meeting."""
    return message(participant_id=person, kind=MEETING_REMINDER, ref_id=meeting_id, now=now,
                   dedupe_key=f"{MEETING_REMINDER}:{meeting_id}:{person}", due_at=reminder_due(start, lead_minutes, now))  # fmt: skip


def new_meeting_reminders(meeting_id: int, people: list[Participant], start: datetime, now: datetime) -> list[dict]:
    """The reminders :func:`queue_meeting_reminders` would queue for a meeting just booked (both seats active), built
    from its people and start already in hand: placing one meeting then needs no query to find them."""
    if start <= now:
        return []
    return [meeting_reminder(meeting_id, p.id, start, p.reminder_minutes, now) for p in people if p.meeting_reminders]


def remind_again(session: OrmSession, *, now: datetime, session_id: int) -> None:
    """A session moved later after its reminder went out (or was skipped as too late): remind once more,
    before the new start, under a key of its own so the first reminder's record stays."""
    row = session.get(AgendaSession, session_id)
    if row is None or row.status != "scheduled" or row.starts_at <= now:
        return
    waiting = set(
        session.scalars(
            select(Delivery.participant_id).where(
                Delivery.kind == SESSION_REMINDER, Delivery.ref_id == session_id, Delivery.status.in_(("pending", "sending"))
            )
        )
    )
    stamp = int(row.starts_at.timestamp())
    rows = [
        message(participant_id=person, kind=SESSION_REMINDER, ref_id=session_id, now=now,
                due_at=reminder_due(row.starts_at, lead, now), dedupe_key=f"{SESSION_REMINDER}:{session_id}:{person}:{stamp}")
        for person, lead in session.execute(
            select(Bookmark.participant_id, Participant.reminder_minutes)
            .join(Participant, Participant.id == Bookmark.participant_id)
            .where(Bookmark.session_id == session_id)
        )
        if person not in waiting
    ]  # fmt: skip
    enqueue_many(session, rows)


def follow_agenda_changes(
    session: OrmSession, *, now: datetime, moved: list[int], cancelled: list[int], restored: list[int] = ()
) -> None:
    """After an event load: reminders follow moved sessions; cancelled ones drop their reminders;
    restored ones get them back. (Telling people is :mod:`bot.agenda_changes`' job.)"""
    for session_id in restored:
        session.execute(
            update(Delivery)
            .where(Delivery.kind == SESSION_REMINDER, Delivery.ref_id == session_id, Delivery.status == "skipped",
                   Delivery.detail == "the session was cancelled")
            .values(status="pending", detail="")
        )  # fmt: skip
    for session_id in [*moved, *restored]:
        retime(session, now=now, session_id=session_id)
    for session_id in moved:
        remind_again(session, now=now, session_id=session_id)
    for session_id in cancelled:
        session.execute(
            update(Delivery)
            .where(Delivery.kind == SESSION_REMINDER, Delivery.ref_id == session_id, Delivery.status == "pending")
            .values(status="skipped", detail="the session was cancelled")
        )
