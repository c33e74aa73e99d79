"""The Teams side of the registration list: a person's email or user principal name from the connector's member
lookup when they first write (so their registration is found), the team roster read when the bot is added to a
team (everyone on it who registered is linked at once, with an address so the worker can message them), and the
organisers' ``report people``.

Addresses are compared lower-cased; the email and the UPN are both tried (in many tenants they are the same).
They are never logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection

from bot.partnering.participants import PersonInfo
from bot.people.accounts import Account
from bot.replies import Reply

log = logging.getLogger(__name__)
PLATFORM = "teams"
ROSTER_PAGE = 500


def member_person(door, activity) -> PersonInfo:
    """Who wrote, for a first contact: the name from the activity (or the member lookup) and the email or UPN the
    member lookup gives."""
    person = activity.from_
    member = member_record(door, activity)
    name = person.name or (member.name if member else "") or "Teams user"
    return PersonInfo(display_name=name[:200], email=member_email(member))


def member_record(door, activity):
    """The connector's record of the sender (GET /v3/conversations/{id}/members/{userId}); None when it fails."""
    if door.loop is None:
        return None
    api = door.sdk.api.from_service_url(activity.service_url.rstrip("/")).conversations
    lookup = api.get_member_by_id(activity.conversation.id, activity.from_.id)
    try:
        return asyncio.run_coroutine_threadsafe(lookup, door.loop).result(timeout=3)
    except Exception:
        log.info("could not look up a Teams member")
        return None


def member_email(member) -> str:
    if member is None:
        return ""
    return str(getattr(member, "email", None) or getattr(member, "user_principal_name", None) or "").strip().lower()


class TeamsRoster:
    """An :class:`~bot.people.accounts.AccountFinder` over a team's members as the connector listed them."""

    platform = PLATFORM

    def __init__(self, members: list) -> None:
        self.by_email: dict[str, object] = {}
        for member in members:
            for address in (getattr(member, "email", None), getattr(member, "user_principal_name", None)):
                if address and member.aad_object_id:
                    self.by_email.setdefault(address.strip().lower(), member)

    def _account(self, member) -> Account:
        info = PersonInfo(display_name=(member.name or "Teams user")[:200], email="")
        return Account(PLATFORM, member.aad_object_id.lower(), info)

    def find_all(self, emails: Collection[str]) -> dict[str, Account]:
        return {email: self._account(self.by_email[email]) for email in emails if email in self.by_email}

    def find_one(self, email: str) -> Account | None:
        member = self.by_email.get(email)
        return self._account(member) if member is not None else None


async def read_roster(door, activity) -> list:
    """Every member of the team the activity came from, page by page (``pagedMembers``)."""
    team = ((activity.channel_data or None) and getattr(activity.channel_data, "team", None)) or None
    conversation = getattr(team, "id", None) or activity.conversation.id
    api = door.sdk.api.from_service_url(activity.service_url.rstrip("/")).conversations
    members: list = []
    token = None
    while True:
        page = await api.get_paged_members(conversation, ROSTER_PAGE, token)
        members.extend(page.members or [])
        token = page.continuation_token
        if not token:
            return members


async def link_roster(door, activity) -> int:
    """The bot was added to a team: link every registrant on its roster; each gets an address for a 1:1 chat the
    notifier opens when there is something to send. Returns how many were linked."""
    try:
        members = await read_roster(door, activity)
    except Exception as error:
        log.warning("could not read the team roster (%s)", type(error).__name__)
        return 0
    assistant = door.assistant

    def link() -> int:
        linked, _ = assistant.people.link_all(TeamsRoster(members))
        if linked:
            remember_addresses(door, activity, members)
        return linked

    linked = await asyncio.to_thread(link)
    log.info("team roster read: %s member(s), %s registrant(s) linked", len(members), linked)
    return linked


def remember_addresses(door, activity, members: list) -> None:
    a = door.assistant
    tenant = activity.conversation.tenant_id or ""
    for member in members:
        if not member.aad_object_id:
            continue
        pid = a.participants.known(platform=PLATFORM, external_id=member.aad_object_id.lower())
        if pid is None or a.addresses.lookup(pid)[0]:
            continue
        address = {"service_url": activity.service_url.rstrip("/"), "conversation_id": "", "tenant_id": tenant,
                   "user_id": member.id, "aad_object_id": member.aad_object_id, "bot_id": activity.recipient.id}  # fmt: skip
        a.addresses.remember(participant_id=pid, address=address, now=a.clock.now())


def people_report(door, me: int, activity) -> tuple[Reply, tuple[tuple[str, str], ...]]:
    """``report people``: the counts, and the unlinked as a CSV download link (organisers only)."""
    reply, csv_text = door.assistant.people_report(external_id=door.external_id(activity))
    return reply, door.csv_link(me, "people-not-linked.csv", csv_text)
