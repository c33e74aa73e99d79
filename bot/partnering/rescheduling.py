"""Rescheduling what was placed: propose another day or block, cancel, mark a block unavailable."""

from __future__ import annotations

import logging
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from bot.delivery.outbox import enqueue
from bot.errors import NotAllowed, NotFound, UserError
from bot.partnering import placement as scheduling
from bot.partnering.base import PartneringBase
from bot.partnering.placement import announce_placement
from bot.partnering.views import AcceptResult, BlockView, MeetingView, current_event, meeting_view, request_view
from storage.models import Meeting, MeetingBlock, MeetingSeat, MeetingSlot, Unavailability

log = logging.getLogger(__name__)


class Rescheduling(PartneringBase):
    """Moving, cancelling and blocking out time once a request is answered."""

    def propose(
        self, *, request_id: int, actor_id: int, day: date | None = None, block_id: int | None = None
    ) -> AcceptResult:
        """Either person picks another day or block; the meeting is placed there (the invitee's
        proposal on a pending request also accepts it). A booked meeting moves, keeping its calendar UID."""
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            event = scheduling.hold_floor(session)
            request = self._request_for_update(session, request_id)
            if actor_id not in (request.requester_id, request.invitee_id):
                log.warning(
                    "participant %s tried to propose a time for request %s, which is not theirs", actor_id, request_id
                )
                raise NotAllowed("Only the two people in this meeting can propose another time.")
            if request.status == "pending" and actor_id != request.invitee_id:
                raise UserError("They haven't answered yet; you can propose another time once they accept.")
            if request.status not in ("pending", "accepted"):
                raise UserError(f"This request is {request.status}; send a new one with /meet.")
            if day is not None:
                self._check_day(session, event, day, now)
            if block_id is not None:
                block = session.get(MeetingBlock, block_id)
                if block is None or block.event_id != event.id or not block.active:
                    raise NotFound("That partnering block doesn't exist.")
                if not scheduling.candidate_slots(session, event=event, now=now, block_id=block.id):
                    raise UserError("That partnering block's slots have all started; pick a later one.")
            current = session.scalars(
                select(Meeting).where(Meeting.request_id == request.id, Meeting.status == "booked")
            ).first()
            if current is not None:
                self._free(session, current, now, actor_id)
            request.status = "accepted"
            request.responded_at = request.responded_at or now
            request.preferred_day = day.isoformat() if day else request.preferred_day
            meeting = scheduling.place(session, request=request, event=event, now=now, day=day, block_id=block_id)
            if meeting is None and current is not None:
                raise UserError("There is no free slot for both of you then, so your meeting stays where it was.")
            announce_placement(session, request, meeting, now)
            view = meeting_view(session, meeting, me_id=actor_id, event=event) if meeting else None
            return AcceptResult(request_view(request, event, placed=meeting is not None), view)

    def cancel(self, *, meeting_id: int, actor_id: int) -> MeetingView:
        """Cancel a booked meeting; the other person is told, and the slot and table are free again."""
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            event = current_event(session)
            meeting = self._meeting_for_update(session, meeting_id, actor_id, "cancel")
            if meeting.status != "booked":
                raise UserError("This meeting is already cancelled.")
            _cancel(session, meeting, actor_id, now)
            return meeting_view(session, meeting, me_id=actor_id, event=event)

    def set_unavailable(self, *, participant_id: int, block_id: int, unavailable: bool) -> BlockView:
        with self.db.transaction(write=True) as session:
            event = current_event(session)
            block = session.get(MeetingBlock, block_id)
            if block is None or block.event_id != event.id or not block.active:
                raise NotFound("That partnering block is no longer offered; see /meetings for the current ones.")
            existing = session.scalars(
                select(Unavailability).where(
                    Unavailability.participant_id == participant_id, Unavailability.block_id == block_id
                )
            ).first()
            if unavailable and existing is None:
                booked = session.scalar(
                    select(func.count())
                    .select_from(MeetingSeat)
                    .join(MeetingSlot, MeetingSlot.id == MeetingSeat.slot_id)
                    .where(
                        MeetingSeat.participant_id == participant_id,
                        MeetingSeat.active.is_(True),
                        MeetingSlot.block_id == block_id,
                    )
                )
                if booked:
                    raise UserError("You have meetings in this block; cancel or reschedule them first.")
                session.add(Unavailability(participant_id=participant_id, block_id=block_id))
            elif not unavailable and existing is not None:
                session.delete(existing)
            session.flush()
            return next(b for b in self._blocks(session, event, participant_id) if b.id == block_id)

    @staticmethod
    def _free(session: OrmSession, meeting: Meeting, now: datetime, actor_id: int | None) -> None:
        _free(session, meeting, now, actor_id)


def _free(session: OrmSession, meeting: Meeting, now: datetime, actor_id: int | None) -> None:
    meeting.status = "cancelled"
    meeting.cancelled_at = now
    meeting.cancelled_by_id = actor_id
    for seat in session.scalars(select(MeetingSeat).where(MeetingSeat.meeting_id == meeting.id)):
        seat.active = False
    session.flush()


def _cancel(session: OrmSession, meeting: Meeting, actor_id: int, now: datetime) -> None:
    """Cancel a booked meeting and tell the other person (with the cancelled calendar entry)."""
    _free(session, meeting, now, actor_id)
    meeting.request.status = "cancelled"
    other = meeting.request.invitee_id if meeting.request.requester_id == actor_id else meeting.request.requester_id
    enqueue(session, participant_id=other, kind="meeting_cancelled", ref_id=meeting.id,
            dedupe_key=f"meeting_cancelled:{meeting.id}:{other}", due_at=now, now=now)  # fmt: skip
