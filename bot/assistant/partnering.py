"""The assistant's partnering desk: profiles, the partner directory, meeting requests and meetings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import date
from zoneinfo import ZoneInfo

from bot import lang
from bot.agenda.days import UnknownDay, find_day
from bot.assistant.base import friendly, say
from bot.errors import NotAllowed, UserError
from bot.partnering import replies as meeting_replies
from bot.partnering.participants import ProfileUpdate
from bot.partnering.requests import ACCEPT_PRESS
from bot.partnering.views import BlockView, RequestView
from bot.replies import HeldMessage, Paragraph, Reply
from bot.text import clean_input, tokens

log = logging.getLogger(__name__)
ACCEPT_WAIT = 30.0  # seconds accept() waits for the placement (a bound for a stuck database, not a target)
STILL_PLACING = "Accepted. I'm placing your meeting now and will message you both when it's booked."


class PartneringDesk:
    """Profiles, the partner directory, meeting requests and meetings. Mixed into :class:`bot.assistant.Assistant`, whose state it uses."""

    def profile(self, *, actor: int, person: int | None = None) -> Reply:
        def run() -> Reply:
            reply = meeting_replies.profile_reply(self.participants.get(person or actor), mine=person in (None, actor),
                                                  code=self.language_of(actor))  # fmt: skip
            if person in (None, actor):
                reply.parts[0:0] = self.registration_notice(actor)
            return reply

        return friendly(run)

    def save_profile(self, *, actor: int, update: ProfileUpdate) -> Reply:
        def run() -> Reply:
            profile = self.participants.update_profile(actor, update, now=self.clock.now())
            code = self.language_of(actor)
            return meeting_replies.profile_reply(profile, mine=True, code=code).add(
                Paragraph(lang.say(code, "profile_saved"))
            )

        return friendly(run)

    def partners(self, *, actor: int, text: str) -> Reply:
        def run() -> Reply:
            me = self.participants.get(actor)
            if tokens(clean_input(text)):
                reply = meeting_replies.partners_reply(
                    self.directory.search(text, exclude=actor), suggestions=False, me_complete=me.complete,
                    code=self.language_of(actor),
                )  # fmt: skip
            else:
                reply = meeting_replies.partners_reply(
                    self.directory.suggestions(me), suggestions=True, me_complete=me.complete,
                    code=self.language_of(actor),
                )  # fmt: skip
            reply.parts[0:0] = self.registration_notice(actor)
            return reply

        return friendly(run)

    # --- meetings --------------------------------------------------------------------------

    def parse_day(self, text: str) -> date | None:
        """A preferred day from what someone typed; empty or "first available" means none.

        Raises:
            UserError: the text names a day the event does not have.
        """
        cleaned = clean_input(text)
        if not tokens(cleaned) or " ".join(tokens(cleaned)) in ("first available", "any", "anytime", "first"):
            return None
        try:
            day, rest = find_day(cleaned, self.catalog.current(), self.clock.now())
        except UnknownDay as error:
            raise UserError(str(error)) from None
        if day is None:
            raise UserError("I don't know that day. Say day 1, day 2, tomorrow, or first available.")
        return day

    def request_meeting(self, *, actor: int, invitee: int, topic: str, message: str = "", day: str = "") -> Reply:
        def run() -> Reply:
            request = self.partnering.create_request(
                requester_id=actor, invitee_id=invitee, topic=topic, message=message, preferred_day=self.parse_day(day)
            )
            return meeting_replies.request_sent(request)

        return self._changing(run)

    def accept(self, *, actor: int, request_id: int) -> Reply:
        """Accept and place at once, through the same burst path as every door's button (:meth:`press_accept`),
        waiting up to ``ACCEPT_WAIT`` for the placement."""
        try:
            person = self.participants.get(actor)
        except UserError as error:
            return say(str(error))
        future = self.press_accept(platform=person.platform, external_id=person.external_id, request_id=request_id,
                                   resolve=lambda: actor)  # fmt: skip
        try:
            reply = future.result(timeout=ACCEPT_WAIT)
        except FutureTimeout:
            return say(STILL_PLACING)
        self.reply_sent()
        return reply

    def reply_sent(self) -> None:
        """A door has answered an Accept press (see :meth:`press_accept`): the confirmations to both people, held
        back while a burst's replies go out, may start."""
        self.placer.replied()

    def press_accept(
        self, *, platform: str, external_id: str, request_id: int, resolve: Callable[[], int | None],
        shows_booking: bool = False,
    ) -> Future:  # fmt: skip
        """An Accept press from any door: written down before the door answers (so it survives this process),
        then placed with the rest of its burst in one transaction (:mod:`bot.partnering.instant`). The future
        gets the presser's reply once both people's "Meeting booked" are queued; the door calls :meth:`reply_sent`
        when it has answered. ``shows_booking``: the door's answer can show the booking with its calendar link
        (Teams' card, in the chat the message would go to): the presser's "Meeting booked" is then held
        (``reply.held``) until the door says with :meth:`held_message_shown` whether it did.

        Raises:
            TimeoutError: the database did not take the press (the door apologises; nothing changed).
        """
        return self.placer.press(platform=platform, external_id=external_id, request_id=request_id, resolve=resolve,
                                 shows_booking=shows_booking)  # fmt: skip

    def held_message_shown(self, held: HeldMessage, *, shown: bool) -> None:
        """The door showed a held message in its answer (it is recorded sent) or could not (it goes out now)."""
        self.placer.settle(held, shown=shown)

    def record_accept(self, *, platform: str, external_id: str, request_id: int) -> int:
        """Write an Accept press down without carrying it out (what a process that died right after leaves)."""
        return self.intake.record(kind=ACCEPT_PRESS, platform=platform, external_id=external_id, ref_id=request_id)

    def _said(self, actor: int, key: str, **values) -> Reply:
        """A one-sentence answer to ``actor`` in their language."""
        code = self.language_of(actor)
        text = lang.say(code, key, **values)
        return Reply(text=text, lang=code).add(Paragraph(text))

    def decline(self, *, actor: int, request_id: int, reason: str = "") -> Reply:
        def run() -> Reply:
            request = self.partnering.decline(request_id=request_id, actor_id=actor, reason=reason)
            return self._said(actor, "declined_answer", name=request.requester.name)

        return self._changing(run)

    def withdraw(self, *, actor: int, request_id: int) -> Reply:
        def run() -> Reply:
            request = self.partnering.withdraw(request_id=request_id, actor_id=actor)
            other = request.invitee if request.requester.id == actor else request.requester
            return self._said(actor, "withdrawn_answer", name=other.name, topic=request.topic)

        return self._changing(run)

    def propose_choices(self, *, actor: int, request_id: int) -> tuple[RequestView, list[date], list[BlockView]]:
        """The days and blocks still open for proposing another time for a request.

        Raises:
            NotAllowed: the person is not one of the two in the request.
        """
        request = self.partnering.request(request_id)
        if actor not in (request.requester.id, request.invitee.id):
            log.warning("participant %s asked for times of request %s, which is not theirs", actor, request_id)
            raise NotAllowed("Only the two people in this meeting can propose another time.")
        now = self.clock.now()
        blocks = [b for b in self.partnering.blocks(participant_id=actor) if b.ends_at > now]
        zone = ZoneInfo(request.timezone)
        days = sorted({b.starts_at.astimezone(zone).date() for b in blocks})
        return request, days, blocks

    def propose_options(self, *, actor: int, request_id: int) -> Reply:
        return friendly(
            lambda: meeting_replies.propose_choices(
                *self.propose_choices(actor=actor, request_id=request_id), self.language_of(actor)
            )
        )

    def propose(self, *, actor: int, request_id: int, day: date | None = None, block_id: int | None = None) -> Reply:
        return self._changing(
            lambda: meeting_replies.accept_reply(
                self.partnering.propose(request_id=request_id, actor_id=actor, day=day, block_id=block_id),
                viewer=actor,
                proposed=True,
            )
        )

    def cancel(self, *, actor: int, meeting_id: int) -> Reply:
        def run() -> Reply:
            meeting = self.partnering.cancel(meeting_id=meeting_id, actor_id=actor)
            code = self.language_of(actor)
            return self._said(actor, "cancelled_answer", name=meeting.other.name, when=meeting_replies.when(meeting, code))

        return self._changing(run)

    def reschedule(self, *, actor: int, meeting_id: int) -> Reply:
        """Offer other times; the meeting keeps its place until a new one is booked (see :meth:`propose`)."""

        def run() -> Reply:
            meeting = self.partnering.meeting(meeting_id, participant_id=actor)
            if meeting.status != "booked":
                raise UserError("This meeting is cancelled; send a new request with /meet.")
            code = self.language_of(actor)
            reply = self._said(actor, "reschedule_answer", name=meeting.other.name, when=meeting_replies.when(meeting, code))
            options = self.propose_options(actor=actor, request_id=meeting.request_id)
            reply.parts.extend(options.parts[1:])
            return reply

        return friendly(run)

    def set_unavailable(self, *, actor: int, block_id: int, unavailable: bool) -> Reply:
        def run() -> Reply:
            block = self.partnering.set_unavailable(participant_id=actor, block_id=block_id, unavailable=unavailable)
            name = meeting_replies.block_label(block, self.partnering.timezone())
            if block.unavailable and block.soft:
                return say(f"You are unavailable for {name}; meetings go there only when no other time fits.")
            if block.unavailable:
                return say(f"You are unavailable for {name}; no meetings will be placed there.")
            return say(f"You are available for {name} again.")

        return friendly(run)

    def meetings(self, *, actor: int) -> Reply:
        return friendly(
            lambda: meeting_replies.overview_reply(
                self.partnering.overview(participant_id=actor),
                timezone=self.partnering.timezone(),
                code=self.language_of(actor),
            )
        )
