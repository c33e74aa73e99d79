"""The assistant's reminders desk: bookmarks, reminder preferences."""

from __future__ import annotations

import logging

from bot.assistant.base import friendly, say
from bot.reminders import replies as reminder_replies
from bot.replies import Reply

log = logging.getLogger(__name__)


class RemindersDesk:
    """Bookmarks, reminder preferences. Mixed into :class:`bot.assistant.Assistant`, whose state it uses."""

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
