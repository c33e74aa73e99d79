"""The registration list in the database: importing it (one transaction, or nothing with ``strict``), linking
registrants to chat accounts, and what organisers and the person see of it.

Sources: every imported profile field is marked ``"import"`` in ``Participant.profile_sources`` when written;
a field the person saves in chat is marked ``"chat"`` (:meth:`bot.partnering.participants.Participants.update_profile`)
and no re-import touches it again. A field the person filled in before any import is theirs too: an import
only writes fields that are empty or still marked ``"import"``. Availability (the blocks column) follows the
same rule by comparison: it is re-applied only while the person's unavailable blocks are exactly what the last
import set.

Email addresses are kept only while a registrant is not linked; linking clears ``Registration.email`` and keeps
the SHA-256, which is all a re-import needs to find the row again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from bot.clock import Clock
from bot.people.accounts import Account, AccountFinder
from bot.people.registrants import (
    ALIASES,
    IMPORTED_FIELDS,
    BlockInfo,
    Problem,
    ReadResult,
    Registrant,
    email_hash,
    read_registrants,
)
from bot.sources.tables import ColumnMatch, Table, parse_column_overrides, read_table
from storage.db import Database
from storage.models import Event, MeetingBlock, Participant, Registration, Unavailability

log = logging.getLogger(__name__)
LINK_CHUNK = 500
UNAVAILABLE_KEY = "unavailable_block_ids"  # in Registration.fields: what the last import set, to notice a change in chat


@dataclass
class ImportSummary:
    """What an import did (or, dry, would do)."""

    source: str
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_opted_out: int = 0
    problems: list[Problem] = field(default_factory=list)
    unrecognised: tuple[str, ...] = ()
    applied: bool = False
    dry_run: bool = False
    strict: bool = False
    linked: int = 0
    not_found: int = 0
    profiles_updated: int = 0

    def lines(self) -> list[str]:
        out = [str(problem) for problem in self.problems]
        if self.unrecognised:
            out.append(
                "Columns not used: "
                + ", ".join(f'"{name}"' for name in self.unrecognised)
                + " (map one with --column field=Header)"
            )
        bad_rows = len({p.row for p in self.problems if p.row})
        verb = "would be" if self.dry_run or not self.applied else ""
        head = f"{self.source}: {self.rows_read} row(s) read, {bad_rows} with problems."
        if any(problem.row == 0 for problem in self.problems):
            head += " Nothing was imported: fix the columns and import again."
        elif self.strict and self.problems and not self.dry_run:
            head += " Nothing was imported (--strict): fix the rows above and import again."
        elif self.dry_run:
            head += " Dry run: nothing was changed."
        out.append(head)
        if self.applied or self.dry_run:
            out.append(
                f"Registrants {verb + ' ' if verb else ''}created: {self.created}, updated: {self.updated}, "
                f"unchanged: {self.unchanged}"
                + (f", skipped (deleted their data): {self.skipped_opted_out}" if self.skipped_opted_out else "")
                + "."
            )
        if self.applied:
            out.append(
                f"Linked to a chat account: {self.linked}; not found yet: {self.not_found}; profiles updated: {self.profiles_updated}."
            )
        return out


@dataclass(frozen=True)
class PeopleCounts:
    linked: int
    unlinked: int
    opted_out: int

    @property
    def total(self) -> int:
        return self.linked + self.unlinked + self.opted_out


@dataclass(frozen=True)
class UnlinkedPerson:
    name: str
    organisation: str
    reason: str


class People:
    """The registration list: import, link, count. Adapters reach it through the assistant's people desk."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    # --- import ---------------------------------------------------------------------------------------

    def blocks(self) -> tuple[list[BlockInfo], list[date]]:
        """The current event's active partnering blocks and its dates (for the blocks column); none without an event."""
        with self.db.transaction() as session:
            event = session.scalars(select(Event).order_by(Event.loaded_at.desc(), Event.id.desc()).limit(1)).first()
            if event is None:
                return [], []
            rows = session.scalars(
                select(MeetingBlock)
                .where(MeetingBlock.event_id == event.id, MeetingBlock.active.is_(True))
                .order_by(MeetingBlock.starts_at)
            ).all()
            return [BlockInfo(b.key, b.starts_at, event.timezone) for b in rows], [
                date.fromisoformat(d) for d in event.dates or []
            ]

    def read(self, table: Table, match: ColumnMatch) -> ReadResult:
        blocks, dates = self.blocks()
        return read_registrants(table, match, blocks=blocks, event_dates=dates)

    def import_table(
        self, table: Table, match: ColumnMatch, *, dry_run: bool = False, strict: bool = False
    ) -> ImportSummary:
        """Check every row, then apply every good one in one transaction (none with ``strict`` when any row has a
        problem; none with ``dry_run``). Linked registrants' profiles follow the imported changes at once."""
        result = self.read(table, match)
        summary = ImportSummary(
            source=table.source, rows_read=result.rows_read, problems=list(result.problems),
            unrecognised=result.unrecognised, dry_run=dry_run, strict=strict,
        )  # fmt: skip
        if any(p.row == 0 for p in result.problems):  # a missing column: nothing can be read
            return summary
        if strict and result.problems:
            return summary
        now = self.clock.now()
        with self.db.transaction(write=not dry_run) as session:
            block_ids = dict(session.execute(select(MeetingBlock.key, MeetingBlock.id)).all())
            existing = _existing(session, [r.email_hash for r in result.registrants])
            for registrant in result.registrants:
                row = existing.get(registrant.email_hash)
                fields = _fields_of(registrant, block_ids)
                if row is None:
                    summary.created += 1
                    if not dry_run:
                        row = Registration(
                            email_hash=registrant.email_hash, email=registrant.email, name=registrant.name, fields=fields,
                            source_file=table.source[:200], source_row=registrant.row, imported_at=now, updated_at=now,
                            status="unlinked",
                        )  # fmt: skip
                        session.add(row)
                    continue
                if row.status == "opted_out":
                    summary.skipped_opted_out += 1
                    continue
                merged = {**fields, UNAVAILABLE_KEY: (row.fields or {}).get(UNAVAILABLE_KEY)}
                if row.name == registrant.name and _same(row.fields, merged):
                    summary.unchanged += 1
                    continue
                summary.updated += 1
                if dry_run:
                    continue
                row.name, row.fields = registrant.name, merged
                row.source_file, row.source_row, row.updated_at = table.source[:200], registrant.row, now
                if row.status == "unlinked":
                    row.email = registrant.email
                elif row.participant_id is not None:
                    participant = session.get(Participant, row.participant_id)
                    if participant is not None and apply_registration(session, participant, row, now=now, first=False):
                        summary.profiles_updated += 1
            summary.applied = not dry_run
        log.info(
            "people import %s: %s read, %s created, %s updated, %s problems%s",
            table.source, summary.rows_read, summary.created, summary.updated, len(summary.problems), " (dry run)" if dry_run else "",
        )  # fmt: skip
        return summary

    def import_file(
        self, path: str | Path, *, columns: Sequence[str] = (), dry_run: bool = False, strict: bool = False,
        finders: Sequence[AccountFinder] = (), sheet: str | None = None,
    ) -> ImportSummary:  # fmt: skip
        """``python -m bot import-people``: read the file, import it, then link everyone not yet linked through
        each configured door (not on a dry run).

        Raises:
            TableError: the file cannot be read at all, or a ``--column`` override is wrong; nothing changed.
        """
        table = read_table(path, sheet=sheet)
        match = ALIASES.match(table.header, parse_column_overrides(columns))
        summary = self.import_table(table, match, dry_run=dry_run, strict=strict)
        if summary.applied:
            for finder in finders:
                linked, _ = self.link_all(finder)
                summary.linked += linked
            summary.not_found = self.counts().unlinked
        return summary

    # --- linking ---------------------------------------------------------------------------------------

    def link_all(self, finder: AccountFinder) -> tuple[int, int]:
        """Find chat accounts for every registrant not yet linked, in one pass over the workspace; returns
        (linked, not found)."""
        now = self.clock.now()
        with self.db.transaction() as session:
            waiting = dict(
                session.execute(
                    select(Registration.email, Registration.id).where(
                        Registration.status == "unlinked", Registration.email.is_not(None)
                    )
                ).all()
            )
        if not waiting:
            return 0, 0
        found = finder.find_all(list(waiting))
        pairs = [(waiting[email], account) for email, account in found.items() if email in waiting]
        linked = self._link_pairs(pairs, now=now)
        with self.db.transaction(write=True) as session:
            missing = [rid for email, rid in waiting.items() if email not in found]
            for start in range(0, len(missing), LINK_CHUNK):
                for row in session.scalars(
                    select(Registration).where(Registration.id.in_(missing[start : start + LINK_CHUNK]))
                ):
                    row.looked_up_at = now
        return linked, len(waiting) - linked

    def link_one(self, finder: AccountFinder, registration_id: int) -> bool:
        """Look one registrant up (a later retry); True when linked."""
        with self.db.transaction() as session:
            row = session.get(Registration, registration_id)
            email = row.email if row is not None and row.status == "unlinked" else None
        if not email:
            return False
        account = finder.find_one(email)
        now = self.clock.now()
        if account is None:
            with self.db.transaction(write=True) as session:
                row = session.get(Registration, registration_id)
                if row is not None:
                    row.looked_up_at = now
            return False
        return self._link_pairs([(registration_id, account)], now=now) == 1

    def due_for_lookup(self, *, older_than: datetime, limit: int) -> list[int]:
        """Unlinked registrants not looked up since ``older_than`` (never looked up first): the worker's retries."""
        with self.db.transaction() as session:
            return list(
                session.scalars(
                    select(Registration.id)
                    .where(Registration.status == "unlinked", Registration.email.is_not(None))
                    .where((Registration.looked_up_at.is_(None)) | (Registration.looked_up_at < older_than))
                    .order_by(Registration.looked_up_at.is_not(None), Registration.looked_up_at, Registration.id)
                    .limit(limit)
                ).all()
            )

    def waiting(self, email: str) -> bool:
        """Whether a registrant with this address is waiting to be linked."""
        with self.db.transaction() as session:
            return (
                session.scalar(
                    select(Registration.id).where(
                        Registration.email_hash == email_hash(email), Registration.status == "unlinked"
                    )
                )
                is not None
            )

    def claim(self, *, participant_id: int, email: str) -> bool:
        """A person just met in chat whose platform gave an email (Slack users.info, a Teams member lookup, a
        ``team_join``): link them to their registration if there is one waiting. True when linked."""
        if not email or "@" not in email:
            return False
        digest = email_hash(email)
        now = self.clock.now()
        with self.db.transaction(write=True) as session:
            row = session.scalar(select(Registration).where(Registration.email_hash == digest))
            if row is None or row.status != "unlinked":
                return False
            participant = session.get(Participant, participant_id)
            if participant is None or participant.deleted_at is not None or _has_registration(session, participant_id):
                return False
            _attach(session, row, participant, now=now)
        log.info("registration %s linked to participant %s on first contact", row.id, participant_id)
        return True

    def _link_pairs(self, pairs: Sequence[tuple[int, Account]], *, now: datetime) -> int:
        linked = 0
        for start in range(0, len(pairs), LINK_CHUNK):
            chunk = pairs[start : start + LINK_CHUNK]
            try:
                linked += self._link_chunk(chunk, now=now)
            except IntegrityError:  # someone wrote to the bot at this moment: one at a time, the rest still link
                for pair in chunk:
                    try:
                        linked += self._link_chunk([pair], now=now)
                    except IntegrityError:
                        log.info("registration %s: its account was linked in parallel", pair[0])
        return linked

    def _link_chunk(self, chunk: Sequence[tuple[int, Account]], *, now: datetime) -> int:
        linked = 0
        with self.db.transaction(write=True) as session:
            registrations = {
                r.id: r for r in session.scalars(select(Registration).where(Registration.id.in_([rid for rid, _ in chunk])))
            }
            by_platform: dict[str, list[str]] = {}
            for _, account in chunk:
                by_platform.setdefault(account.platform, []).append(account.external_id)
            participants: dict[tuple[str, str], Participant] = {}
            for platform, ids in by_platform.items():
                for p in session.scalars(
                    select(Participant).where(Participant.platform == platform, Participant.external_id.in_(ids))
                ):
                    participants[(p.platform, p.external_id)] = p
            taken = set(
                session.scalars(
                    select(Registration.participant_id).where(
                        Registration.participant_id.in_([p.id for p in participants.values()])
                    )
                ).all()
            )
            pairs: list[tuple[Registration, Participant]] = []
            new: list[Participant] = []
            claimed: set[tuple[str, str]] = set()  # one account, one registration (an email and a UPN may both match)
            for registration_id, account in chunk:
                row = registrations.get(registration_id)
                key = (account.platform, account.external_id)
                if row is None or row.status != "unlinked" or key in claimed:
                    continue
                claimed.add(key)
                participant = participants.get((account.platform, account.external_id))
                if participant is None:
                    info = account.info
                    if info.is_bot or info.deleted:
                        continue
                    participant = Participant(
                        platform=account.platform, external_id=account.external_id, display_name=(info.display_name or row.name)[:200],
                        title=info.title[:200], timezone=info.timezone[:64], is_bot=False, locale=(info.locale or "")[:20],
                        created_at=now, updated_at=now, interests=[], profile_sources={},
                    )  # fmt: skip
                    new.append(participant)
                    participants[(account.platform, account.external_id)] = participant
                elif participant.deleted_at is not None or participant.id in taken:
                    continue
                else:
                    taken.add(participant.id)
                pairs.append((row, participant))
            session.add_all(new)
            session.flush()  # one batch of INSERTs for the chunk's new people, their IDs back
            for row, participant in pairs:
                _attach(session, row, participant, now=now)
                linked += 1
        return linked

    # --- organisers -------------------------------------------------------------------------------------

    def counts(self) -> PeopleCounts:
        with self.db.transaction() as session:
            by_status = dict(session.execute(select(Registration.status, func.count()).group_by(Registration.status)).all())
        return PeopleCounts(by_status.get("linked", 0), by_status.get("unlinked", 0), by_status.get("opted_out", 0))

    def unlinked(self, *, platforms: Iterable[str] = ()) -> list[UnlinkedPerson]:
        where = ", ".join(platforms) or "any chat workspace"
        with self.db.transaction() as session:
            rows = session.scalars(
                select(Registration).where(Registration.status == "unlinked").order_by(Registration.name, Registration.id)
            ).all()
            return [
                UnlinkedPerson(
                    name=row.name,
                    organisation=str((row.fields or {}).get("organisation", "")),
                    reason=(
                        f"no account with the registered email in {where} (last looked {row.looked_up_at:%Y-%m-%d %H:%M} UTC)"
                        if row.looked_up_at
                        else "not looked up yet"
                    ),
                )
                for row in rows
            ]

    def check_due(self, participant_id: int) -> bool:
        """True once after a person's profile was filled in from their registration: the caller says so."""
        with self.db.transaction() as session:
            due = session.scalar(select(Participant.profile_check_due).where(Participant.id == participant_id))
        if not due:
            return False
        with self.db.transaction(write=True) as session:
            row = session.get(Participant, participant_id)
            if row is None or not row.profile_check_due:
                return False
            row.profile_check_due = False
        return True

    def delete_all(self) -> int:
        """Remove the whole registration list (an organiser's ``import-people --forget``)."""
        with self.db.transaction(write=True) as session:
            return session.execute(delete(Registration)).rowcount


