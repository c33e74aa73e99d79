"""1:1 partnering meetings: the ``Partnering`` service, made of asking (:mod:`bot.partnering.asking`), answering
(:mod:`bot.partnering.answering`) and rescheduling (:mod:`bot.partnering.rescheduling`); reading what someone
has, closing everything for someone who leaves, and nudges are here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as OrmSession

from bot.delivery.outbox import enqueue
from bot.errors import NotFound
from bot.partnering.answering import ACCEPT_PRESS, Answering, _decline, _withdraw
from bot.partnering.asking import Asking
from bot.partnering.base import MESSAGE_LIMIT, REASON_LIMIT, TOPIC_LIMIT, Limits, clean_multiline, scheduling_day
from bot.partnering.rescheduling import Rescheduling, _cancel
from bot.partnering.views import BlockView, MeetingView, Overview, RequestView, current_event, meeting_view, request_view
from storage.models import Meeting, MeetingRequest, MeetingSeat, MeetingSlot

log = logging.getLogger(__name__)
# what callers import from here
__all__ = ["ACCEPT_PRESS", "MESSAGE_LIMIT", "REASON_LIMIT", "TOPIC_LIMIT", "Limits", "Partnering",
           "Released", "clean_multiline", "scheduling_day"]  # fmt: skip


class Partnering(Asking, Answering, Rescheduling):
    """The meetings capability; adapters call these with participant IDs they resolved themselves.

    Asking, answering and rescheduling live in their own modules; here are reading, leaving and nudges."""

    # --- reading -------------------------------------------------------------------------

    def blocks(self, *, participant_id: int | None = None) -> list[BlockView]:
        with self.db.transaction() as session:
            event = current_event(session)
            return self._blocks(session, event, participant_id)

    def partnering_days(self) -> list[date]:
        with self.db.transaction() as session:
            event = current_event(session)
            return sorted({scheduling_day(b.starts_at, event.timezone) for b in self._blocks(session, event, None)})

    def overview(self, *, participant_id: int) -> Overview:
        """Everything ``/meetings`` shows one person."""
        now = self.clock.now()
        with self.db.transaction() as session:
            event = current_event(session)
            meetings = session.scalars(
                select(Meeting)
                .join(MeetingSeat, MeetingSeat.meeting_id == Meeting.id)
                .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
                .where(
                    MeetingSeat.participant_id == participant_id,
                    MeetingSeat.active.is_(True),
                    Meeting.status == "booked",
                    MeetingSlot.ends_at > now,
                )
                .order_by(MeetingSlot.starts_at)
            ).all()
            upcoming = [meeting_view(session, m, me_id=participant_id, event=event) for m in meetings]
            requests = session.scalars(
                select(MeetingRequest)
                .where(
                    MeetingRequest.event_id == event.id,
                    or_(MeetingRequest.requester_id == participant_id, MeetingRequest.invitee_id == participant_id),
                    MeetingRequest.status.in_(("pending", "accepted")),
                )
                .order_by(MeetingRequest.created_at)
            ).all()
            booked_ids = set(
                session.scalars(
                    select(Meeting.request_id).where(
                        Meeting.request_id.in_([r.id for r in requests]), Meeting.status == "booked"
                    )
                )
            )
            waiting = [request_view(r, event) for r in requests if r.status == "pending" and r.invitee_id == participant_id]
            sent = [request_view(r, event) for r in requests if r.status == "pending" and r.requester_id == participant_id]
            unplaced = [request_view(r, event) for r in requests if r.status == "accepted" and r.id not in booked_ids]
            blocks = [
                block for block in self._blocks(session, event, participant_id) if block.ends_at > now
            ]  # not past ones
            return Overview(upcoming, waiting, sent, unplaced, blocks)

    def request(self, request_id: int) -> RequestView:
        with self.db.transaction() as session:
            event = current_event(session)
            request = session.get(MeetingRequest, request_id)
            if request is None:
                raise NotFound("That meeting request no longer exists.")
            return request_view(request, event, placed=self._is_placed(session, request.id))

    def meeting(self, meeting_id: int, *, participant_id: int) -> MeetingView:
        with self.db.transaction() as session:
            event = current_event(session)
            meeting = session.get(Meeting, meeting_id)
            if meeting is None or participant_id not in (meeting.request.requester_id, meeting.request.invitee_id):
                raise NotFound("That meeting is not one of yours.")
            return meeting_view(session, meeting, me_id=participant_id, event=event)

    def release_all(self, session: OrmSession, *, participant_id: int, now: datetime) -> Released:
        """Close everything still open for someone who leaves (privacy deletion), inside the caller's transaction,
        through the same steps as their own buttons: requests they sent are withdrawn, requests they received are
        declined (no reason), meetings still to come are cancelled; the other person is told each time, and a
        cancellation carries the updated calendar file. Meetings already held stay as they were."""
        released = Released()
        party = or_(MeetingRequest.requester_id == participant_id, MeetingRequest.invitee_id == participant_id)
        requests = session.scalars(
            select(MeetingRequest)
            .where(party, MeetingRequest.status.in_(("pending", "accepted")))
            .order_by(MeetingRequest.id)
        ).all()
        for request in requests:
            meeting = session.scalars(
                select(Meeting).where(Meeting.request_id == request.id, Meeting.status == "booked")
            ).first()
            if meeting is not None:
                if meeting.slot.ends_at > now:
                    _cancel(session, meeting, participant_id, now)
                    released.cancelled += 1
            elif request.status == "pending" and request.invitee_id == participant_id:
                _decline(session, request, "", now)
                released.declined += 1
            else:
                _withdraw(session, request, participant_id, now)
                released.withdrawn += 1
        return released

    def timezone(self) -> str:
        with self.db.transaction() as session:
            return current_event(session).timezone

    # --- nudges --------------------------------------------------------------------------

    def queue_nudges(self) -> int:
        """One reminder to invitees of requests left unanswered for ``limits.nudge_after`` (worker tick)."""
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            due = session.scalars(
                select(MeetingRequest).where(
                    MeetingRequest.status == "pending",
                    MeetingRequest.nudged_at.is_(None),
                    MeetingRequest.created_at <= now - self.limits.nudge_after,
                )
            ).all()
            for request in due:
                request.nudged_at = now
                enqueue(session, participant_id=request.invitee_id, kind="request_nudge", ref_id=request.id,
                        dedupe_key=f"request_nudge:{request.id}", due_at=now, now=now)  # fmt: skip
            return len(due)


@dataclass
class Released:
    withdrawn: int = 0
    declined: int = 0
    cancelled: int = 0
