"""The organisers' view of the partnering floor: place every accepted request at once, export all meetings,
each table's schedule."""

from __future__ import annotations

import csv
import io
import logging
import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from bot.clock import Clock
from bot.errors import UserError
from bot.partnering import scheduling
from bot.partnering.held import due_runs
from bot.partnering.rules import Rules
from bot.partnering.views import ScheduleAllReport, current_event, request_view
from storage.db import Database
from storage.models import Event, Meeting, MeetingRequest, MeetingSlot, MeetingTable, Participant, ScheduleRun, Venue

log = logging.getLogger(__name__)


class FloorPlan:
    """Organisers' operations over every meeting of the current event."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def schedule_all(
        self, *, time_limit: float = 60.0, reoptimise: bool = False, trigger: str | None = None
    ) -> ScheduleAllReport:
        """A scheduling run (:mod:`bot.partnering.scheduling`): every accepted but unplaced request placed by the
        optimiser in one transaction; says why the rest could not be. ``trigger`` names a ``schedule_at`` time so
        that it runs once; a run that meets a booking made meanwhile is rolled back whole and run again."""
        for attempt in range(3):
            now = self.clock.now()
            try:
                with self.db.transaction(write=True) as session:
                    event = current_event(session)
                    result = scheduling.run(session, event=event, now=now, time_limit=time_limit, reoptimise=reoptimise,
                                            trigger=trigger or f"manual:{uuid.uuid4().hex}")  # fmt: skip
                    if result is None:
                        return ScheduleAllReport(0, [])
                    by_id = {r.id: r for r in session.scalars(
                        select(MeetingRequest).where(MeetingRequest.id.in_([rid for rid, _ in result.unplaced] or [-1])))}  # fmt: skip
                    unplaced = [(request_view(by_id[rid], event), why) for rid, why in result.unplaced]
                    return ScheduleAllReport(result.placed, unplaced, run=result)
            except IntegrityError:
                log.warning("a booking was made during scheduling run %s; running it again", attempt + 1)
        raise UserError("Meetings kept being booked while scheduling; try again in a minute.")

    def waiting(self) -> int:
        """How many accepted requests have no booked meeting: what a scheduling run now would try to place."""
        with self.db.transaction() as session:
            event = current_event(session)
            placed = select(Meeting.request_id).where(Meeting.status == "booked")
            return session.scalar(
                select(func.count()).select_from(MeetingRequest)
                .where(MeetingRequest.event_id == event.id, MeetingRequest.status == "accepted",
                       MeetingRequest.id.not_in(placed))
            ) or 0  # fmt: skip

    def run_due_schedules(self) -> int:
        """The worker's share: each ``partnering.schedule_at`` time that has come runs once (``trigger`` "at:<time>")."""
        with self.db.transaction() as session:
            event = session.scalars(select(Event).order_by(Event.loaded_at.desc(), Event.id.desc()).limit(1)).first()
            if event is None:
                return 0
            rules = Rules.of(event)
            if not rules.schedule_at:
                return 0
            done = set(session.scalars(select(ScheduleRun.trigger_key).where(ScheduleRun.event_id == event.id)))
        ran = 0
        for text in due_runs(rules, self.clock.now()):
            if f"at:{text}" not in done:
                self.schedule_all(trigger=f"at:{text}")
                ran += 1
        return ran

    def last_run(self) -> ScheduleRun | None:
        """The latest finished scheduling run of the current event, for /report and the dashboard."""
        with self.db.transaction() as session:
            event = current_event(session)
            run = session.scalars(
                select(ScheduleRun).where(ScheduleRun.event_id == event.id, ScheduleRun.finished_at.is_not(None))
                .order_by(ScheduleRun.id.desc()).limit(1)
            ).first()  # fmt: skip
            if run is not None:
                session.expunge(run)
            return run

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
