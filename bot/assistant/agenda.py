"""The assistant's agenda desk: what is on, where, and free-text questions; the event at a glance (App Home)."""

from __future__ import annotations

import logging
from dataclasses import replace

from bot import home as home_module
from bot.agenda import listing as agenda_module
from bot.agenda import venues
from bot.agenda.catalog import EventView
from bot.agenda.help import help_reply
from bot.announcements import replies as announcement_replies
from bot.announcements import reports
from bot.replies import Actions, Divider, Note, Reply, SessionCard

log = logging.getLogger(__name__)


class AgendaDesk:
    """What is on, where, and free-text questions; the event at a glance (App Home). Mixed into :class:`bot.assistant.Assistant`, whose state it uses."""

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

    def help(self) -> Reply:
        return self._with_event(help_reply)

    def home(self, *, actor: int | None = None, external_id: str = "") -> Reply:
        """The event at a glance; with ``actor``, their next meetings first; organisers also see the numbers."""

        def build(event: EventView) -> Reply:
            meetings = self.partnering.overview(participant_id=actor).upcoming[:3] if actor else []
            reply = home_module.home(event, now=self.clock.now(), meetings=meetings)
            if external_id and self.is_organiser(external_id):
                summary = announcement_replies.summary_reply(reports.summary(self.db))
                reply.parts[1:1] = [Divider(), *summary.parts, self.dashboard_note()]
            if actor:
                reply.add(Divider(), *self.privacy_home(actor))
                reply.parts[1:1] = self.registration_notice(actor)
            return reply

        return self.with_bookmarks(self._with_event(build), actor)
