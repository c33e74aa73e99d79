"""Answering a meeting request: accept (and place it), decline, withdraw."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from bot.delivery import intake
from bot.delivery.outbox import enqueue
from bot.errors import NotAllowed, UserError
from bot.partnering import placement as scheduling
from bot.partnering.base import REASON_LIMIT, PartneringBase, clean_multiline
from bot.partnering.held import hold_for_run
from bot.partnering.placement import announce_placement
from bot.partnering.views import AcceptResult, RequestView, current_event, meeting_view, request_view
from storage.models import MeetingRequest, Participant

log = logging.getLogger(__name__)
ACCEPT_PRESS = "accept"  # the intake kind of an Accept press (see accept_presses_left)
# A recorded press its web process has not carried out after this long is the worker's (the process died).
TAKE_OVER_AFTER = timedelta(seconds=60)


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
            event = current_event(session)
            if intake_id is not None and not intake.close(session, intake_id, now=now, detail="accepted"):
                raise UserError("That press was already handled; see /meetings.")
            request = self._answerable(session, request_id, actor_id, verb="accept", done="accepted")
            request.status = "accepted"
            request.responded_at = now
            held = hold_for_run(session, request=request, event=event, now=now)  # placement: scheduled
            if held is not None:
                return AcceptResult(request_view(request, event), None, held_until=held)
            day = date.fromisoformat(request.preferred_day) if request.preferred_day else None
            meeting = scheduling.place(session, request=request, event=event, now=now, day=day)
            announce_placement(session, request, meeting, now)
            view = meeting_view(session, meeting, me_id=actor_id, event=event) if meeting else None
            return AcceptResult(request_view(request, event, placed=meeting is not None), view)

    def accept_presses_left(self) -> int:
        """The worker's share of the intake: carry out Accept presses whose web process died after answering.
        Both people hear the outcome from the outbox as usual; a refused press is closed with the reason."""
        now = self.clock.now()
        done = 0
        for press in intake.leftovers(self.db, kind=ACCEPT_PRESS, now=now, older_than=TAKE_OVER_AFTER):
            with self.db.transaction() as session:
                actor = session.scalar(
                    select(Participant.id).where(Participant.platform == press.platform,
                                                 Participant.external_id == press.external_id)
                )  # fmt: skip
            try:
                if actor is None:
                    raise UserError("unknown person")
                self.accept(request_id=press.ref_id, actor_id=actor, intake_id=press.id)
                done += 1
            except UserError as error:
                with self.db.transaction(write=True) as session:
                    intake.close(session, press.id, now=now, detail=f"refused: {error}")
            except Exception:
                log.exception("carrying out accept press %s failed; will try again", press.id)
        if done:
            log.info("carried out %s accept press(es) a web process had left", done)
        return done

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

    def _answerable(self, session: OrmSession, request_id: int, actor_id: int, *, verb: str, done: str) -> MeetingRequest:
        """The request, locked, if ``actor_id`` is its invitee and it still waits for an answer.

        Raises:
            NotAllowed: someone else pressed the invitee's button (logged).
            UserError: already answered (a double click) or no longer open.
        """
        request = self._request_for_update(session, request_id)
        if request.invitee_id != actor_id:
            log.warning("participant %s tried to %s request %s, which is not theirs", actor_id, verb, request_id)
            raise NotAllowed(f"Only the person who was asked can {verb} this request.")
        if request.status == done:
            raise UserError(f"You have already {done} this request" + ("; see /meetings." if done == "accepted" else "."))
        if request.status != "pending":
            raise UserError(f"This request can't be {done} any more: it was {request.status}.")
        return request


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
