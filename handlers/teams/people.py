"""The Teams side of the registration list: a team's roster as a :class:`bot.people.accounts.AccountFinder`, the
Teams counterpart of handlers/slack/people.py. The roster is read once when the bot is added to a team
(:func:`handlers.teams.events.learn_roster`); a person's email or UPN from the member lookup on first contact is in
:func:`handlers.teams.identity.member_person`; ``report people`` is in :mod:`handlers.teams.commands`.

Addresses are compared lower-cased; the email and the UPN are both tried (in many tenants they are the same).
They are never logged.
"""

from __future__ import annotations

from collections.abc import Collection

from bot.partnering.participants import PersonInfo
from bot.people.accounts import Account
from handlers.teams.identity import PLATFORM


class TeamsRoster:
    """An :class:`~bot.people.accounts.AccountFinder` over a team's members as the connector listed them."""

    platform = PLATFORM

    def __init__(self, members: list) -> None:
        self.by_email: dict[str, object] = {}
        for member in members:
            aad = getattr(member, "aad_object_id", None)
            for address in (getattr(member, "email", None), getattr(member, "user_principal_name", None)):
                if address and aad:
                    self.by_email.setdefault(address.strip().lower(), member)

    def _account(self, member) -> Account:
        info = PersonInfo(display_name=(member.name or "Teams user")[:200], email="")
        return Account(PLATFORM, member.aad_object_id.lower(), info)

    def find_all(self, emails: Collection[str]) -> dict[str, Account]:
        return {email: self._account(self.by_email[email]) for email in emails if email in self.by_email}

    def find_one(self, email: str) -> Account | None:
        member = self.by_email.get(email)
        return self._account(member) if member is not None else None
