"""1:1 partnering meetings: requests and their answers, then cancelling and rescheduling what was placed.

Every operation checks who is acting against the database (button values are never
trusted), changes state in one transaction, and queues the messages it causes in the same
transaction (see :mod:`bot.delivery`), so a change and its notices stand or fall together.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from bot.clock import Clock
from bot.delivery import intake
from bot.delivery.outbox import enqueue
from bot.errors import NotAllowed, NotFound, UserError
from bot.partnering import placement as scheduling
from bot.partnering.participants import Participants
from bot.partnering.placement import announce_placement
from bot.partnering.views import (
    AcceptResult,
    BlockView,
    MeetingView,
    Overview,
    RequestView,
    current_event,
    meeting_view,
    request_view,
)
from bot.text import clean_input
from storage.db import Database
from storage.models import (
    Event,
    Meeting,
    MeetingBlock,
    MeetingRequest,
    MeetingSeat,
    MeetingSlot,
    Participant,
    Unavailability,
    Venue,
)

log = logging.getLogger(__name__)
TOPIC_LIMIT = 200
MESSAGE_LIMIT = 1500
REASON_LIMIT = 500
ACCEPT_PRESS = "accept"  # the intake kind of an Accept press (see accept_presses_left)


@dataclass(frozen=True)
class Limits:
    requests_per_day: int = 20
    nudge_after: timedelta = timedelta(hours=24)


class Partnering:
    """The meetings capability; adapters call these with participant IDs they resolved themselves."""

    def __init__(self, *, db: Database, clock: Clock, participants: Participants, limits: Limits | None = None) -> None:
        self.db = db
        self.clock = clock
        self.participants = participants
        self.limits = limits or Limits()

    # --- reading -------------------------------------------------------------------------

    def blocks(self, *, participant_id: int | None = None) -> list[BlockView]:
        with self.db.transaction() as session:
            event = current_event(session)
            return self._blocks(session, event, participant_id)

    def _blocks(self, session: OrmSession, event: Event, participant_id: int | None) -> list[BlockView]:
        unavailable = (
            set(session.scalars(select(Unavailability.block_id).where(Unavailability.participant_id == participant_id)))
            if participant_id
            else set()
        )
        rows = session.execute(
            select(MeetingBlock, Venue.name)
            .outerjoin(Venue, Venue.id == MeetingBlock.venue_id)
            .where(MeetingBlock.event_id == event.id, MeetingBlock.active.is_(True))
            .order_by(MeetingBlock.starts_at)
        ).all()
        return [
            BlockView(b.id, b.key, b.title, b.starts_at, b.ends_at, venue or "", b.id in unavailable) for b, venue in rows
        ]

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
            blocks = [block for block in self._blocks(session, event, participant_id) if block.ends_at > now]  # not past ones
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

    @staticmethod
    def _is_placed(session: OrmSession, request_id: int) -> bool:
        return bool(session.scalar(select(func.count()).where(Meeting.request_id == request_id, Meeting.status == "booked")))

    # --- asking --------------------------------------------------------------------------

    def create_request(
        self, *, requester_id: int, invitee_id: int, topic: str, message: str = "", preferred_day: date | None = None
    ) -> RequestView:
        """Ask someone for a meeting; the invitee gets it by direct message with Accept and Decline.

        Raises:
            UserError: self, a bot, a missing or long topic, a duplicate, the daily limit, a wrong day.
        """
        now = self.clock.now()
        topic = clean_input(topic)
        message = clean_multiline(message)
        if requester_id == invitee_id:
            raise UserError("You can't request a meeting with yourself.")
        if not topic:
            raise UserError("Please give a topic, e.g. /meet @Maya Lund TCR platform licensing.", field="topic")
        if len(topic) > TOPIC_LIMIT:
            raise UserError(
                f"Please keep the topic under {TOPIC_LIMIT} characters; use the message for details.", field="topic"
            )
        if len(message) > MESSAGE_LIMIT:
            raise UserError(f"Please keep the message under {MESSAGE_LIMIT} characters.", field="message")
        with self.db.transaction(write=True) as session:
            event = current_event(session)
            invitee = session.get(Participant, invitee_id)
            requester = session.get(Participant, requester_id)
            if invitee is None or requester is None or invitee.deleted_at or requester.deleted_at:
                raise NotFound("I can't find that person in this workspace.")
            if invitee.is_bot:
                raise UserError("Bots don't take meetings; pick a person.")
            if preferred_day is not None:
                self._check_day(session, event, preferred_day, now)
            existing = session.scalars(
                select(MeetingRequest).where(
                    MeetingRequest.requester_id == requester_id,
                    MeetingRequest.invitee_id == invitee_id,
                    MeetingRequest.status == "pending",
                )
            ).first()
            if existing is not None:
                raise UserError(
                    f"You already asked {invitee.display_name} for a meeting ({existing.topic!r}, "
                    f"request #{existing.id}); they haven't answered yet. See /meetings."
                )
            reverse = session.scalars(
                select(MeetingRequest).where(
                    MeetingRequest.requester_id == invitee_id,
                    MeetingRequest.invitee_id == requester_id,
                    MeetingRequest.status == "pending",
                )
            ).first()
            if reverse is not None:
                raise UserError(
                    f"{invitee.display_name} already asked you for a meeting (request #{reverse.id}); "
                    "accept theirs in /meetings instead."
                )
            sent_today = session.scalar(
                select(func.count()).where(
                    MeetingRequest.requester_id == requester_id, MeetingRequest.created_at > now - timedelta(days=1)
                )
            )
            if sent_today >= self.limits.requests_per_day:
                raise UserError(
                    f"You have sent {self.limits.requests_per_day} requests in the last 24 hours, the most allowed. "
                    "Please wait for some answers first."
                )
            request = MeetingRequest(
                event_id=event.id,
                requester_id=requester_id,
                invitee_id=invitee_id,
                topic=topic,
                message=message,
                preferred_day=preferred_day.isoformat() if preferred_day else None,
                status="pending",
                decline_reason="",
                created_at=now,
            )
            try:
                with session.begin_nested():
                    session.add(request)
                    session.flush()
            except IntegrityError:
                raise UserError(f"You already have a pending request to {invitee.display_name}; see /meetings.") from None
            enqueue(session, participant_id=invitee_id, kind="request_received", ref_id=request.id,
                    dedupe_key=f"request_received:{request.id}", due_at=now, now=now)  # fmt: skip
            enqueue(session, participant_id=requester_id, kind="request_sent", ref_id=request.id,
                    dedupe_key=f"request_sent:{request.id}", due_at=now, now=now)  # fmt: skip
            return request_view(request, event)

    def _check_day(self, session: OrmSession, event: Event, day: date, now: datetime) -> None:
        blocks = self._blocks(session, event, None)
        days = sorted({scheduling_day(b.starts_at, event.timezone) for b in blocks})
        if day not in days:
            listed = ", ".join(f"{d:%a} {d.day} {d:%b}" for d in days) or "none yet"
            raise UserError(
                f"There are no partnering meetings on {day:%a} {day.day} {day:%b}. Partnering days: {listed}.", field="day"
            )
        if not scheduling.candidate_slots(session, event=event, now=now, day=day):
            raise UserError(
                f"The partnering slots on {day:%a} {day.day} {day:%b} have all started; pick a later day.", field="day"
            )

    # --- answering -----------------------------------------------------------------------

    def accept(self, *, request_id: int, actor_id: int, intake_id: int | None = None) -> AcceptResult:
        """The invitee accepts: the meeting goes into the earliest slot both are free, at a free table.

        ``intake_id``: the press was recorded first (:mod:`bot.delivery.intake`); it is closed in the same
        transaction, so a press is carried out once even when the worker takes over a slow one.

        Raises:
            NotAllowed, UserError: not the invitee's, or no longer open (a double press, a lost race).
        """
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            event = current_event(session)
            return self.accept_in(session, event=event, request_id=request_id, actor_id=actor_id, intake_id=intake_id,
                                  now=now)  # fmt: skip

    def accept_in(
        self, session: OrmSession, *, event: Event, request_id: int, actor_id: int, intake_id: int | None, now: datetime
    ) -> AcceptResult:
        """:meth:`accept` inside the caller's transaction."""
        request = self.take_accept(session, request_id=request_id, actor_id=actor_id, intake_id=intake_id, now=now)
        day = date.fromisoformat(request.preferred_day) if request.preferred_day else None
        meeting = scheduling.place(session, request=request, event=event, now=now, day=day)
        announce_placement(session, request, meeting, now)
        view = meeting_view(session, meeting, me_id=actor_id, event=event) if meeting else None
        return AcceptResult(request_view(request, event, placed=meeting is not None), view)

    def take_accept(
        self,
        session: OrmSession,
        *,
        request_id: int,
        actor_id: int,
        intake_id: int | None,
        now: datetime,
        loaded: dict[int, MeetingRequest] | None = None,
    ) -> MeetingRequest:
        """The invitee's accept, recorded in the caller's transaction, before the meeting is placed (a burst places
        many together, :mod:`bot.partnering.instant`); the press is closed in the same transaction.

        Raises:
            NotAllowed, UserError: not the invitee's, no longer open, or the press was already carried out.
        """
        if intake_id is not None and not intake.close(session, intake_id, now=now, detail="accepted"):
            raise UserError("That press was already handled; see /meetings.")
        request = self._answerable(session, request_id, actor_id, verb="accept", done="accepted", loaded=loaded)
        request.status = "accepted"
        request.responded_at = now
        return request

    def accept_presses_left(self) -> int:
        """The worker's share of the intake: carry out Accept presses whose web process died after answering
        (its lease ran out), in one transaction (:func:`bot.partnering.instant.take_over`)."""
        from bot.partnering.instant import take_over  # instant builds on this module

        return take_over(self)

    def decline(self, *, request_id: int, actor_id: int, reason: str = "") -> RequestView:
        now = self.clock.now()
        reason = clean_multiline(reason)
        if len(reason) > REASON_LIMIT:
            raise UserError(f"Please keep the reason under {REASON_LIMIT} characters.", field="reason")
        with self.db.transaction(write=True) as session:
            event = current_event(session)
            request = self._answerable(session, request_id, actor_id, verb="decline", done="declined")
            _decline(session, request, reason, now)
            return request_view(request, event)

    def withdraw(self, *, request_id: int, actor_id: int) -> RequestView:
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            event = current_event(session)
            request = self._request_for_update(session, request_id)
            unplaced = request.status == "accepted" and not self._is_placed(session, request.id)
            if actor_id not in (request.requester_id, request.invitee_id) or (
                request.status == "pending" and actor_id != request.requester_id
            ):
                log.warning("participant %s tried to withdraw request %s, which is not theirs", actor_id, request_id)
                raise NotAllowed("Only the person who sent this request can withdraw it.")
            if request.status != "pending" and not unplaced:
                raise UserError(f"This request can't be withdrawn any more: it was {request.status}.")
            _withdraw(session, request, actor_id, now)
            return request_view(request, event)

    def propose(
        self, *, request_id: int, actor_id: int, day: date | None = None, block_id: int | None = None
    ) -> AcceptResult:
        """Either person picks another day or block; the meeting is placed there (the invitee's
        proposal on a pending request also accepts it). A booked meeting moves, keeping its calendar UID."""
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            event = current_event(session)
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

    # --- managing ------------------------------------------------------------------------

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

    def _answerable(
        self, session: OrmSession, request_id: int, actor_id: int, *, verb: str, done: str,
        loaded: dict[int, MeetingRequest] | None = None,
    ) -> MeetingRequest:  # fmt: skip
        """The request, locked, if ``actor_id`` is its invitee and it still waits for an answer.
        ``loaded``: requests already read and locked (:meth:`requests_for_update`).

        Raises:
            NotAllowed: someone else pressed the invitee's button (logged).
            UserError: already answered (a double click) or no longer open.
        """
        if loaded is not None:
            request = loaded.get(request_id)
            if request is None:
                raise NotFound("That meeting request no longer exists.")
        else:
            request = self._request_for_update(session, request_id)
        if request.invitee_id != actor_id:
            log.warning("participant %s tried to %s request %s, which is not theirs", actor_id, verb, request_id)
            raise NotAllowed(f"Only the person who was asked can {verb} this request.")
        if request.status == done:
            raise UserError(f"You have already {done} this request" + ("; see /meetings." if done == "accepted" else "."))
        if request.status != "pending":
            raise UserError(f"This request can't be {done} any more: it was {request.status}.")
        return request

    @staticmethod
    def requests_for_update(session: OrmSession, request_ids: list[int]) -> dict[int, MeetingRequest]:
        """Many requests read and locked in one statement (in ID order, so two processes lock alike)."""
        query = select(MeetingRequest).where(MeetingRequest.id.in_(sorted(set(request_ids)))).order_by(MeetingRequest.id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        return {request.id: request for request in session.scalars(query)}

    def _request_for_update(self, session: OrmSession, request_id: int) -> MeetingRequest:
        query = select(MeetingRequest).where(MeetingRequest.id == request_id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        request = session.scalars(query).first()
        if request is None:
            raise NotFound("That meeting request no longer exists.")
        return request

    def _meeting_for_update(self, session: OrmSession, meeting_id: int, actor_id: int, verb: str) -> Meeting:
        query = select(Meeting).where(Meeting.id == meeting_id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        meeting = session.scalars(query).first()
        if meeting is None:
            raise NotFound("That meeting no longer exists.")
        if actor_id not in (meeting.request.requester_id, meeting.request.invitee_id):
            log.warning("participant %s tried to %s meeting %s, which is not theirs", actor_id, verb, meeting_id)
            raise NotAllowed(f"Only the two people in this meeting can {verb} it.")
        return meeting

    @staticmethod
    def _free(session: OrmSession, meeting: Meeting, now: datetime, actor_id: int | None) -> None:
        _free(session, meeting, now, actor_id)

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


def _withdraw(session: OrmSession, request: MeetingRequest, actor_id: int, now: datetime) -> None:
    request.status = "withdrawn"
    request.responded_at = now
    other = request.invitee_id if actor_id == request.requester_id else request.requester_id
    enqueue(session, participant_id=other, kind="request_withdrawn", ref_id=request.id,
            dedupe_key=f"request_withdrawn:{request.id}", due_at=now, now=now, payload={"by": actor_id})  # fmt: skip


def _decline(session: OrmSession, request: MeetingRequest, reason: str, now: datetime) -> None:
    request.status = "declined"
    request.decline_reason = reason
    request.responded_at = now
    enqueue(session, participant_id=request.requester_id, kind="request_declined", ref_id=request.id,
            dedupe_key=f"request_declined:{request.id}", due_at=now, now=now)  # fmt: skip


def scheduling_day(instant: datetime, zone: str) -> date:
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo(zone)).date()


def clean_multiline(text: str | None) -> str:
    if not text:
        return ""
    lines = [clean_input(line, MESSAGE_LIMIT * 2) for line in text[: MESSAGE_LIMIT * 4].splitlines()]
    return "\n".join(line for line in lines if line).strip()
