"""The assistant's people desk: the registration list as people and organisers meet it (the notice on a
profile filled in from the registration, linking on first contact, the organisers' ``report people``)."""

from __future__ import annotations

import logging

from bot.announcements.broadcasts import record
from bot.assistant.base import say
from bot.people import replies as people_replies
from bot.people.accounts import AccountFinder
from bot.privacy.replies import PERSONAL_DATA_NOTICE
from bot.replies import Note, Part, Reply

log = logging.getLogger(__name__)


class PeopleDesk:
    """Mixed into :class:`bot.assistant.Assistant`, whose state it uses (``self.people``, the account finders)."""

    def add_account_finder(self, finder: AccountFinder) -> None:
        """Let this process find ``finder.platform``'s accounts by email (for linking registrants)."""
        self.account_finders[finder.platform] = finder

    def registration_notice(self, actor: int | None) -> list[Part]:
        """ "We filled in your profile from your registration; check it" with Edit, once, after the first link."""
        if not actor or not self.people.check_due(actor):
            return []
        return people_replies.registration_notice()

    def people_report(self, *, external_id: str) -> tuple[Reply, str | None]:
        """Linked / not yet found / opted out, and a CSV of the registrants no chat account was found for."""
        if not self.is_organiser(external_id):
            log.warning("non-organiser %s tried the people report", external_id)
            from bot.assistant.base import NOT_ORGANISER

            return say(NOT_ORGANISER), None
        counts = self.people.counts()
        reply = people_replies.people_report(
            counts, csv_note="The list of people not yet found is in your direct messages as a CSV file."
        )
        if not counts.unlinked:
            return reply, None
        with self.db.transaction(write=True) as session:
            record(session, actor=external_id, action="export people", detail="", now=self.clock.now())
        csv_text = people_replies.unlinked_csv(self.people.unlinked(platforms=sorted(self.account_finders) or ()))
        return reply.add(Note(PERSONAL_DATA_NOTICE)), csv_text
