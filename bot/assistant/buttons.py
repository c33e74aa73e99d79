"""The assistant's buttons desk: buttons whose value is one ID (accept a request, cancel a meeting, remind me, ...),
pressed in a door that draws its own buttons (the console, Teams). Slack routes each action to its own listener."""

from __future__ import annotations

from collections.abc import Callable

from bot.announcements import replies as ar
from bot.assistant.base import say
from bot.assistant.imports import IMPORT_APPLY
from bot.errors import UserError
from bot.partnering import replies as mr
from bot.reminders import replies as rr
from bot.replies import Reply
from bot.text import button_id

OUT_OF_DATE = "That button is out of date; type meetings (or agenda) to see the current ones."


class ButtonsDesk:
    """Mixed into :class:`bot.assistant.Assistant`. Every value is re-validated by the action it names."""

    def press(self, *, actor: int, external_id: str, action: str, value: str) -> Reply | None:
        """The answer to a press of ``action`` with ``value``, or None when the action is not one of these."""
        handlers: dict[str, Callable[[int], Reply]] = {
            mr.ACCEPT: lambda ref: self.accept(actor=actor, request_id=ref),
            mr.DECLINE: lambda ref: self.decline(actor=actor, request_id=ref),
            mr.WITHDRAW: lambda ref: self.withdraw(actor=actor, request_id=ref),
            mr.PROPOSE: lambda ref: self.propose_options(actor=actor, request_id=ref),
            mr.CANCEL: lambda ref: self.cancel(actor=actor, meeting_id=ref),
            mr.RESCHEDULE: lambda ref: self.reschedule(actor=actor, meeting_id=ref),
            mr.BLOCK_OFF: lambda ref: self.set_unavailable(actor=actor, block_id=ref, unavailable=True),
            mr.BLOCK_ON: lambda ref: self.set_unavailable(actor=actor, block_id=ref, unavailable=False),
            rr.BOOKMARK_ADD: lambda ref: self.bookmark(actor=actor, session_id=ref),
            rr.BOOKMARK_REMOVE: lambda ref: self.unbookmark(actor=actor, session_id=ref),
            rr.SET_LEAD: lambda ref: self.set_reminder_preferences(actor=actor, lead_minutes=ref),
            ar.CONFIRM: lambda ref: self.confirm_announcement(external_id=external_id, actor=actor, draft_id=ref),
            ar.CANCEL: lambda ref: self.cancel_announcement(external_id=external_id, announcement_id=ref),
            ar.RETRY: lambda ref: self.retry_announcement(external_id=external_id, announcement_id=ref),
            IMPORT_APPLY: lambda ref: self.apply_import(external_id=external_id, pending_id=ref),
        }
        handler = handlers.get(action)
        if handler is None:
            return None
        ref = button_id(value)  # IDs only: "٣" is a digit to Python, not to us; 30 digits overflow the database
        if ref is None:
            return say(OUT_OF_DATE)
        try:
            return handler(ref)
        except UserError as error:
            return say(str(error))
