"""Export and erasure of one person's data, and retention: the rows, not the wording (see :mod:`bot.privacy.replies`).

Erasure keeps a tombstone row in place of the person: requests, meetings and deliveries still count for
the organisers' numbers, but the row carries no name, no platform ID and no profile, and the platform ID
is free again, so the same person writing later is a stranger who starts afresh.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, delete, func, literal, or_, select, union, update
from sqlalchemy.orm import Session as OrmSession

from bot.clock import Clock
from bot.errors import NotFound
from bot.partnering.participants import DELETED_NAME, Participants, profile_of
from bot.partnering.requests import Partnering, Released
from storage.db import Database
from storage.models import (
    AgendaSession,
    Bookmark,
    DashboardToken,
    Delivery,
    Event,
    Intake,
    Meeting,
    MeetingBlock,
    MeetingRequest,
    MeetingSeat,
    OrganiserAction,
    Participant,
    ParticipantAddress,
    PublishedFile,
    Registration,
    Unavailability,
    Venue,
)

log = logging.getLogger(__name__)
REMOVED_TOPIC = "topic removed"
EXPLANATION = [
    "This is everything PartnerUp, the event assistant, keeps about you, as of exported_at.",
    "profile: what you entered with /profile; others see it in /partners unless you chose to be hidden.",
    "requests_sent / requests_received: meeting requests with their topic and message; only you, the other person "
    "and the event organisers can see them. For the other person only their name and organisation are given.",
    "meetings: your booked and cancelled 1:1 meetings (time and table). Organisers see these to run the floor.",
    "unavailable_blocks, bookmarks, settings: what you set in /meetings, /agenda and /reminders; only you see them.",
    "registration: what the organisers' registration list said about you, if they imported one; profile_field_sources "
    "says which profile fields came from it (import) and which you typed (chat). Your email address is not kept.",
    "messages_sent_to_you: which messages the bot sent or queued for you, and when (their wording is not stored).",
    "Delete all of this with /privacy. Whatever is left is deleted automatically some time after the event.",
]
MESSAGE_KINDS = {
    "request_received": "a meeting request for you",
    "request_nudge": "a reminder to answer a meeting request",
    "request_sent": "confirmation that your request was sent",
    "request_declined": "your meeting request was declined",
    "request_withdrawn": "a meeting request was withdrawn",
    "no_slot": "no common free slot for an accepted meeting",
    "meeting_confirmed": "a meeting was booked (with a calendar file)",
    "meeting_held": "an accepted request waits for the scheduling run",
    "schedule_ready": "your partnering schedule after a scheduling run",
    "meeting_moved": "a scheduling run moved your meeting (with a calendar file)",
    "meeting_cancelled": "a meeting was cancelled (with a calendar file)",
    "session_reminder": "a reminder of a session you bookmarked",
    "meeting_reminder": "a reminder of a meeting",
    "agenda_changes": "changes to the agenda",
    "daily_digest": "your evening summary",
    "announcement": "an announcement from the organisers",
    "announcement_progress": "progress of an announcement you sent",
    "data_export": "a download of your data",
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _person(row: Participant) -> dict:
    """Another person as the export shows them: name and organisation, nothing else."""
    profile = profile_of(row)
    return {"name": profile.name, "organisation": "" if row.deleted_at else row.organisation}


def export(session: OrmSession, participant_id: int, *, now: datetime) -> dict:
    """Everything about one person, readable; of anyone else only their name and organisation.

    Raises:
        NotFound: no such person, or they were erased.
    """
    me = session.get(Participant, participant_id)
    if me is None or me.deleted_at is not None:
        raise NotFound("There is no data about you here.")
    requests = session.scalars(
        select(MeetingRequest)
        .where(or_(MeetingRequest.requester_id == me.id, MeetingRequest.invitee_id == me.id))
        .order_by(MeetingRequest.created_at, MeetingRequest.id)
    ).all()

    def request_entry(request: MeetingRequest, *, sent: bool) -> dict:
        other = request.invitee if sent else request.requester
        return {
            ("to" if sent else "from"): _person(other),
            "topic": request.topic,
            "message": request.message,
            "preferred_day": request.preferred_day,
            "status": request.status,
            "decline_reason": request.decline_reason,
            "sent_at": _iso(request.created_at),
            "answered_at": _iso(request.responded_at),
        }

    meetings = []
    rows = session.execute(
        select(Meeting, MeetingSeat.active)
        .join(MeetingSeat, MeetingSeat.meeting_id == Meeting.id)
        .where(MeetingSeat.participant_id == me.id)
        .order_by(Meeting.id)
    ).all()
    for meeting, _active in rows:
        request = meeting.request
        other = request.invitee if request.requester_id == me.id else request.requester
        venue = session.get(Venue, meeting.table.venue_id)
        meetings.append({
            "with": _person(other),
            "topic": request.topic,
            "starts_at": _iso(meeting.slot.starts_at),
            "ends_at": _iso(meeting.slot.ends_at),
            "table": meeting.table.name,
            "venue": venue.name if venue else "",
            "status": meeting.status,
        })  # fmt: skip
    blocks = session.scalars(
        select(MeetingBlock).join(Unavailability, Unavailability.block_id == MeetingBlock.id)
        .where(Unavailability.participant_id == me.id).order_by(MeetingBlock.starts_at)
    ).all()  # fmt: skip
    bookmarks = session.execute(
        select(AgendaSession, Bookmark.created_at).join(Bookmark, Bookmark.session_id == AgendaSession.id)
        .where(Bookmark.participant_id == me.id).order_by(AgendaSession.starts_at)
    ).all()  # fmt: skip
    deliveries = session.scalars(
        select(Delivery).where(Delivery.participant_id == me.id).order_by(Delivery.created_at, Delivery.id)
    ).all()
    return {
        "about": EXPLANATION,
        "exported_at": now.isoformat(),
        "profile": {
            "platform": me.platform,
            "user_id": me.external_id,
            "name": me.display_name,
            "title": me.title,
            "organisation": me.organisation,
            "organisation_type": me.org_type,
            "role": me.role,
            "offers": me.offers,
            "seeks": me.seeks,
            "interests": list(me.interests or []),
            "timezone": me.timezone,
            "hidden_from_partner_directory": bool(me.hidden),
            "first_seen": _iso(me.created_at),
            "last_changed": _iso(me.updated_at),
        },
        "profile_field_sources": dict(me.profile_sources or {}),
        "registration": _registration(session, me.id),
        "settings": {
            "reminder_minutes_before": me.reminder_minutes,
            "meeting_reminders": me.meeting_reminders,
            "evening_summary": me.daily_digest,
        },
        "requests_sent": [request_entry(r, sent=True) for r in requests if r.requester_id == me.id],
        "requests_received": [request_entry(r, sent=False) for r in requests if r.invitee_id == me.id],
        "meetings": meetings,
        "unavailable_blocks": [
            {"title": b.title, "starts_at": _iso(b.starts_at), "ends_at": _iso(b.ends_at)} for b in blocks
        ],
        "bookmarks": [
            {"session": s.title, "starts_at": _iso(s.starts_at), "bookmarked_at": _iso(at)} for s, at in bookmarks
        ],
        "messages_sent_to_you": [
            {
                "what": MESSAGE_KINDS.get(d.kind, d.kind),
                "status": d.status,
                "queued_at": _iso(d.created_at),
                "sent_at": _iso(d.sent_at),
            }
            for d in deliveries
        ],
    }


def _registration(session: OrmSession, participant_id: int) -> dict | None:
    """What the organisers' registration list said about the person (``import-people``), and where it came from."""
    row = session.scalar(select(Registration).where(Registration.participant_id == participant_id))
    if row is None:
        return None
    fields = {k: v for k, v in (row.fields or {}).items() if k in REGISTRATION_EXPORT_FIELDS}
    return {
        "name": row.name,
        **fields,
        "imported_from": row.source_file,
        "row": row.source_row,
        "imported_at": _iso(row.imported_at),
        "last_updated": _iso(row.updated_at),
        "linked_to_this_account_at": _iso(row.linked_at),
        "email": "not kept: used only to find your chat account, then removed",
    }