def _existing(session: OrmSession, hashes: Sequence[str]) -> dict[str, Registration]:
    found: dict[str, Registration] = {}
    for start in range(0, len(hashes), 900):
        for row in session.scalars(select(Registration).where(Registration.email_hash.in_(hashes[start : start + 900]))):
            found[row.email_hash] = row
    return found


def _fields_of(registrant: Registrant, block_ids: dict[str, int]) -> dict:
    fields: dict = dict(registrant.values)
    if registrant.blocks is not None:
        fields["blocks"] = list(registrant.blocks)
        fields["available_block_ids"] = sorted(block_ids[key] for key in registrant.blocks if key in block_ids)
    if registrant.language:
        fields["language"] = registrant.language
    return fields


def _same(old: dict | None, new: dict) -> bool:
    return {k: v for k, v in (old or {}).items() if v is not None} == {k: v for k, v in new.items() if v is not None}


def _has_registration(session: OrmSession, participant_id: int) -> bool:
    return session.scalar(select(Registration.id).where(Registration.participant_id == participant_id)) is not None


def _attach(session: OrmSession, row: Registration, participant: Participant, *, now: datetime) -> None:
    row.participant_id = participant.id
    row.status = "linked"
    row.email = None  # no longer needed: the account is found
    row.linked_at = now
    apply_registration(session, participant, row, now=now, first=True)


