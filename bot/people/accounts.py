"""The port through which the core finds a registrant's chat account by email; each door implements it
(Slack: ``users.list`` once for a whole list, ``users.lookupByEmail`` for one; Teams: the team roster and the
connector's member lookup), as each door implements :class:`bot.delivery.notifier.Notifier`.

The core never calls a platform's API itself, and never logs or shows the addresses it passes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from bot.partnering.participants import PersonInfo


@dataclass(frozen=True)
class Account:
    """A chat account found for an email address: the platform's user ID and what it says about the person."""

    platform: str
    external_id: str
    info: PersonInfo


class AccountFinder(Protocol):
    platform: str

    def find_all(self, emails: Collection[str]) -> dict[str, Account]:
        """Accounts for as many of ``emails`` (lower-cased) as the platform knows, keyed by the lower-cased
        address; one pass over the workspace, not one call per person."""
        ...

    def find_one(self, email: str) -> Account | None:
        """The account for one lower-cased address, or None when the platform has none."""
        ...


class NoAccounts:
    """A finder that finds nobody (no chat door configured): the import still works, linking waits."""

    platform = ""

    def find_all(self, emails: Collection[str]) -> dict[str, Account]:
        return {}

    def find_one(self, email: str) -> Account | None:
        return None