REGISTRATION_EXPORT_FIELDS = ("organisation", "org_type", "role", "offers", "seeks", "interests", "blocks", "language")


def export_json(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


@dataclass
class Erased:
    released: Released = field(default_factory=Released)
    bookmarks: int = 0
    unavailable: int = 0
    dropped_messages: int = 0


def erase(session: OrmSession, participant: Participant, *, now: datetime, partnering: Partnering | None) -> Erased:
    """Remove one person's personal data, keeping a tombstone (counts survive), inside the caller's transaction.

    With ``partnering``, what is still open is closed first through partnering's own steps, so the other person
    is told (a cancelled meeting brings the updated calendar entry). Without it (retention, the event long over)
    nobody is told.
    """
    result = Erased()
    if partnering is not None:
        result.released = partnering.release_all(session, participant_id=participant.id, now=now)
    counts = erase_many(session, [participant.id], now=now)
    result.bookmarks, result.unavailable, result.dropped_messages = counts
    session.expire(participant)
    return result


ERASE_CHUNK = 500


def erase_many(session: OrmSession, ids: list[int], *, now: datetime) -> tuple[int, int, int]:
    """The erasure itself, in set-based statements (retention erases thousands at once); returns the bookmarks,
    unavailabilities and queued messages removed. Nobody is told: :func:`erase` closes open things first."""
    bookmarks = unavailable = dropped = 0
    for start in range(0, len(ids), ERASE_CHUNK):
        chunk = ids[start : start + ERASE_CHUNK]
        external_ids = session.scalars(select(Participant.external_id).where(Participant.id.in_(chunk))).all()
        bookmarks += session.execute(delete(Bookmark).where(Bookmark.participant_id.in_(chunk))).rowcount
        unavailable += session.execute(delete(Unavailability).where(Unavailability.participant_id.in_(chunk))).rowcount
        dropped += session.execute(
            update(Delivery)
            .where(Delivery.participant_id.in_(chunk), Delivery.status.in_(("pending", "sending")))
            .values(status="skipped", detail="dropped: the person deleted their data", claimed_until=None)
        ).rowcount
        session.execute(update(Delivery).where(Delivery.participant_id.in_(chunk)).values(payload={}, platform_ref=""))
        session.execute(
            update(MeetingRequest).where(MeetingRequest.requester_id.in_(chunk)).values(topic=REMOVED_TOPIC, message="")
        )
        session.execute(update(MeetingRequest).where(MeetingRequest.invitee_id.in_(chunk)).values(decline_reason=""))
        session.execute(update(OrganiserAction).where(OrganiserAction.actor.in_(external_ids)).values(actor=DELETED_NAME))
        # What the doors keep to reach a person (a Teams conversation reference, files published for them, sign-in
        # links, presses waiting to be carried out) names them too.
        session.execute(delete(ParticipantAddress).where(ParticipantAddress.participant_id.in_(chunk)))
        session.execute(delete(PublishedFile).where(PublishedFile.participant_id.in_(chunk)))
        session.execute(delete(DashboardToken).where(DashboardToken.participant_id.in_(chunk)))
        # The registration list's row: emptied, keeping only the address's hash, so a re-import does not bring
        # the person back (they are counted as opted out).
        session.execute(
            update(Registration)
            .where(Registration.participant_id.in_(chunk))
            .values(status="opted_out", email=None, name="", fields={}, source_file="", source_row=0, participant_id=None,
                    updated_at=now)
        )  # fmt: skip
        session.execute(update(Intake).where(Intake.external_id.in_(external_ids)).values(external_id=DELETED_NAME[:64]))
        session.execute(
            update(Participant)
            .where(Participant.id.in_(chunk))
            .values(
                external_id=literal("deleted-") + cast(Participant.id, String),
                display_name=DELETED_NAME,  # what organisers' reports show in their place
                timezone="", title="", locale="", organisation="", org_type="", role="", offers="", seeks="", interests=[],
                reminder_minutes=10, meeting_reminders=True, daily_digest=True, hidden=True,
                deleted_at=now, updated_at=now,
            )
        )  # fmt: skip
    return bookmarks, unavailable, dropped


@dataclass
class PurgeReport:
    """What a retention run removed (or, in a dry run, would remove)."""

    events: list[str] = field(default_factory=list)
    people: int = 0
    requests: int = 0
    bookmarks: int = 0
    messages: int = 0
    registrations: int = 0
    dry_run: bool = False

    def lines(self) -> list[str]:
        verb = "Would delete" if self.dry_run else "Deleted"
        if not self.events:
            return ["No event is past its retention period; nothing to delete."]
        return [
            f"Events past retention: {', '.join(self.events)}",
            f"{verb} the personal data of {self.people} participant(s),",
            f"the topics and messages of {self.requests} meeting request(s),",
            f"{self.bookmarks} bookmark(s) and the details of {self.messages} sent message(s).",
            "Counts for the organisers' reports are kept.",
        ] + ([f"Deleted the registration list ({self.registrations} row(s))."] if self.registrations else [])


def last_day(event: Event) -> date | None:
    return max((date.fromisoformat(d) for d in event.dates or []), default=None)


class Privacy:
    """The privacy capability: adapters and the command line call these with participant IDs."""

    def __init__(
        self, *, db: Database, clock: Clock, participants: Participants, partnering: Partnering, retention_days: int = 90
    ) -> None:
        self.db = db
        self.clock = clock
        self.participants = participants
        self.partnering = partnering
        self.retention_days = retention_days

    def find(self, *, platform: str, external_id: str) -> int | None:
        with self.db.transaction() as session:
            return session.scalar(
                select(Participant.id).where(
                    Participant.platform == platform,
                    Participant.external_id == external_id,
                    Participant.deleted_at.is_(None),
                )
            )

    def export(self, participant_id: int) -> dict:
        """Raises NotFound: nothing is kept about them."""
        with self.db.transaction() as session:
            return export(session, participant_id, now=self.clock.now())

    def is_hidden(self, participant_id: int) -> bool:
        with self.db.transaction() as session:
            row = session.get(Participant, participant_id)
            return bool(row and row.hidden)

    def set_hidden(self, participant_id: int, hidden: bool) -> None:
        with self.db.transaction(write=True) as session:
            row = session.get(Participant, participant_id)
            if row is None or row.deleted_at is not None:
                raise NotFound("There is no data about you here.")
            row.hidden = hidden
            row.updated_at = self.clock.now()
        log.info("participant %s %s the partner directory", participant_id, "left" if hidden else "rejoined")

    def delete(self, participant_id: int) -> Erased:
        """Erase someone now; the other people in their open requests and meetings are told.

        Raises:
            NotFound: nothing is kept about them (already deleted).
        """
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            row = session.get(Participant, participant_id)
            if row is None or row.deleted_at is not None:
                raise NotFound("There is no data about you here any more.")
            result = erase(session, row, now=now, partnering=self.partnering)
        self.participants.forget(participant_id)
        released = result.released
        log.info(
            "participant %s erased: %s withdrawn, %s declined, %s meetings cancelled, %s queued messages dropped",
            participant_id, released.withdrawn, released.declined, released.cancelled, result.dropped_messages,
        )  # fmt: skip
        return result

    # --- retention -------------------------------------------------------------------------

    def expired_events(self, session: OrmSession, now: datetime) -> list[tuple[Event, datetime]]:
        """Events whose last day is more than ``retention_days`` ago, with the instant their retention ended."""
        expired = []
        for event in session.scalars(select(Event).order_by(Event.id)).all():
            last = last_day(event)
            if last is None:
                continue
            ends = datetime.combine(
                last + timedelta(days=self.retention_days + 1), datetime.min.time(), ZoneInfo(event.timezone)
            )
            if now >= ends:
                expired.append((event, ends))
        return expired

    def purge(self, *, dry_run: bool = False) -> PurgeReport:
        """Delete the personal data of events past retention: request topics and messages, bookmarks, and every
        participant with nothing in a live event (when a later event is loaded, only those not active since the
        retention ended). Tombstones keep the counts."""
        now = self.clock.now()
        report = PurgeReport(dry_run=dry_run)
        with self.db.transaction(write=not dry_run) as session:
            expired = self.expired_events(session, now)
            if not expired:
                return report
            report.events = [event.key for event, _ in expired]
            expired_ids = [event.id for event, _ in expired]
            live_ids = select(Event.id).where(Event.id.not_in(expired_ids))
            cutoff = max(ends for _, ends in expired)
            report.requests = session.scalar(
                select(func.count()).select_from(MeetingRequest).where(
                    MeetingRequest.event_id.in_(expired_ids),
                    or_(MeetingRequest.topic != REMOVED_TOPIC, MeetingRequest.message != "",
                        MeetingRequest.decline_reason != ""),
                )
            )  # fmt: skip
            expired_sessions = select(AgendaSession.id).where(AgendaSession.event_id.in_(expired_ids))
            report.bookmarks = session.scalar(
                select(func.count()).select_from(Bookmark).where(Bookmark.session_id.in_(expired_sessions))
            )
            live_people = union(
                select(MeetingRequest.requester_id).where(MeetingRequest.event_id.in_(live_ids)),
                select(MeetingRequest.invitee_id).where(MeetingRequest.event_id.in_(live_ids)),
                select(Bookmark.participant_id)
                .join(AgendaSession, AgendaSession.id == Bookmark.session_id)
                .where(AgendaSession.event_id.in_(live_ids)),
            ).subquery()
            # With a later event loaded, someone active since the retention ended may be there for it; with none,
            # nothing justifies keeping anyone.
            live_exists = session.scalar(select(Event.id).where(Event.id.not_in(expired_ids)).limit(1)) is not None
            unused = [Participant.deleted_at.is_(None), Participant.id.not_in(select(live_people.c[0]))]
            if live_exists:
                unused.append(Participant.updated_at < cutoff)
            people = list(session.scalars(select(Participant.id).where(*unused)).all())
            report.people = len(people)
            report.messages = sum(
                session.scalar(select(func.count()).select_from(Delivery).where(Delivery.participant_id.in_(chunk)))
                for chunk in (people[i : i + ERASE_CHUNK] for i in range(0, len(people), ERASE_CHUNK))
            )
            if dry_run:
                return report
            session.execute(
                update(MeetingRequest)
                .where(MeetingRequest.event_id.in_(expired_ids))
                .values(topic=REMOVED_TOPIC, message="", decline_reason="")
            )
            session.execute(delete(Bookmark).where(Bookmark.session_id.in_(expired_sessions)))
            erase_many(session, people, now=now)
            if not live_exists:  # the registration list (and opt-out hashes) served the expired event only
                report.registrations = session.execute(delete(Registration)).rowcount
        for person in people:
            self.participants.forget(person)
        log.info(
            "retention: events %s; erased %s participants, %s requests, %s bookmarks",
            ",".join(report.events), report.people, report.requests, report.bookmarks,
        )  # fmt: skip
        return report