def apply_registration(
    session: OrmSession, participant: Participant, row: Registration, *, now: datetime, first: bool
) -> bool:
    """Write the imported values into the person's profile where they are still the import's; True when
    anything changed. On the first link the person is told to check their profile."""
    sources = dict(participant.profile_sources or {})
    fields = row.fields or {}
    changed = False
    for name in IMPORTED_FIELDS:
        if name not in fields:
            continue
        current = getattr(participant, name)
        if sources.get(name) == "chat" or (sources.get(name) != "import" and current not in ("", [], None)):
            continue  # the person's own words
        value = list(fields[name]) if name == "interests" else fields[name]
        if current != value:
            setattr(participant, name, value)
            changed = True
        sources[name] = "import"
    if fields.get("language") and not participant.locale:
        participant.locale = fields["language"]
    if "available_block_ids" in fields:
        changed |= _apply_availability(session, participant, row, fields)
    participant.profile_sources = sources
    if changed:
        participant.updated_at = now
        if first:
            participant.profile_check_due = True
    return changed


def _apply_availability(session: OrmSession, participant: Participant, row: Registration, fields: dict) -> bool:
    active = set(session.scalars(select(MeetingBlock.id).where(MeetingBlock.active.is_(True))).all())
    wanted = active - set(fields["available_block_ids"])
    current = set(
        session.scalars(select(Unavailability.block_id).where(Unavailability.participant_id == participant.id)).all()
    )
    last = fields.get(UNAVAILABLE_KEY)
    if current != set(last or ()) and (last is not None or current):
        return False  # changed in chat since the last import (or set before it): theirs
    if current == wanted:
        row.fields = {**fields, UNAVAILABLE_KEY: sorted(wanted)}
        return False
    for block_id in current - wanted:
        session.execute(
            delete(Unavailability).where(
                Unavailability.participant_id == participant.id, Unavailability.block_id == block_id
            )
        )
    for block_id in sorted(wanted - current):
        session.add(Unavailability(participant_id=participant.id, block_id=block_id))
    row.fields = {**fields, UNAVAILABLE_KEY: sorted(wanted)}
    return True
