"""Agenda changes reach the people they affect: one short notice per person per load, listing
every change that concerns them (bookmarked sessions moved, changed, cancelled or back; meetings
whose slot or table is no longer in the programme), never one message per edit."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from bot import timefmt
from bot.delivery.outbox import enqueue_many, message
from bot.replies import Heading, Note, Paragraph, Reply
from storage.event_loader import LoadReport
from storage.models import AgendaSession, Bookmark, Event, Meeting, MeetingSeat, MeetingSlot

KIND = "agenda_changes"


class Follower(Protocol):
    """What must follow an agenda change in the same transaction (reminders), supplied from above so the
    agenda knows no capability that depends on it."""

    def __call__(
        self, session: OrmSession, *, now: datetime, moved: list[int], cancelled: list[int], restored: list[int] = ...
    ) -> None: ...


def _when(start: datetime, end: datetime, zone: str) -> str:
    return f"{timefmt.short_day(timefmt.local(start, zone).date())} {timefmt.span(start, end, zone)}"


def change_lines(session: OrmSession, report: LoadReport, event: Event) -> dict[int, list[str]]:
    """What changed, per session ID, in words."""
    zone = event.timezone
    rows = {row.key: row for row in session.scalars(select(AgendaSession).where(AgendaSession.event_id == event.id))}
    lines: dict[int, list[str]] = defaultdict(list)
    for change in report.changed:
        row = rows[change.key]
        before = change.before
        fields = set(change.fields)
        if {"start", "end"} & fields:
            lines[row.id].append(
                f"{row.title} moves to {_when(row.starts_at, row.ends_at, zone)} (was {_when(before['start'], before['end'], zone)})."
            )
        if {"room", "venue"} & fields:
            place = ", ".join(p for p in (row.room.name if row.room else "", row.venue.name if row.venue else "") if p)
            old = ", ".join(p for p in (before.get("room", ""), before.get("venue", "")) if p)
            lines[row.id].append(f"{row.title} is now in {place}" + (f" (was {old})." if old else "."))
        if "title" in fields:
            lines[row.id].append(f"{before['title']} is now called {row.title}.")
    for key in report.cancelled:
        row = rows[key]
        lines[row.id].append(
            f"{row.title} ({_when(row.starts_at, row.ends_at, zone)}) is cancelled; its reminder is removed."
        )
    for key in report.restored:
        row = rows[key]
        lines[row.id].append(f"{row.title} is back on the agenda: {_when(row.starts_at, row.ends_at, zone)}.")
    return lines


def notify(session: OrmSession, report: LoadReport, *, now: datetime) -> int:
    """Queue one grouped notice per affected person; returns how many people will get one."""
    event = session.get(Event, report.event_id)
    per_session = change_lines(session, report, event)
    per_person: dict[int, list[str]] = defaultdict(list)
    if per_session:
        for person, session_id in session.execute(
            select(Bookmark.participant_id, Bookmark.session_id).where(Bookmark.session_id.in_(list(per_session)))
        ):
            per_person[person].extend(per_session[session_id])
    if report.retired_slot_ids or report.retired_table_ids:
        affected = session.execute(
            select(MeetingSeat.participant_id, MeetingSlot.starts_at, MeetingSlot.ends_at)
            .join(Meeting, Meeting.id == MeetingSeat.meeting_id)
            .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
            .where(
                Meeting.status == "booked",
                MeetingSeat.active.is_(True),
                (Meeting.slot_id.in_(report.retired_slot_ids)) | (Meeting.table_id.in_(report.retired_table_ids)),
            )
        )
        for person, start, end in affected:
            per_person[person].append(
                f"Your meeting on {_when(start, end, event.timezone)} is in a slot or at a table the organisers removed; "
                "it stays booked for now, and they will be in touch."
            )
    rows = [
        message(participant_id=person, kind=KIND, ref_id=report.event_id, payload={"lines": lines}, due_at=now, now=now,
                dedupe_key=f"{KIND}:{report.event_id}:{event.revision}:{person}")
        for person, lines in per_person.items()
    ]  # fmt: skip
    enqueue_many(session, rows)
    return len(rows)


def notice(lines: list[str]) -> Reply:
    """One notice for everything a load changed that concerns this person."""
    text = "Agenda change: " + lines[0] if len(lines) == 1 else f"{len(lines)} agenda changes: " + " ".join(lines)
    reply = Reply(text=text[:3000]).add(Heading("Agenda change" if len(lines) == 1 else "Agenda changes"))
    reply.add(Paragraph("\n".join(f"• {line}" for line in lines)))
    return reply.add(Note("See the latest with /agenda."))
