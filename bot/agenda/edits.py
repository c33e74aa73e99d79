"""Organisers change a session from Slack (move it, change its room, cancel or restore it), with the
same effects as re-loading an edited event file: reminders follow, affected people get one notice.

The event file is not rewritten: re-loading an older file afterwards puts its version back (and
tells people again). Organisers who edit from Slack should update the file too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.agenda import changes as agenda_changes
from bot.agenda.changes import Follower
from bot.audit import record
from bot.clock import Clock
from bot.errors import NotFound, UserError
from storage.db import Database
from storage.event_loader import LoadReport, SessionChange
from storage.models import AgendaSession, Event, Room

USAGE = (
    "Say: /session move <key> to 14:30 [day 2] · /session room <key> <room> · /session cancel <key> · /session restore <key>"
)


def edit_session(db: Database, clock: Clock, *, actor_ref: str, words: list[str], follow: Follower) -> str:
    """Apply one organiser edit; returns what happened, in words. ``follow`` lets what hangs off sessions
    (reminders) follow the change in the same transaction.

    Raises:
        UserError: the command cannot be read, or names no session, room or day the event has.
    """
    if len(words) < 2:
        raise UserError(USAGE)
    action, key, rest = words[0].lower(), words[1], words[2:]
    now = clock.now()
    with db.transaction(write=True) as session:
        event = session.scalars(select(Event).order_by(Event.loaded_at.desc(), Event.id.desc()).limit(1)).first()
        if event is None:
            raise NotFound("No event is loaded yet.")
        row = session.scalars(
            select(AgendaSession).where(AgendaSession.event_id == event.id, AgendaSession.key == key)
        ).first()
        if row is None:
            raise UserError(
                f"No session has the key {key[:60]!r}; the keys are in the event file (and in /report interest)."
            )
        report = LoadReport(event_key=event.key, event_id=event.id, created=False)
        before = {"title": row.title, "start": row.starts_at, "end": row.ends_at,
                  "room": row.room.name if row.room else "", "venue": row.venue.name if row.venue else ""}  # fmt: skip
        if action == "cancel":
            if row.status == "cancelled":
                raise UserError(f"{row.title} is already cancelled.")
            row.status = "cancelled"
            report.cancelled.append(key)
            done = f"Cancelled {row.title}."
        elif action == "restore":
            if row.status != "cancelled":
                raise UserError(f"{row.title} is not cancelled.")
            row.status = "scheduled"
            report.restored.append(key)
            done = f"{row.title} is back on the agenda."
        elif action == "move":
            start = _new_start(event, row, [w for w in rest if w.lower() != "to"])
            length = row.ends_at - row.starts_at
            row.starts_at, row.ends_at = start, start + length
            report.changed.append(SessionChange(key=key, title=row.title, fields=["start", "end"], before=before))
            local = start.astimezone(ZoneInfo(event.timezone))
            done = f"Moved {row.title} to {local:%a} {local.day} {local:%b} {local:%H:%M %Z}."
        elif action == "room":
            name = " ".join(rest).strip()
            room = session.scalars(select(Room).where(Room.venue_id == row.venue_id, Room.name == name)).first()
            if room is None:
                rooms = session.scalars(select(Room.name).where(Room.venue_id == row.venue_id)).all()
                raise UserError(f"The venue has no room {name[:60]!r}; its rooms: {', '.join(rooms)}.")
            row.room_id = room.id
            report.changed.append(SessionChange(key=key, title=row.title, fields=["room"], before=before))
            done = f"{row.title} is now in {room.name}."
        else:
            raise UserError(USAGE)
        event.revision += 1
        session.flush()
        session.expire(row)
        follow(
            session, now=now, moved=[row.id] if action == "move" else [],
            cancelled=[row.id] if action == "cancel" else [], restored=[row.id] if action == "restore" else [],
        )  # fmt: skip
        told = agenda_changes.notify(session, report, now=now)
        record(session, actor=actor_ref, action=f"session {action}", detail=f"{key} {' '.join(rest)}".strip(), now=now)
        who = f"{told} person" if told == 1 else f"{told} people"
        return done + (f" {who} affected will get a notice." if told else " Nobody had bookmarked it.")


def _new_start(event: Event, row: AgendaSession, words: list[str]) -> datetime:
    zone = ZoneInfo(event.timezone)
    if not words or ":" not in words[0]:
        raise UserError("Say the new time, e.g. /session move d1-lunch to 12:45 (add day 2 to change the day).")
    try:
        hours, minutes = (int(p) for p in words[0].split(":"))
        local = row.starts_at.astimezone(zone)
        day = local.date()
        if len(words) >= 3 and words[1].lower() == "day" and words[2].isdigit():
            number = int(words[2])
            if not 1 <= number <= len(event.dates):
                raise UserError(f"There is no day {number}.")
            day = datetime.fromisoformat(event.dates[number - 1]).date()
        start = datetime(day.year, day.month, day.day, hours, minutes, tzinfo=zone)
    except ValueError:
        raise UserError("That time is not one I can read; use HH:MM, e.g. 14:30.") from None
    if (start + (row.ends_at - row.starts_at) - timedelta(seconds=1)).astimezone(zone).date() != day:
        raise UserError("The session would run past midnight; pick an earlier time.")
    return start
