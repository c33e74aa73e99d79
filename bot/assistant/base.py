"""What every desk of the assistant shares: the services it holds, who is talking, sending what a change queued,
and turning a person's mistake into a polite reply."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot import lang
from bot.agenda.catalog import Catalog, EventView, NoEventLoaded
from bot.announcements.broadcasts import Announcements
from bot.clock import Clock
from bot.delivery.addresses import Addresses, PublishedFiles
from bot.delivery.intake import IntakeLog
from bot.delivery.leases import ProcessLease
from bot.delivery.notifier import Notifier
from bot.delivery.outbox import Deliverer, producing, take_produced
from bot.errors import UserError
from bot.messages import RENDERERS, prefetch
from bot.partnering.directory import PartnerDirectory
from bot.partnering.floor import FloorPlan
from bot.partnering.instant import InstantPlacer
from bot.partnering.participants import Participants, PersonInfo, Profile
from bot.partnering.requests import Limits, Partnering
from bot.people.roster import People
from bot.reminders.bookmarks import REMINDER_KINDS, Reminders
from bot.replies import Paragraph, Reply
from storage.db import Database

log = logging.getLogger(__name__)
NO_EVENT = "No event is loaded yet. An organiser can load one with `python -m bot load-event FILE`."
WORKER_ONLY_KINDS = (*REMINDER_KINDS, "agenda_changes", "announcement", "announcement_progress")
# Messages a web process sends side by side, per platform (the worker sends one at a time, paced): a platform takes
# 0.1-0.3 s to answer each, so one at a time a burst of 100 meetings would take tens of seconds to confirm; more
# threads than this only queue on the GIL.
SEND_THREADS = 8
NOT_ORGANISER = "Sorry, only the event's organisers can do that. If you are one, ask an admin to add you to ORGANISER_IDS."
# The setting that lists each door's organisers: a refusal names the one for the door the person uses.
ORGANISER_SETTINGS = {"slack": "ORGANISER_IDS", "teams": "TEAMS_ORGANISER_IDS"}


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


class AssistantBase:
    """State shared by every desk, who is talking, and sending what a change queued."""

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
        self.holder = ProcessLease(db=db, clock=clock)  # this process's lease on what it holds; serve starts it
        self.intake = IntakeLog(db=db, clock=clock, holder=self.holder)
        self.placer = InstantPlacer(partnering=self.partnering, intake_log=self.intake, deliver=self.sent)
        self.floor = FloorPlan(db=db, clock=clock)
        self.reminders = Reminders(db=db, clock=clock)
        self.announcements = Announcements(db=db, clock=clock)
        self.addresses = Addresses(db)
        self.published = PublishedFiles(db)
        self.organiser_check: Callable[[str], bool] | None = None
        self.organisers = organisers
        self.send_now = send_now
        self.deliverer = self._new_deliverer(notifiers) if notifiers is not None else None
        self.people = People(db=db, clock=clock)
        self.account_finders: dict = {}  # platform -> bot.people.accounts.AccountFinder (see PeopleDesk)

    def _new_deliverer(self, notifiers: dict[str, Notifier]) -> Deliverer:
        """This process's sender: the console sends one message at a time, a web process several side by side."""
        return Deliverer(db=self.db, clock=self.clock, notifiers=notifiers, renderers=RENDERERS, holder=self.holder,
                         prefetch=prefetch, send_threads=1 if self.send_now else SEND_THREADS)  # fmt: skip

    def add_notifier(self, platform: str, notifier: Notifier) -> None:
        """Let this process send direct messages to ``platform``'s users."""
        if self.deliverer is None:
            self.deliverer = self._new_deliverer({})
        self.deliverer.notifiers[platform] = notifier
        if not self.send_now:  # DMs sent in the background step aside while a burst is placed
            self.deliverer.yield_to = self.placer.wait_idle
        if getattr(notifier, "needs_address", False):  # it reaches people only at a stored address
            self.announcements.addressed_platforms |= {platform}

    def event(self) -> EventView:
        return self.catalog.current()

    def _with_event(self, answer) -> Reply:
        return friendly(lambda: answer(self.catalog.current()))

    # --- who is talking --------------------------------------------------------------------

    def identify(self, *, platform: str, external_id: str, lookup: Callable[[], PersonInfo | None]) -> int:
        """The participant behind a platform user, created from ``lookup()`` on first contact.

        Raises:
            bot.errors.NotFound: the platform does not know the user.
        """
        met: list[PersonInfo] = []

        def remembered() -> PersonInfo | None:
            info = lookup()
            if info is not None:
                met.append(info)
            return info

        me = self.participants.ensure(platform=platform, external_id=external_id, lookup=remembered, now=self.clock.now())
        if met and met[0].email:  # a new face whose platform gave an email: their registration, if one waits
            self.people.claim(participant_id=me, email=met[0].email)
        return me

    def is_organiser(self, external_id: str) -> bool:
        """``"*"`` in the organiser set makes everyone one (the local console); an adapter may add
        its own check (Slack: members of ORGANISER_USERGROUP)."""
        if "*" in self.organisers or external_id in self.organisers:
            return True
        return bool(self.organiser_check and self.organiser_check(external_id))

    def not_organiser(self, external_id: str) -> str:
        """The refusal for someone who is not an organiser, naming the setting of their own door."""
        for platform, setting in ORGANISER_SETTINGS.items():
            if self.participants.known(platform=platform, external_id=external_id) is not None:
                return NOT_ORGANISER.replace("ORGANISER_IDS", setting)
        return NOT_ORGANISER

    def language_of(self, participant_id: int | None) -> str:
        """The language to answer ``participant_id`` in (their platform setting or registration); English for None."""
        return lang.from_locale(self.participants.locale_of(participant_id)) if participant_id else lang.DEFAULT

    def profile_of(self, participant_id: int) -> Profile:
        return self.participants.get(participant_id)

    def sent(self, ids: list[int] | None = None) -> None:
        """Send what the last change queued (``ids``; by default what :meth:`producing` collected in the scope
        this runs in): now (console, tests) or in the background (web).

        Reminders and other scheduled messages are the worker's alone; a web process only sends the immediate
        answers to what someone just did, never another process's rows (see :mod:`bot.delivery.leases`).
        """
        if ids is None:
            ids = self.take_produced()
        if self.deliverer is None:
            return
        if self.send_now:
            self.deliverer.drain(exclude_kinds=WORKER_ONLY_KINDS)
        else:
            self.deliverer.kick(ids, exclude_kinds=WORKER_ONLY_KINDS)

    @staticmethod
    def producing():
        """A scope that collects the IDs of the outbox rows queued in it (a door wraps a request in one, so a
        later :meth:`sent` sends exactly those)."""
        return producing()

    @staticmethod
    def take_produced() -> list[int]:
        return take_produced()

    def _changing(self, action: Callable[[], Reply]) -> Reply:
        with producing() as ids:
            reply = friendly(action)
        self.sent(list(ids))
        return reply
