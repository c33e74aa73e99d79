"""The worker's second look for registrants not found in a chat workspace yet: people who join the workspace
after the import (their ``team_join`` may have been missed, or come before the list was imported).

Once a minute at most, the registrants not looked up for an hour are looked up one by one through each door's
:meth:`~bot.people.accounts.AccountFinder.find_one` (Slack: ``users.lookupByEmail``, Tier 3, about 50 a minute),
at most ``per_run`` at a time, so a large list is gone through slowly instead of in a burst that Slack refuses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import timedelta

from bot.people.accounts import AccountFinder
from bot.people.roster import People

log = logging.getLogger(__name__)


class LinkRetries:
    def __init__(
        self, *, people: People, finders: Sequence[AccountFinder], every: timedelta = timedelta(hours=1),
        per_run: int = 30, min_interval: float = 60.0, monotonic: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self.people = people
        self.finders = list(finders)
        self.every = every
        self.per_run = per_run
        self.min_interval = min_interval
        self._monotonic = monotonic
        self._last: float | None = None

    def run(self) -> int:
        """One round if it is time; the number linked."""
        if not self.finders:
            return 0
        now = self._monotonic()
        if self._last is not None and now - self._last < self.min_interval:
            return 0
        self._last = now
        due = self.people.due_for_lookup(older_than=self.people.clock.now() - self.every, limit=self.per_run)
        linked = 0
        for registration_id in due:
            for finder in self.finders:
                if self.people.link_one(finder, registration_id):
                    linked += 1
                    break
        if due:
            log.info("looked up %s registrant(s) again; %s linked", len(due), linked)
        return linked
