"""The assistant's dashboard desk: one-time sign-in links for organisers, and where the dashboard lives.

The link goes to the organiser by direct message straight from the door that asked (never through the
outbox), so the raw token is never written to the database; only its hash is.
"""

from __future__ import annotations

import logging

from bot.announcements.broadcasts import record
from bot.assistant.base import say
from bot.dashboard import access
from bot.dashboard.views import Dashboard
from bot.replies import Heading, Note, Paragraph, Reply

log = logging.getLogger(__name__)


class DashboardDesk:
    """Mixed into :class:`bot.assistant.Assistant`; ``public_url`` is set from the PUBLIC_URL setting."""

    public_url: str = "http://localhost:3000"
    _dashboard: Dashboard | None = None

    @property
    def dashboard(self) -> Dashboard:
        """The read-only views the dashboard pages draw."""
        if self._dashboard is None:
            self._dashboard = Dashboard(db=self.db, clock=self.clock)
        return self._dashboard

    def dashboard_url(self, path: str = "") -> str:
        return f"{self.public_url.rstrip('/')}/dashboard{path}"

    def dashboard_link(self, *, external_id: str, actor: int) -> tuple[Reply, Reply | None]:
        """``/report dashboard``: the answer where it was asked, and the direct message with a one-time link
        (None for anyone but an organiser, whose attempt is logged)."""
        if not self.is_organiser(external_id):
            log.warning("non-organiser %s asked for a dashboard link", external_id)
            return say(self.not_organiser(external_id)), None
        now = self.clock.now()
        token = access.issue(self.db, participant_id=actor, external_id=external_id, now=now)
        with self.db.transaction(write=True) as session:
            record(session, actor=external_id, action="dashboard link", detail="", now=now)
        minutes = int(access.LINK_LIFETIME.total_seconds() // 60)
        link = self.dashboard_url(f"/login?token={token}")
        message = Reply(text="Your sign-in link for the organisers' dashboard").add(
            Heading("Organisers' dashboard"),
            Paragraph(link),
            Note(
                f"The link works once, within {minutes} minutes, and only for you: please don't forward it. "
                "It keeps this browser signed in for 8 hours."
            ),
        )
        return say("I've sent you a sign-in link for the dashboard by direct message."), message

    def dashboard_sign_in(self, *, token: str) -> access.SignedIn | None:
        """Who a sign-in link belongs to (and it is used up), or None: unknown, used, expired, or no longer an organiser."""
        signed = access.redeem(self.db, token=token, now=self.clock.now())
        if signed is not None and not self.is_organiser(signed.external_id):
            log.warning("dashboard link of %s refused: no longer an organiser", signed.external_id)
            return None
        return signed

    def dashboard_note(self) -> Note:
        """Where the dashboard and the printable schedules are (for /report and organisers' App Home)."""
        return Note(
            f"Dashboard: {self.dashboard_url()} (sign in with /report dashboard) · Printable schedules: "
            f"{self.dashboard_url('/print/tables.pdf')} and {self.dashboard_url('/print/people.pdf')}"
        )
