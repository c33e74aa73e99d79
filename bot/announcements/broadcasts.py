"""Organiser announcements: to exactly the right people, now or at a set time, with delivery to watch.

A draft is checked completely before anything is sent (empty, too long, in the past, an
audience of nobody, a channel the bot is not in). When its time comes the worker resolves
the audience into one delivery per person (one for a channel) in a single transaction:
the unique key per person means nobody gets it twice, and the rows mean nobody is left out
when a worker restarts half-way. Progress and the final report are counted from those rows.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session as OrmSession

from bot.audit import record
from bot.clock import Clock
from bot.delivery.addresses import NEVER_SEEN, unreachable
from bot.delivery.outbox import enqueue_many, message
from bot.errors import NotFound, UserError
from bot.text import button_id
from storage.db import Database
from storage.models import (
    ORG_TYPES,
    AgendaSession,
    Announcement,
    Bookmark,
    Delivery,
    Event,
    MeetingBlock,
    MeetingSeat,
    MeetingSlot,
    Participant,
)

log = logging.getLogger(__name__)
TEXT_LIMIT = 3000
KIND = "announcement"
PROGRESS = "announcement_progress"
AUDIENCE_LABELS = {
    "channel": "a channel",
    "everyone": "every participant, by direct message",
    "day": "participants of one event day",
    "session": "everyone who bookmarked a session",
    "block": "everyone with meetings in a partnering block",
    "org_types": "participants of some organisation types",
}


def unreachable_text(lost: tuple[tuple[str, str, int], ...]) -> str:
    """Why people cannot be reached, e.g. "2 were never seen by PartnerUp in Teams; 1 removed the app in Teams"."""
    parts = []
    for platform, reason, n in lost:
        where = platform.capitalize()
        if reason == NEVER_SEEN:
            parts.append(
                f"{n} never wrote to PartnerUp in {where} and are in no team it is in, so it has no way to start a chat"
            )
        elif reason == "uninstalled":
            parts.append(f"{n} removed the app in {where}")
        else:
            parts.append(f"{n} refused by {where} ({reason})")
    return "; ".join(parts)


@dataclass(frozen=True)
class Draft:
    text: str
    audience: str
    value: str = ""  # channel ID, ISO day, session ID, block ID, or comma-separated organisation types
    allow_broadcast: bool = False
    send_at: datetime | None = None  # None: now


@dataclass(frozen=True)
class Preview:
    count: int  # the people it will reach
    audience: str
    send_at: datetime | None
    timezone: str
    unreachable: tuple[tuple[str, str, int], ...] = ()  # (platform, reason, how many) it cannot reach


@dataclass(frozen=True)
class Progress:
    id: int
    author_id: int
    ref: str  # where the organiser's progress message is ("" until it is sent)
    done: int
    total: int
    reported: int


@dataclass(frozen=True)
class AnnouncementView:
    id: int
    text: str
    audience: str
    status: str
    send_at: datetime
    total: int
    sent: int
    failed: int
    skipped: int
    pending: int
    failures: dict[str, int]
    author: str
    timezone: str


def _event(session: OrmSession) -> Event:
    event = session.scalars(select(Event).order_by(Event.loaded_at.desc(), Event.id.desc()).limit(1)).first()
    if event is None:
        raise NotFound("No event is loaded yet.")
    return event


class Announcements:
    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        # Platforms whose doors reach people only at a stored address (see bot.delivery.addresses); filled as
        # notifiers are added, so a preview counts only who can be reached.
        self.addressed_platforms: frozenset[str] = frozenset()

    # --- audiences ---------------------------------------------------------------------------

    def audience_ids(self, session: OrmSession, event: Event, audience: str, value: str) -> list[int]:
        """The participants an audience stands for (a channel has none: it is one post)."""
        people = select(Participant.id).where(Participant.is_bot.is_(False), Participant.deleted_at.is_(None))
        if audience == "everyone":
            return list(session.scalars(people))
        if audience == "day":
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise UserError("Choose one of the event days.", field="value") from None
            start = datetime.combine(day, time(0), tzinfo=ZoneInfo(event.timezone))
            end = start + timedelta(days=1)
            bookmarked = (
                select(Bookmark.participant_id)
                .join(AgendaSession, AgendaSession.id == Bookmark.session_id)
                .where(AgendaSession.starts_at >= start, AgendaSession.starts_at < end, AgendaSession.status == "scheduled")
            )
            meeting = (
                select(MeetingSeat.participant_id)
                .join(MeetingSlot, MeetingSlot.id == MeetingSeat.slot_id)
                .where(MeetingSeat.active.is_(True), MeetingSlot.starts_at >= start, MeetingSlot.starts_at < end)
            )
            return sorted(set(session.scalars(bookmarked)) | set(session.scalars(meeting)))
        if audience == "session":
            if button_id(value) is None:
                raise UserError("Choose a session.", field="value")
            return sorted(set(session.scalars(select(Bookmark.participant_id).where(Bookmark.session_id == int(value)))))
        if audience == "block":
            if button_id(value) is None:
                raise UserError("Choose a partnering block.", field="value")
            return sorted(
                set(
                    session.scalars(
                        select(MeetingSeat.participant_id)
                        .join(MeetingSlot, MeetingSlot.id == MeetingSeat.slot_id)
                        .where(MeetingSeat.active.is_(True), MeetingSlot.block_id == int(value))
                    )
                )
            )
        if audience == "org_types":
            types = [t.strip() for t in value.split(",") if t.strip()]
            if not types or any(t not in ORG_TYPES for t in types):
                raise UserError("Choose one or more organisation types.", field="value")
            return list(session.scalars(people.where(Participant.org_type.in_(types))))
        raise UserError("Choose who should get the announcement.", field="audience")

    # --- drafts ------------------------------------------------------------------------------

    def check(self, draft: Draft, *, channel_problem: Callable[[str], str | None] | None = None) -> Preview:
        """Everything that could go wrong, before anything is sent; returns who it will reach.

        Raises:
            UserError: with ``field`` naming the input to fix.
        """
        text = draft.text.strip()
        if not text:
            raise UserError("Write the message first.", field="text")
        if len(text) > TEXT_LIMIT:
            raise UserError(f"Please keep it under {TEXT_LIMIT:,} characters (it has {len(text):,}).", field="text")
        now = self.clock.now()
        if draft.send_at is not None and draft.send_at <= now:
            raise UserError("That time has passed; pick a later one, or send it now.", field="when")
        with self.db.transaction() as session:
            event = _event(session)
            if draft.audience == "channel":
                if not draft.value:
                    raise UserError("Choose a channel.", field="value")
                problem = channel_problem(draft.value) if channel_problem else None
                if problem:
                    raise UserError(problem, field="value")
                return Preview(1, describe(session, event, "channel", draft.value), draft.send_at, event.timezone)
            ids = self.audience_ids(session, event, draft.audience, draft.value)
            if not ids:
                raise UserError("Nobody is in that audience yet; choose another.", field="value")
            missing = unreachable(session, ids, self.addressed_platforms)
            lost = tuple((platform, reason, n) for (platform, reason), n in sorted(missing.items(), key=lambda i: -i[1]))
            count = len(ids) - sum(missing.values())
            if count == 0:
                raise UserError(f"Nobody in that audience can be reached: {unreachable_text(lost)}.", field="value")
            return Preview(count, describe(session, event, draft.audience, draft.value), draft.send_at, event.timezone,
                           lost)  # fmt: skip

    def create(self, *, author_id: int, author_ref: str, draft: Draft,
               channel_problem: Callable[[str], str | None] | None = None) -> AnnouncementView:  # fmt: skip
        """Check the draft again and schedule it (for now, or its time); the worker sends it."""
        self.check(draft, channel_problem=channel_problem)
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            event = _event(session)
            row = _row(event, author_id, draft, status="scheduled", now=now)
            session.add(row)
            session.flush()
            record(session, actor=author_ref, action="announce", now=now,
                   detail=f"#{row.id} to {draft.audience} {draft.value} at {row.send_at.isoformat()}: {row.text[:200]}")  # fmt: skip
            return announcement_view(session, row, event)

    def save_draft(self, *, author_id: int, draft: Draft) -> int:
        """Keep a checked draft while the organiser looks at the preview (the confirm step)."""
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            event = _event(session)
            row = _row(event, author_id, draft, status="draft", now=now)
            session.add(row)
            session.flush()
            return row.id

    def confirm(self, *, draft_id: int, author_id: int, author_ref: str,
                channel_problem: Callable[[str], str | None] | None = None) -> AnnouncementView:  # fmt: skip
        """The organiser confirmed the preview: check everything again, then schedule the draft itself.

        The draft turns into the announcement with one conditional UPDATE, so a double-click (or two
        processes) can schedule it only once.
        """
        with self.db.transaction() as session:
            row = session.get(Announcement, draft_id)
            if row is None or row.author_id != author_id:
                raise NotFound("That draft is not yours or no longer exists; write the announcement again.")
            if row.status != "draft":
                raise UserError(f"Announcement #{row.id} was already confirmed.")
            draft = Draft(
                row.text, row.audience, row.audience_value, row.allow_broadcast, None if row.send_now else row.send_at
            )
        self.check(draft, channel_problem=channel_problem)
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            values = {"status": "scheduled", "created_at": now}
            if draft.send_at is None:
                values["send_at"] = now
            changed = session.execute(
                update(Announcement)
                .where(Announcement.id == draft_id, Announcement.status == "draft", Announcement.author_id == author_id)
                .values(**values)
            ).rowcount
            if changed != 1:
                raise UserError(f"Announcement #{draft_id} was already confirmed.")
            row = session.get(Announcement, draft_id)
            record(session, actor=author_ref, action="announce", now=now,
                   detail=f"#{row.id} to {row.audience} {row.audience_value} at {row.send_at.isoformat()}: {row.text[:200]}")  # fmt: skip
            return announcement_view(session, row, _event(session))

    def cancel(self, *, announcement_id: int, actor_ref: str) -> AnnouncementView:
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            event = _event(session)
            row = session.get(Announcement, announcement_id)
            if row is None:
                raise NotFound("That announcement doesn't exist.")
            if row.status != "scheduled":
                raise UserError(f"Announcement #{row.id} is {row.status}; only scheduled ones can be cancelled.")
            row.status = "cancelled"
            record(session, actor=actor_ref, action="cancel announcement", detail=f"#{row.id}", now=now)
            return announcement_view(session, row, event)

    def retry_failed(self, *, announcement_id: int, actor_ref: str) -> int:
        """Send the failed ones again (after, say, a user was reactivated)."""
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            row = session.get(Announcement, announcement_id)
            if row is None:
                raise NotFound("That announcement doesn't exist.")
            result = session.execute(
                update(Delivery)
                .where(Delivery.kind == KIND, Delivery.ref_id == row.id, Delivery.status == "failed")
                .values(status="pending", attempts=0, due_at=now, detail="")
            )
            if result.rowcount:
                row.status = "sending"
                row.finished_at = None
            record(session, actor=actor_ref, action="retry announcement", detail=f"#{row.id}: {result.rowcount}", now=now)
            return result.rowcount

    def list(self, *, limit: int = 10) -> list[AnnouncementView]:
        with self.db.transaction() as session:
            event = _event(session)
            rows = session.scalars(
                select(Announcement)
                .where(Announcement.event_id == event.id, Announcement.status != "draft")
                .order_by(Announcement.send_at.desc(), Announcement.id.desc())
                .limit(limit)
            ).all()
            return [announcement_view(session, row, event) for row in rows]

    def get(self, announcement_id: int) -> AnnouncementView:
        with self.db.transaction() as session:
            row = session.get(Announcement, announcement_id)
            if row is None:
                raise NotFound("That announcement doesn't exist.")
            return announcement_view(session, row, _event(session))

    # --- the worker's part --------------------------------------------------------------------

    def start_due(self) -> list[int]:
        """Resolve the audience of every announcement whose time has come, into deliveries."""
        now = self.clock.now()
        started = []
        with self.db.transaction(write=True) as session:
            query = select(Announcement).where(Announcement.status == "scheduled", Announcement.send_at <= now)
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            for row in session.scalars(query).all():
                event = session.get(Event, row.event_id)
                if row.audience == "channel":
                    rows = [message(participant_id=row.author_id, kind=KIND, ref_id=row.id, due_at=now, now=now,
                                    dedupe_key=f"{KIND}:{row.id}:channel", payload={"channel": row.audience_value})]  # fmt: skip
                else:
                    try:
                        people = self.audience_ids(session, event, row.audience, row.audience_value)
                    except UserError:
                        people = []
                    rows = [message(participant_id=p, kind=KIND, ref_id=row.id, due_at=now, now=now,
                                    dedupe_key=f"{KIND}:{row.id}:{p}") for p in people]  # fmt: skip
                # The progress message first, so the organiser sees it before the batch goes out.
                enqueue_many(session, [message(participant_id=row.author_id, kind=PROGRESS, ref_id=row.id, due_at=now,
                                               now=now, dedupe_key=f"{PROGRESS}:{row.id}")])  # fmt: skip
                enqueue_many(session, rows)
                row.total = len(rows)
                row.status = "sending"
                row.started_at = now
                started.append(row.id)
        return started

    def in_progress(self) -> list[Progress]:
        """Announcements being sent, with how far they are and where their progress message is."""
        with self.db.transaction() as session:
            rows = session.execute(
                select(Announcement.id, Announcement.author_id, Announcement.total, Announcement.progress_sent)
                .where(Announcement.status == "sending")
            ).all()  # fmt: skip
            result = []
            for announcement_id, author, total, reported in rows:
                ref = session.scalar(
                    select(Delivery.platform_ref).where(
                        Delivery.kind == PROGRESS, Delivery.ref_id == announcement_id, Delivery.status == "sent"
                    )
                )
                done = session.scalar(
                    select(func.count()).where(
                        Delivery.kind == KIND,
                        Delivery.ref_id == announcement_id,
                        Delivery.status.in_(("sent", "failed", "skipped")),
                    )
                )
                result.append(Progress(announcement_id, author, ref or "", done, total, reported))
            return result

    def mark_progress(self, announcement_id: int, *, done: int, total: int, ref: str | None = None) -> None:
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            row = session.get(Announcement, announcement_id)
            row.progress_sent = done
            if ref:
                row.progress_ref = ref
            if done >= total and row.status == "sending":
                row.status = "done"
                row.finished_at = now


def _row(event: Event, author_id: int, draft: Draft, *, status: str, now: datetime) -> Announcement:
    return Announcement(
        event_id=event.id, author_id=author_id, text=draft.text.strip(), audience=draft.audience, audience_value=draft.value,
        allow_broadcast=draft.allow_broadcast, send_at=draft.send_at or now, send_now=draft.send_at is None, status=status,
        total=0, progress_ref="", progress_sent=-1, created_at=now,
    )  # fmt: skip


def describe(session: OrmSession, event: Event, audience: str, value: str) -> str:
    """Who an audience is, in words an organiser reads."""
    zone = ZoneInfo(event.timezone)
    if audience == "channel":
        return f"the channel {value}"
    if audience == "day":
        day = date.fromisoformat(value)
        number = event.dates.index(value) + 1 if value in event.dates else None
        return f"participants of day {number} ({day:%a} {day.day} {day:%b})" if number else f"participants on {value}"
    if audience == "session":
        row = session.get(AgendaSession, int(value))
        return f"everyone who bookmarked {row.title}" if row else "a session"
    if audience == "block":
        block = session.get(MeetingBlock, int(value))
        if block is None:
            return "a partnering block"
        start = block.starts_at.astimezone(zone)
        return f"everyone with meetings in {block.title or block.key} ({start:%a} {start:%H:%M})"
    if audience == "org_types":
        return "participants from " + ", ".join(t.strip() for t in value.split(","))
    return "every participant"


def announcement_view(session: OrmSession, row: Announcement, event: Event) -> AnnouncementView:
    """An announcement with its delivery counts and failure reasons."""
    counts = Counter(
        dict(
            session.execute(
                select(Delivery.status, func.count())
                .where(Delivery.kind == KIND, Delivery.ref_id == row.id)
                .group_by(Delivery.status)
            ).all()
        )
    )
    failures = Counter(
        dict(
            session.execute(
                select(Delivery.detail, func.count())
                .where(Delivery.kind == KIND, Delivery.ref_id == row.id, Delivery.status == "failed")
                .group_by(Delivery.detail)
            ).all()
        )
    )
    return AnnouncementView(
        id=row.id, text=row.text, audience=describe(session, event, row.audience, row.audience_value),
        status=row.status, send_at=row.send_at, total=row.total, sent=counts["sent"], failed=counts["failed"],
        skipped=counts["skipped"], pending=counts["pending"] + counts["sending"], failures=dict(failures),
        author=row.author.display_name, timezone=event.timezone,
    )  # fmt: skip
