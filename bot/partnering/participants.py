"""Participants and their partnering profiles.

A participant is created from the platform's own user record on their first interaction
(Slack's users.info), so names and titles are right without anyone typing them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.errors import NotFound, UserError
from bot.text import clean_input
from storage.db import Database
from storage.models import ORG_TYPES, Participant

ORG_TYPE_LABELS = {
    "pharma": "Pharma",
    "biotech": "Biotech",
    "startup": "Start-up",
    "academia": "Academia",
    "hospital": "Hospital / clinic",
    "investor": "Investor",
    "public": "Public body",
    "other": "Other",
}
LIMITS = {"organisation": 200, "role": 200, "offers": 1000, "seeks": 1000}
MAX_INTERESTS = 15
DELETED_NAME = "Deleted participant"
ID_CACHE_SECONDS = 60.0  # another process (the privacy CLI) may erase someone; a cached ID is trusted this long
MAX_INTEREST_CHARS = 40


@dataclass(frozen=True)
class PersonInfo:
    """What a platform tells us about a user."""

    display_name: str
    title: str = ""
    timezone: str = ""
    is_bot: bool = False
    deleted: bool = False
    locale: str = ""  # the platform's language setting, e.g. Slack's "nb-NO"
    email: str = field(default="", repr=False)  # only to find the person's registration; never stored on the participant


@dataclass(frozen=True)
class Profile:
    id: int
    platform: str
    external_id: str
    name: str
    title: str
    organisation: str
    org_type: str
    role: str
    offers: str
    seeks: str
    interests: tuple[str, ...]
    is_bot: bool = False
    hidden: bool = False
    locale: str = ""

    @property
    def org_type_label(self) -> str:
        return ORG_TYPE_LABELS.get(self.org_type, "")

    @property
    def complete(self) -> bool:
        return bool(self.organisation and self.org_type and (self.offers or self.seeks))

    def headline(self) -> str:
        """ "Maya Lund, Head of BD, Biogenix (Biotech)"."""
        parts = [self.name]
        job = self.role or self.title
        if job:
            parts.append(job)
        if self.organisation:
            parts.append(self.organisation + (f" ({self.org_type_label})" if self.org_type_label else ""))
        return ", ".join(parts)


@dataclass
class ProfileUpdate:
    organisation: str = ""
    org_type: str = ""
    role: str = ""
    offers: str = ""
    seeks: str = ""
    interests: list[str] = field(default_factory=list)


def profile_of(row: Participant) -> Profile:
    return Profile(
        id=row.id,
        platform=row.platform,
        external_id=row.external_id,
        name=DELETED_NAME if row.deleted_at else (row.display_name or row.external_id),
        title=row.title,
        organisation=row.organisation,
        org_type=row.org_type,
        role=row.role,
        offers=row.offers,
        seeks=row.seeks,
        interests=tuple(row.interests or ()),
        is_bot=row.is_bot,
        hidden=bool(row.hidden),
        locale=row.locale or "",
    )


def parse_interests(text: str) -> list[str]:
    """Free tags, comma- or newline-separated, cleaned, de-duplicated, capped."""
    seen: dict[str, str] = {}
    for raw in text.replace("\n", ",").split(","):
        tag = clean_input(raw)[:MAX_INTEREST_CHARS].strip()
        if tag and tag.casefold() not in seen:
            seen[tag.casefold()] = tag
    tags = list(seen.values())
    if len(tags) > MAX_INTERESTS:
        raise UserError(f"Please list at most {MAX_INTERESTS} interests.")
    return tags


class Participants:
    """Finds or creates participants; keeps a small in-process map from platform IDs to rows."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._ids: dict[tuple[str, str], tuple[int, float]] = {}
        self._locales: dict[int, tuple[str, float]] = {}  # participant -> (locale, when read)
        self._lock = threading.Lock()

    def ensure(self, *, platform: str, external_id: str, lookup: Callable[[], PersonInfo | None], now: datetime) -> int:
        """The participant ID for a platform user, creating the row from ``lookup()`` the first time.

        Raises:
            NotFound: the platform does not know the user (deleted, or from another workspace).
        """
        key = (platform, external_id)
        cached = self._ids.get(key)
        if cached is not None and time.monotonic() - cached[1] < ID_CACHE_SECONDS:
            return cached[0]
        with self.db.lookup() as session:
            found = session.scalar(
                select(Participant.id).where(Participant.platform == platform, Participant.external_id == external_id)
            )
        if found is None:
            info = lookup()
            if info is None or info.deleted:
                raise NotFound("I can't find that person in this workspace.")
            try:
                with self.db.transaction(write=True) as session:
                    row = Participant(
                        platform=platform,
                        external_id=external_id,
                        display_name=info.display_name[:200],
                        title=info.title[:200],
                        timezone=info.timezone[:64],
                        is_bot=info.is_bot,
                        locale=(info.locale or "")[:20],
                        created_at=now,
                        updated_at=now,
                        interests=[],
                    )
                    session.add(row)
                    session.flush()
                    found = row.id
            except IntegrityError:  # created by a parallel request a moment ago
                with self.db.transaction() as session:
                    found = session.scalar(
                        select(Participant.id).where(
                            Participant.platform == platform, Participant.external_id == external_id
                        )
                    )
        with self._lock:
            self._ids[key] = (found, time.monotonic())
        return found

    def forget(self, participant_id: int) -> None:
        """Drop a cached platform ID (the person was erased: their next message starts afresh)."""
        with self._lock:
            for key in [k for k, (pid, _) in self._ids.items() if pid == participant_id]:
                del self._ids[key]

    def known(self, *, platform: str, external_id: str) -> int | None:
        key = (platform, external_id)
        cached = self._ids.get(key)
        if cached is not None and time.monotonic() - cached[1] < ID_CACHE_SECONDS:
            return cached[0]
        with self.db.lookup() as session:
            found = session.scalar(
                select(Participant.id).where(Participant.platform == platform, Participant.external_id == external_id)
            )
        if found is not None:
            self._ids[key] = (found, time.monotonic())
        return found

    def locale_of(self, participant_id: int) -> str:
        """The person's platform language setting (kept in memory for a minute: every question reads it, and
        another process may have noted a change, see :meth:`note_locale`)."""
        cached = self._locales.get(participant_id)
        if cached is None or time.monotonic() - cached[1] >= ID_CACHE_SECONDS:
            with self.db.lookup() as session:
                locale = session.scalar(select(Participant.locale).where(Participant.id == participant_id)) or ""
            cached = self._locales[participant_id] = (locale, time.monotonic())
        return cached[0]

    def note_locale(self, participant_id: int, locale: str) -> None:
        """The language the platform says the person uses now (Teams sends it with every activity): stored when it
        changed, so messages sent later (reminders, "Meeting booked") follow a person who switched their client to
        Norwegian. Nothing is written while it stays the same."""
        locale = (locale or "")[:20]
        if not locale or self.locale_of(participant_id) == locale:
            return
        with self.db.transaction(write=True) as session:
            session.execute(update(Participant).where(Participant.id == participant_id).values(locale=locale))
        self._locales[participant_id] = (locale, time.monotonic())

    def get(self, participant_id: int) -> Profile:
        with self.db.transaction() as session:
            row = session.get(Participant, participant_id)
            if row is None:
                raise NotFound("That person is not known here.")
            return profile_of(row)

    def find_by_name(self, *, platform: str, name: str) -> list[Profile]:
        """People on a platform whose name matches (the console's ``/meet Bjørn``)."""
        from bot.text import fold

        wanted = fold(clean_input(name)).strip()
        if not wanted:
            return []
        with self.db.transaction() as session:
            rows = session.scalars(
                select(Participant).where(Participant.platform == platform, Participant.deleted_at.is_(None))
            ).all()
            exact = [profile_of(r) for r in rows if fold(r.display_name) == wanted]
            if exact:
                return exact
            return [profile_of(r) for r in rows if fold(r.display_name).startswith(wanted)]

    def update_profile(self, participant_id: int, update: ProfileUpdate, *, now: datetime) -> Profile:
        """Save a profile after checking every field; nothing is saved when one is wrong.

        Raises:
            UserError: naming the field to fix.
        """
        values = {}
        for name, limit in LIMITS.items():
            value = clean_input_multiline(getattr(update, name), limit * 2)
            if len(value) > limit:
                raise UserError(f"Please keep {name} under {limit} characters.")
            values[name] = value
        if update.org_type and update.org_type not in ORG_TYPES:
            raise UserError(f"Choose an organisation type: {', '.join(ORG_TYPES)}.")
        if not values["organisation"]:
            raise UserError("Please give your organisation.")
        interests = update.interests
        with self.db.transaction(write=True) as session:
            row = session.get(Participant, participant_id)
            if row is None:
                raise NotFound("That person is not known here.")
            sources = dict(row.profile_sources or {})
            for name, value in {**values, "org_type": update.org_type, "interests": interests}.items():
                if getattr(row, name) != value:
                    sources[name] = "chat"  # the person's own words: a re-import of the registration list keeps them
                setattr(row, name, value)
            row.profile_sources = sources
            row.updated_at = now
            session.flush()
            return profile_of(row)


def clean_input_multiline(text: str | None, limit: int) -> str:
    """Like :func:`bot.text.clean_input` but keeps line breaks, for longer profile fields."""
    if not text:
        return ""
    lines = [clean_input(line, limit * 2) for line in text[: limit * 2].splitlines()]
    return "\n".join(line for line in lines if line).strip()[: limit + 1]
