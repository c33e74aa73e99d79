"""Answering a meeting request: accept (and place it), decline, withdraw."""

from __future__ import annotations

import logging
from datetime import date, datetime

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.delivery import intake
from bot.delivery.outbox import enqueue
from bot.errors import NotAllowed, NotFound, UserError
from bot.partnering import placement as scheduling
from bot.partnering.base import REASON_LIMIT, PartneringBase, clean_multiline
from bot.partnering.held import hold_for_run
from bot.partnering.placement import announce_placement
from bot.partnering.views import AcceptResult, RequestView, current_event, meeting_view, request_view
from storage.models import Event, MeetingRequest

log = logging.getLogger(__name__)
ACCEPT_PRESS = "accept"  # the intake kind of an Accept press (see accept_presses_left)


class Answering(PartneringBase):
    """The invitee accepts or declines; the requester withdraws."""

    def accept(self, *, request_id: int, actor_id: int, intake_id: int | None = None) -> AcceptResult:
        """The invitee accepts: the meeting goes into the earliest slot both are free, at a free table.

        ``intake_id``: the press was recorded first (:mod:`bot.delivery.intake`); it is closed in the same
        transaction, so a press is carried out once even when the worker takes over a slow one.

        Raises:
            NotAllowed, UserError: not the invitee's, or no longer open (a double press, a lost race).
        """
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            event = scheduling.hold_floor(session)
            return self.accept_in(session, event=event, request_id=request_id, actor_id=actor_id, intake_id=intake_id,
                                  now=now)  # fmt: skip

    def accept_in(
        self, session: OrmSession, *, event: Event, request_id: int, actor_id: int, intake_id: int | None, now: datetime
    ) -> AcceptResult:
        """:meth:`accept` inside the caller's transaction."""
        request = self.take_accept(session, request_id=request_id, actor_id=actor_id, intake_id=intake_id, now=now)
        held = hold_for_run(session, request=request, event=event, now=now)  # placement: scheduled
        if held is not None:
            return AcceptResult(request_view(request, event), None, held_until=held)
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
        written_later: bool = False,
    ) -> MeetingRequest:
        """The invitee's accept, recorded in the caller's transaction, before the meeting is placed (a burst places
        many together, :mod:`bot.partnering.instant`); the press is closed in the same transaction.
        ``written_later``: the caller writes this and the batch's other accepts in one statement
        (:func:`write_accepts`); the request shows them meanwhile.

        Raises:
            NotAllowed, UserError: not the invitee's, no longer open, or the press was already carried out.
        """
        if intake_id is not None and not intake.close(session, intake_id, now=now, detail="accepted"):
            raise UserError("That press was already handled; see /meetings.")
        request = self._answerable(session, request_id, actor_id, verb="accept", done="accepted", loaded=loaded)
        if written_later:  # shown as it will be, without a change for the ORM to flush on its own
            set_committed_value(request, "status", "accepted")
            set_committed_value(request, "responded_at", now)
        else:
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


_ACCEPTED = (
    update(MeetingRequest.__table__)
    .where(MeetingRequest.__table__.c.id.in_(bindparam("ids", expanding=True)))
    .values(status="accepted", responded_at=bindparam("now"))
)


def write_accepts(session: OrmSession, requests: list[MeetingRequest], now: datetime) -> None:
    """Write the accepts :meth:`Answering.take_accept` took with ``written_later``, in one UPDATE: cheaper than the
    ORM's unit of work, which a placement otherwise runs before its first read."""
    if requests:
        session.execute(_ACCEPTED, {"ids": [request.id for request in requests], "now": now})


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
