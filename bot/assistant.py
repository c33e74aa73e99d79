"""The assistant's front door for every adapter: one method per thing a person can ask or do.

Adapters (Slack, console, later Teams) hold one :class:`Assistant`, resolve who is talking
to a participant ID with :meth:`identify`, and turn the returned replies into their own
format; they never reach into the database or the event data themselves. Anything a
person should be told about a mistake comes back as a reply, never as an exception.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from zoneinfo import ZoneInfo

from bot import home as home_module
from bot.agenda import edits as agenda_edit
from bot.agenda import listing as agenda_module
from bot.agenda import questions, venues
from bot.agenda.catalog import Catalog, EventView, NoEventLoaded
from bot.agenda.days import UnknownDay, find_day
from bot.announcements import replies as announcement_replies
from bot.announcements import reports
from bot.announcements.broadcasts import Announcements, Draft, record
from bot.clock import Clock
from bot.delivery.notifier import Notifier
from bot.delivery.outbox import Deliverer
from bot.errors import NotAllowed, UserError
from bot.help import help_reply
from bot.messages import RENDERERS
from bot.partnering import replies as meeting_replies
from bot.partnering.directory import PartnerDirectory
from bot.partnering.floor import FloorPlan
from bot.partnering.participants import Participants, PersonInfo, Profile, ProfileUpdate
from bot.partnering.requests import Limits, Partnering
from bot.partnering.views import BlockView, RequestView
from bot.reminders import replies as reminder_replies
from bot.reminders.bookmarks import REMINDER_KINDS, Reminders, follow_agenda_changes
from bot.replies import Actions, Divider, Note, Paragraph, Reply, SessionCard
from bot.text import clean_input, tokens
from storage.db import Database

log = logging.getLogger(__name__)
NO_EVENT = "No event is loaded yet. An organiser can load one with `python -m bot load-event FILE`."
WORKER_ONLY_KINDS = (*REMINDER_KINDS, "agenda_changes", "announcement", "announcement_progress")
NOT_ORGANISER = "Sorry, only the event's organisers can do that. If you are one, ask an admin to add you to ORGANISER_IDS."


def say(text: str) -> Reply:
    return Reply(text=text).add(Paragraph(text))


def friendly(action: Callable[[], Reply]) -> Reply:
    """Run ``action``; a mistake the person made becomes a polite reply, and nothing was changed."""
    try:
        return action()
    except NoEventLoaded:
        return say(NO_EVENT)
    except UserError as error:
        return say(str(error))


class Assistant:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        catalog: Catalog | None = None,
        notifiers: dict[str, Notifier] | None = None,
        limits: Limits | None = None,
        organisers: frozenset[str] = frozenset(),
        send_now: bool = False,
    ) -> None:
        """``send_now``: send queued messages before returning (console, tests) instead of in the background."""
        self.db = db
        self.clock = clock
        self.catalog = catalog or Catalog(db)
        self.participants = Participants(db)
        self.directory = PartnerDirectory(db)
        self.partnering = Partnering(db=db, clock=clock, participants=self.participants, limits=limits)
        self.floor = FloorPlan(db=db, clock=clock)
        self.reminders = Reminders(db=db, clock=clock)
        self.announcements = Announcements(db=db, clock=clock)
        self.organiser_check: Callable[[str], bool] | None = None
        self.organisers = organisers
        self.deliverer = (
            Deliverer(db=db, clock=clock, notifiers=notifiers, renderers=RENDERERS) if notifiers is not None else None
        )
        self.send_now = send_now

    def add_notifier(self, platform: str, notifier: Notifier) -> None:
        """Let this process send direct messages to ``platform``'s users."""
        if self.deliverer is None:
            self.deliverer = Deliverer(db=self.db, clock=self.clock, notifiers={}, renderers=RENDERERS)
        self.deliverer.notifiers[platform] = notifier

    def event(self) -> EventView:
        return self.catalog.current()

    def _with_event(self, answer) -> Reply:
        return friendly(lambda: answer(self.catalog.current()))

    # --- agenda and venues -----------------------------------------------------------------

    def with_bookmarks(self, reply: Reply, actor: int | None) -> Reply:
        """Give each upcoming session in ``reply`` a "Remind me" or "Don't remind me" button for ``actor``."""
        if actor is None or not any(isinstance(p, SessionCard) for p in reply.parts):
            return reply
        mine = self.reminders.bookmarked(actor)
        now = self.clock.now()
        reply.parts = [
            replace(p, bookmarked=p.session.id in mine) if isinstance(p, SessionCard) and p.session.starts_at > now else p
            for p in reply.parts
        ]
        return reply

    def agenda(self, *, text: str, page: int = 1, actor: int | None = None) -> Reply:
        reply = self._with_event(lambda event: agenda_module.agenda(event, query=text, now=self.clock.now(), page=page))
        return self.with_bookmarks(reply, actor)

    def agenda_to_share(self, *, text: str, page: int = 1) -> Reply:
        """The same answer as :meth:`agenda`, as the channel sees it: no buttons, no paging hints."""
        reply = self.agenda(text=text, page=page)
        reply.parts = [
            p
            for p in reply.parts
            if not isinstance(p, Actions) and not (isinstance(p, Note) and p.text.startswith("Showing"))
        ]
        reply.share = None
        return reply

    def venue(self, *, text: str) -> Reply:
        return self._with_event(lambda event: venues.venues(event, query=text, now=self.clock.now()))

    def ask(self, *, text: str, actor: int | None = None) -> Reply:
        reply = self._with_event(lambda event: questions.answer(event, question=text, now=self.clock.now()))
        return self.with_bookmarks(reply, actor)

    def help(self) -> Reply:
        return self._with_event(help_reply)

    def home(self, *, actor: int | None = None, external_id: str = "") -> Reply:
        """The event at a glance; with ``actor``, their next meetings first; organisers also see the numbers."""

        def build(event: EventView) -> Reply:
            meetings = self.partnering.overview(participant_id=actor).upcoming[:3] if actor else []
            reply = home_module.home(event, now=self.clock.now(), meetings=meetings)
            if external_id and self.is_organiser(external_id):
                summary = announcement_replies.summary_reply(reports.summary(self.db))
                reply.parts[1:1] = [Divider(), *summary.parts]
            return reply

        return self.with_bookmarks(self._with_event(build), actor)

    # --- reminders ---------------------------------------------------------------------------

    def bookmark(self, *, actor: int, session_id: int) -> Reply:
        def run() -> Reply:
            row, now = self.reminders.add(participant_id=actor, session_id=session_id)
            lead = self.reminders.preferences(actor).lead_minutes
            if now:
                return say(f"Done: {row.title} starts in less than {lead} minutes, so I'm reminding you right away.")
            return say(f"Done: I'll remind you {lead} minutes before {row.title}.")

        return self._changing(run)

    def unbookmark(self, *, actor: int, session_id: int) -> Reply:
        def run() -> Reply:
            self.reminders.remove(participant_id=actor, session_id=session_id)
            return say("Done: no reminder for that session.")

        return friendly(run)

    def reminders_overview(self, *, actor: int) -> Reply:
        return friendly(
            lambda: reminder_replies.reminders_overview(
                self.reminders.list(actor), self.reminders.preferences(actor), self.partnering.timezone()
            )
        )

    def set_reminder_preferences(self, *, actor: int, lead_minutes: int | None = None, meeting_reminders: bool | None = None,
                                 daily_digest: bool | None = None) -> Reply:  # fmt: skip
        def run() -> Reply:
            self.reminders.set_preferences(participant_id=actor, lead_minutes=lead_minutes,
                                           meeting_reminders=meeting_reminders, daily_digest=daily_digest)  # fmt: skip
            return self.reminders_overview(actor=actor)

        return friendly(run)

    # --- who is talking --------------------------------------------------------------------

    def identify(self, *, platform: str, external_id: str, lookup: Callable[[], PersonInfo | None]) -> int:
        """The participant behind a platform user, created from ``lookup()`` on first contact.

        Raises:
            bot.errors.NotFound: the platform does not know the user.
        """
        return self.participants.ensure(platform=platform, external_id=external_id, lookup=lookup, now=self.clock.now())

    def is_organiser(self, external_id: str) -> bool:
        """``"*"`` in the organiser set makes everyone one (the local console); an adapter may add
        its own check (Slack: members of ORGANISER_USERGROUP)."""
        if "*" in self.organisers or external_id in self.organisers:
            return True
        return bool(self.organiser_check and self.organiser_check(external_id))

    def profile_of(self, participant_id: int) -> Profile:
        return self.participants.get(participant_id)

    def sent(self) -> None:
        """Send what the last change queued: now (console, tests) or in the background (web).

        Reminders and other scheduled messages are the worker's alone; a web process only
        sends the immediate answers to what someone just did.
        """
        if self.deliverer is None:
            return
        if self.send_now:
            self.deliverer.drain(exclude_kinds=WORKER_ONLY_KINDS)
        else:
            self.deliverer.kick(exclude_kinds=WORKER_ONLY_KINDS)

    def _changing(self, action: Callable[[], Reply]) -> Reply:
        reply = friendly(action)
        self.sent()
        return reply

    # --- profiles and partners -------------------------------------------------------------

    def profile(self, *, actor: int, person: int | None = None) -> Reply:
        return friendly(
            lambda: meeting_replies.profile_reply(self.participants.get(person or actor), mine=person in (None, actor))
        )

    def save_profile(self, *, actor: int, update: ProfileUpdate) -> Reply:
        def run() -> Reply:
            profile = self.participants.update_profile(actor, update, now=self.clock.now())
            return meeting_replies.profile_reply(profile, mine=True).add(Paragraph("Profile saved."))

        return friendly(run)

    def partners(self, *, actor: int, text: str) -> Reply:
        def run() -> Reply:
            me = self.participants.get(actor)
            if tokens(clean_input(text)):
                return meeting_replies.partners_reply(
                    self.directory.search(text, exclude=actor), suggestions=False, me_complete=me.complete
                )
            return meeting_replies.partners_reply(self.directory.suggestions(me), suggestions=True, me_complete=me.complete)

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
        return self._changing(
            lambda: meeting_replies.accept_reply(self.partnering.accept(request_id=request_id, actor_id=actor), viewer=actor)
        )

    def decline(self, *, actor: int, request_id: int, reason: str = "") -> Reply:
        def run() -> Reply:
            request = self.partnering.decline(request_id=request_id, actor_id=actor, reason=reason)
            return say(f"Declined {request.requester.name}'s request. I've let them know.")

        return self._changing(run)

    def withdraw(self, *, actor: int, request_id: int) -> Reply:
        def run() -> Reply:
            request = self.partnering.withdraw(request_id=request_id, actor_id=actor)
            other = request.invitee if request.requester.id == actor else request.requester
            return say(f"Withdrawn: the meeting request with {other.name} ({request.topic}). I've let them know.")

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
        return friendly(lambda: meeting_replies.propose_choices(*self.propose_choices(actor=actor, request_id=request_id)))

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
            return say(
                f"Cancelled your meeting with {meeting.other.name} on {meeting_replies.when(meeting)}. I've told them."
            )

        return self._changing(run)

    def reschedule(self, *, actor: int, meeting_id: int) -> Reply:
        """Offer other times; the meeting keeps its place until a new one is booked (see :meth:`propose`)."""

        def run() -> Reply:
            meeting = self.partnering.meeting(meeting_id, participant_id=actor)
            if meeting.status != "booked":
                raise UserError("This meeting is cancelled; send a new request with /meet.")
            reply = say(
                f"Your meeting with {meeting.other.name} stays on {meeting_replies.when(meeting)} until you pick another time:"
            )
            options = self.propose_options(actor=actor, request_id=meeting.request_id)
            reply.parts.extend(options.parts[1:])
            return reply

        return friendly(run)

    def set_unavailable(self, *, actor: int, block_id: int, unavailable: bool) -> Reply:
        def run() -> Reply:
            block = self.partnering.set_unavailable(participant_id=actor, block_id=block_id, unavailable=unavailable)
            name = meeting_replies.block_label(block, self.partnering.timezone())
            if block.unavailable:
                return say(f"You are unavailable for {name}; no meetings will be placed there.")
            return say(f"You are available for {name} again.")

        return friendly(run)

    def meetings(self, *, actor: int) -> Reply:
        return friendly(
            lambda: meeting_replies.overview_reply(
                self.partnering.overview(participant_id=actor), timezone=self.partnering.timezone()
            )
        )

    # --- organisers --------------------------------------------------------------------------

    def check_organiser(self, external_id: str) -> None:
        """Raises NotAllowed (and logs the attempt) unless ``external_id`` is an organiser."""
        if not self.is_organiser(external_id):
            log.warning("non-organiser %s tried an organiser action", external_id)
            raise NotAllowed(NOT_ORGANISER)

    def preview_announcement(self, *, external_id: str, draft: Draft, channel_problem=None) -> Reply:
        """What the organiser confirms: who it reaches, how many, when, and the message as people will see it.

        Raises:
            UserError: with ``field`` naming what to fix; nothing is saved.
        """
        self.check_organiser(external_id)
        summary = self.announcements.check(draft, channel_problem=channel_problem)
        return announcement_replies.preview(draft.text, summary, allow_broadcast=draft.allow_broadcast)

    def announce(self, *, external_id: str, actor: int, draft: Draft, channel_problem=None) -> Reply:
        """Schedule an announcement (now or later); the worker sends it and reports progress.

        Raises:
            UserError: as :meth:`preview_announcement`.
        """
        self.check_organiser(external_id)
        view = self.announcements.create(
            author_id=actor, author_ref=external_id, draft=draft, channel_problem=channel_problem
        )
        if draft.send_at is None:
            return say(f"Announcement #{view.id} to {view.audience} is on its way; I'll show you the progress here.")
        return say(
            f"Announcement #{view.id} to {view.audience} is scheduled for {announcement_replies.when(view.send_at, view.timezone)}."
        )

    def draft_announcement(self, *, external_id: str, actor: int, draft: Draft, channel_problem=None) -> tuple[Reply, int]:
        """Check a draft and keep it for the confirm step; returns the preview and the draft's ID.

        Raises:
            UserError: as :meth:`preview_announcement`.
        """
        preview = self.preview_announcement(external_id=external_id, draft=draft, channel_problem=channel_problem)
        return preview, self.announcements.save_draft(author_id=actor, draft=draft)

    def confirm_announcement(self, *, external_id: str, actor: int, draft_id: int, channel_problem=None) -> Reply:
        """Raises UserError when something changed since the preview (the time passed, the channel...)."""
        self.check_organiser(external_id)
        view = self.announcements.confirm(
            draft_id=draft_id, author_id=actor, author_ref=external_id, channel_problem=channel_problem
        )
        if view.send_at <= self.clock.now():
            return say(
                f"Announcement #{view.id} to {view.audience} is on its way; I'll show you the progress in a direct message."
            )
        return say(
            f"Announcement #{view.id} to {view.audience} is scheduled for {announcement_replies.when(view.send_at, view.timezone)}."
        )

    def announcements_list(self, *, external_id: str) -> Reply:
        def run() -> Reply:
            self.check_organiser(external_id)
            return announcement_replies.listing(self.announcements.list())

        return friendly(run)

    def cancel_announcement(self, *, external_id: str, announcement_id: int) -> Reply:
        def run() -> Reply:
            self.check_organiser(external_id)
            view = self.announcements.cancel(announcement_id=announcement_id, actor_ref=external_id)
            return say(f"Announcement #{view.id} is cancelled; nobody will get it.")

        return friendly(run)

    def retry_announcement(self, *, external_id: str, announcement_id: int) -> Reply:
        def run() -> Reply:
            self.check_organiser(external_id)
            count = self.announcements.retry_failed(announcement_id=announcement_id, actor_ref=external_id)
            return say(
                f"Trying the {count} failed message(s) of announcement #{announcement_id} again."
                if count
                else "Nothing failed; nothing to retry."
            )

        return friendly(run)

    def edit_session(self, *, external_id: str, text: str) -> Reply:
        """``/session move|room|cancel|restore <key> ...``: organisers change the agenda from Slack."""

        def run() -> Reply:
            self.check_organiser(external_id)
            return say(
                agenda_edit.edit_session(
                    self.db, self.clock, actor_ref=external_id, words=clean_input(text).split(), follow=follow_agenda_changes
                )
            )

        return friendly(run)

    def organiser_summary(self, *, external_id: str) -> Reply:
        def run() -> Reply:
            self.check_organiser(external_id)
            return announcement_replies.summary_reply(reports.summary(self.db))

        return friendly(run)

    def report_csv(self, *, external_id: str, kind: str) -> tuple[Reply, str | None]:
        """One of the CSV exports: ``meetings``, ``interest`` or ``announcements``."""
        if not self.is_organiser(external_id):
            log.warning("non-organiser %s tried to export %s", external_id, kind)
            return say(NOT_ORGANISER), None
        makers = {"meetings": self.floor.export_csv, "interest": lambda: reports.interest_csv(self.db),
                  "announcements": lambda: reports.announcements_csv(self.db)}  # fmt: skip
        if kind not in makers:
            return say("Choose a report: /report meetings, /report interest or /report announcements."), None
        with self.db.transaction() as session:
            record(session, actor=external_id, action=f"export {kind}", detail="", now=self.clock.now())
        text = makers[kind]()
        rows = max(0, text.count("\n") - 1)
        return say(f"The {kind} report ({rows:,} rows) is in your direct messages as a CSV file."), text

    def _organiser_only(self, external_id: str, action: Callable[[], Reply]) -> Reply:
        if not self.is_organiser(external_id):
            log.warning("non-organiser %s tried an organiser command", external_id)
            return say(NOT_ORGANISER)
        return self._changing(action)

    def schedule_all(self, *, external_id: str) -> Reply:
        return self._organiser_only(external_id, lambda: meeting_replies.schedule_all_reply(self.floor.schedule_all()))

    def export_meetings(self, *, external_id: str) -> tuple[Reply, str | None]:
        if not self.is_organiser(external_id):
            log.warning("non-organiser %s tried to export meetings", external_id)
            return say(NOT_ORGANISER), None
        csv_text = self.floor.export_csv()
        count = max(0, csv_text.count("\n") - 1)
        return say(f"All {count} meeting(s) as CSV."), csv_text

    def table_schedule(self, *, external_id: str) -> Reply:
        def run() -> Reply:
            from bot import timefmt

            zone = self.partnering.timezone()
            reply = Reply(text="Table schedule").add(meeting_replies.Heading("Table schedule"))
            for venue, table, booked in self.floor.table_schedule():
                if not booked:
                    continue
                lines = [
                    f"{timefmt.short_day(timefmt.local(s, zone).date())} {timefmt.clock(s, zone)}  {who}"
                    for s, who in booked
                ]
                reply.add(Paragraph(f"{table}, {venue}\n" + "\n".join(lines)))
            if len(reply.parts) == 1:
                reply.add(Paragraph("No meetings are booked yet."))
            return reply

        return self._organiser_only(external_id, run)
