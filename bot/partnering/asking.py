"""Asking someone for a 1:1 partnering meeting."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.delivery.outbox import enqueue
from bot.errors import NotFound, UserError
from bot.partnering.base import MESSAGE_LIMIT, TOPIC_LIMIT, PartneringBase, clean_multiline
from bot.partnering.views import RequestView, current_event, request_view
from bot.text import clean_input
from storage.models import MeetingRequest, Participant

log = logging.getLogger(__name__)


class Asking(PartneringBase):
    """Sending a meeting request."""

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
