"""The assistant's organisers desk: what only organisers may do: announcements, session edits, reports, the partnering floor."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot import lang
from bot.agenda import edits as agenda_edit
from bot.announcements import replies as announcement_replies
from bot.announcements import reports
from bot.announcements.broadcasts import Draft, record
from bot.assistant.base import friendly, say
from bot.errors import NotAllowed
from bot.partnering import replies as meeting_replies
from bot.privacy.replies import PERSONAL_DATA_NOTICE
from bot.reminders.bookmarks import follow_agenda_changes
from bot.replies import Note, Paragraph, Reply
from bot.text import clean_input

log = logging.getLogger(__name__)


class OrganisersDesk:
    """What only organisers may do: announcements, session edits, reports, the partnering floor. Mixed into :class:`bot.assistant.Assistant`, whose state it uses."""

    def check_organiser(self, external_id: str) -> None:
        """Raises NotAllowed (and logs the attempt) unless ``external_id`` is an organiser."""
        if not self.is_organiser(external_id):
            log.warning("non-organiser %s tried an organiser action", external_id)
            raise NotAllowed(self.not_organiser(external_id))

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

        if text.split()[:1] == ["import"]:  # /session import <url>: the programme from a conference tool
            return self.preview_import(external_id=external_id, text=text.split(None, 1)[1] if " " in text.strip() else "")

        def run() -> Reply:
            self.check_organiser(external_id)
            return say(
                agenda_edit.edit_session(
                    self.db, self.clock, actor_ref=external_id, words=clean_input(text).split(), follow=follow_agenda_changes
                )
            )

        return friendly(run)

    def organiser_summary(self, *, external_id: str, actor: int | None = None) -> Reply:
        """``actor``: the organiser, whose language the scheduling run's part is in (the rest is English yet)."""

        def run() -> Reply:
            self.check_organiser(external_id)
            reply = announcement_replies.summary_reply(reports.summary(self.db))
            last = self.floor.last_run()
            if last is not None:  # the latest scheduling run: placed vs bound, fairness, what changed
                code = self.language_of(actor)
                reply.add(Paragraph(lang.say(code, "last_run") + "\n" + meeting_replies.run_summary(last, code=code)))
            return reply.add(self.dashboard_note())

        return friendly(run)

    def report_csv(self, *, external_id: str, kind: str) -> tuple[Reply, str | None]:
        """One of the CSV exports: ``meetings``, ``interest`` or ``announcements``."""
        if not self.is_organiser(external_id):
            log.warning("non-organiser %s tried to export %s", external_id, kind)
            return say(self.not_organiser(external_id)), None
        makers = {"meetings": self.floor.export_csv, "interest": lambda: reports.interest_csv(self.db),
                  "announcements": lambda: reports.announcements_csv(self.db)}  # fmt: skip
        if kind not in makers:
            return say("Choose a report: /report meetings, /report interest or /report announcements."), None
        with self.db.transaction(write=True) as session:
            record(session, actor=external_id, action=f"export {kind}", detail="", now=self.clock.now())
        text = makers[kind]()
        rows = max(0, text.count("\n") - 1)
        reply = say(f"The {kind} report ({rows:,} rows) is in your direct messages as a CSV file.")
        return reply.add(Note(PERSONAL_DATA_NOTICE)), text

    def _organiser_only(self, external_id: str, action: Callable[[], Reply]) -> Reply:
        if not self.is_organiser(external_id):
            log.warning("non-organiser %s tried an organiser command", external_id)
            return say(self.not_organiser(external_id))
        return self._changing(action)

    def schedule_all(self, *, external_id: str, reoptimise: bool = False, actor: int | None = None) -> Reply:
        """A scheduling run now; the result in the language of ``actor`` (the organiser who asked)."""
        code = self.language_of(actor)
        return self._organiser_only(
            external_id,
            lambda: meeting_replies.schedule_all_reply(self.floor.schedule_all(reoptimise=reoptimise), code=code),
        )

    def scheduling_now(self, *, external_id: str, actor: int | None = None) -> Reply:
        """What a door says at once when an organiser asks for a run it carries out in the background: how many
        accepted requests it is about to place (a refusal for anyone else)."""
        return self._organiser_only(
            external_id, lambda: say(lang.say(self.language_of(actor), "scheduling_now", count=self.floor.waiting()))
        )

    def export_meetings(self, *, external_id: str) -> tuple[Reply, str | None]:
        if not self.is_organiser(external_id):
            log.warning("non-organiser %s tried to export meetings", external_id)
            return say(self.not_organiser(external_id)), None
        csv_text = self.floor.export_csv()
        count = max(0, csv_text.count("\n") - 1)
        return say(f"All {count} meeting(s) as CSV.").add(Note(PERSONAL_DATA_NOTICE)), csv_text

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
