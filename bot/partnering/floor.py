"""The organisers' view of the partnering floor: place every accepted request at once, export all meetings,
each table's schedule."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import aliased

from bot.clock import Clock
from bot.delivery.outbox import enqueue_many
from bot.partnering import placement
from bot.partnering.calendar import meeting_uid
from bot.partnering.placement import announce_placement, confirmations
from bot.partnering.views import ScheduleAllReport, current_event, request_view
from bot.reminders.bookmarks import queue_meeting_reminders
from storage.db import Database
from storage.models import Event, Meeting, MeetingRequest, MeetingSeat, MeetingSlot, MeetingTable, Participant, Venue


class FloorPlan:
    """Organisers' operations over every meeting of the current event."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def schedule_all(self) -> ScheduleAllReport:
        """Place every accepted but unplaced request, oldest request first; say why the rest could not be."""
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            event = current_event(session)
            booked = select(Meeting.request_id).where(Meeting.status == "booked")
            requests = session.scalars(
                select(MeetingRequest)
                .where(
                    MeetingRequest.event_id == event.id,
                    MeetingRequest.status == "accepted",
                    MeetingRequest.id.not_in(booked),
                )
                .order_by(MeetingRequest.created_at, MeetingRequest.id)
            ).all()
            plan = placement.plan_all(session, event=event, requests=list(requests), now=now)
            by_id = {r.id: r for r in requests}
            try:
                with session.begin_nested():
                    self._book_plan(session, event, plan, by_id, now)
                placed = len(plan.placed)
            except IntegrityError:
                # Someone booked meanwhile: place one by one, each checked by the database.
                placed = 0
                for request_id, _, _ in plan.placed:
                    request = by_id[request_id]
                    day = date.fromisoformat(request.preferred_day) if request.preferred_day else None
                    meeting = placement.place(session, request=request, event=event, now=now, day=day)
                    if meeting is None:
                        plan.unplaced.append((request_id, "no slot left in which both are free"))
                    else:
                        placed += 1
                        announce_placement(session, by_id[request_id], meeting, now)
            return ScheduleAllReport(placed, [(request_view(by_id[rid], event), why) for rid, why in plan.unplaced])

    def _book_plan(self, session: OrmSession, event: Event, plan: placement.PlanResult, by_id: dict, now: datetime) -> None:
        sequences = dict(
            session.execute(
                select(Meeting.request_id, func.max(Meeting.sequence))
                .where(Meeting.request_id.in_([rid for rid, _, _ in plan.placed]))
                .group_by(Meeting.request_id)
            ).all()
        )
        meetings = []
        for request_id, slot_id, table_id in plan.placed:
            meeting = Meeting(
                event_id=event.id, request_id=request_id, slot_id=slot_id, table_id=table_id, status="booked",
                ics_uid=meeting_uid(request_id, event.key), sequence=sequences.get(request_id, -1) + 1, created_at=now,
            )  # fmt: skip
            meetings.append(meeting)
        session.add_all(meetings)
        session.flush()
        for meeting in meetings:
            request = by_id[meeting.request_id]
            for person in (request.requester_id, request.invitee_id):
                session.add(MeetingSeat(meeting_id=meeting.id, participant_id=person, slot_id=meeting.slot_id, active=True))
        session.flush()
        enqueue_many(session, [row for m in meetings for row in confirmations(by_id[m.request_id], m.id, now)])
        queue_meeting_reminders(session, now=now, meeting_ids=[m.id for m in meetings])

    def export_csv(self) -> str:
        """Every meeting as CSV: time, table, both people, their organisations, status."""
        with self.db.transaction() as session:
            event = current_event(session)
            requester, invitee = aliased(Participant), aliased(Participant)
            rows = session.execute(
                select(
                    MeetingSlot.starts_at,
                    MeetingSlot.ends_at,
                    MeetingTable.name,
                    Venue.name,
                    requester,
                    invitee,
                    MeetingRequest.topic,
                    Meeting.status,
                    Meeting.id,
                )  # fmt: skip
                .select_from(Meeting)
                .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
                .join(MeetingTable, MeetingTable.id == Meeting.table_id)
                .join(Venue, Venue.id == MeetingTable.venue_id)
                .join(MeetingRequest, MeetingRequest.id == Meeting.request_id)
                .join(requester, requester.id == MeetingRequest.requester_id)
                .join(invitee, invitee.id == MeetingRequest.invitee_id)
                .where(Meeting.event_id == event.id)
                .order_by(MeetingSlot.starts_at, MeetingTable.position, Meeting.id)
            ).all()
            from zoneinfo import ZoneInfo

            zone = ZoneInfo(event.timezone)
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(["meeting", "start", "end", "venue", "table", "requester", "requester organisation",
                             "invitee", "invitee organisation", "topic", "status"])  # fmt: skip
            for start, end, table, venue, a, b, topic, status, meeting_id in rows:
                writer.writerow([meeting_id, start.astimezone(zone).isoformat(), end.astimezone(zone).isoformat(), venue, table,
                                 csv_safe(a.display_name), csv_safe(a.organisation), csv_safe(b.display_name),
                                 csv_safe(b.organisation), csv_safe(topic), status])  # fmt: skip
            return out.getvalue()

    def table_schedule(self) -> list[tuple[str, str, list[tuple[datetime, str]]]]:
        """Each table's booked meetings: (venue, table, [(start, "A – B")])."""
        with self.db.transaction() as session:
            event = current_event(session)
            requester, invitee = aliased(Participant), aliased(Participant)
            tables = session.execute(
                select(MeetingTable.id, MeetingTable.name, Venue.name)
                .join(Venue, Venue.id == MeetingTable.venue_id)
                .where(MeetingTable.event_id == event.id)
                .order_by(MeetingTable.position)
            ).all()
            booked: dict[int, list[tuple[datetime, str]]] = {}
            for table_id, start, a, b in session.execute(
                select(Meeting.table_id, MeetingSlot.starts_at, requester.display_name, invitee.display_name)
                .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
                .join(MeetingRequest, MeetingRequest.id == Meeting.request_id)
                .join(requester, requester.id == MeetingRequest.requester_id)
                .join(invitee, invitee.id == MeetingRequest.invitee_id)
                .where(Meeting.event_id == event.id, Meeting.status == "booked")
                .order_by(MeetingSlot.starts_at)
            ):
                booked.setdefault(table_id, []).append((start, f"{a} – {b}"))
            return [(venue, name, booked.get(table_id, [])) for table_id, name, venue in tables]


def csv_safe(value: str) -> str:
    """Spreadsheet programs run cells that start with = + - @ as formulas; quote them out."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
