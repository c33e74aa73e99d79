"""The assistant's privacy desk: what is kept and who sees it, download, hide from the directory, delete."""

from __future__ import annotations

import logging

from bot.assistant.base import friendly, say
from bot.delivery.outbox import enqueue
from bot.errors import NotFound
from bot.privacy import replies as privacy_replies
from bot.privacy.data import Privacy
from bot.replies import Reply

log = logging.getLogger(__name__)


class PrivacyDesk:
    """``/privacy`` and its buttons. Mixed into :class:`bot.assistant.Assistant`, whose state it uses."""

    retention_days: int = 90

    @property
    def privacy(self) -> Privacy:
        found = self.__dict__.get("_privacy")
        if found is None:
            found = self.__dict__["_privacy"] = Privacy(
                db=self.db, clock=self.clock, participants=self.participants, partnering=self.partnering,
                retention_days=self.retention_days,
            )  # fmt: skip
        return found

    def privacy_overview(self, *, actor: int) -> Reply:
        return friendly(
            lambda: privacy_replies.overview(hidden=self.privacy.is_hidden(actor), retention_days=self.retention_days)
        )

    def privacy_home(self, actor: int | None) -> list:
        return privacy_replies.home_section(hidden=self.privacy.is_hidden(actor)) if actor else []

    def download_my_data(self, *, actor: int) -> Reply:
        """The JSON file goes by direct message, through the outbox (built when it is sent)."""

        def run() -> Reply:
            now = self.clock.now()
            with self.db.transaction(write=True) as session:
                enqueue(session, participant_id=actor, kind="data_export", ref_id=actor,
                        dedupe_key=f"data_export:{actor}:{now:%Y%m%d%H%M}", due_at=now, now=now)  # fmt: skip
            log.info("participant %s asked for their data", actor)
            return privacy_replies.download_queued()

        return self._changing(run)

    def set_hidden(self, *, actor: int, hidden: bool) -> Reply:
        def run() -> Reply:
            self.privacy.set_hidden(actor, hidden)
            if hidden:
                return say("Done: you are hidden from the partner directory. Nobody finds or is suggested you; "
                           "your meetings stay as they are.")  # fmt: skip
            return say("Done: others can find you in /partners again.")

        return friendly(run)

    def confirm_delete_my_data(self, *, actor: int) -> Reply:
        return privacy_replies.confirm_delete()

    def delete_my_data(self, *, actor: int) -> Reply:
        def run() -> Reply:
            try:
                result = self.privacy.delete(actor)
            except NotFound:
                return say("There is no data about you here any more.")
            return privacy_replies.deleted(result)

        return self._changing(run)
