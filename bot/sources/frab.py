"""The frab family's schedule XML and JSON (frab, pentabarf, pretalx, wafer, c3voc): conference, days, rooms,
events with a guid, persons. A session past midnight stays on the day the source puts it on (``day_change``)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from bot.sources.plain import plain_text
from bot.sources.programme import Item, Programme, SourceError, json_document

_DURATION = re.compile(r"^(?:(\d+):)?(\d{1,3}):(\d{2})(?::(\d{2}))?$")


def duration(text: str | None, where: str) -> timedelta:
    """frab's "00:45", "1:30" or "01:30:00"; wafer and c3voc also write "0:01:30:00" (days first)."""
    value = (text or "").strip()
    match = _DURATION.match(value)
    if match is None:
        raise SourceError(f"{where}: duration {value[:20]!r} is not HH:MM")
    days, hours, minutes, seconds = match.groups()
    if seconds is not None and days is None:  # H:MM:SS
        return timedelta(hours=int(hours), minutes=int(minutes))
    return timedelta(days=int(days or 0), hours=int(hours), minutes=int(minutes))


def _instant(date_text: str | None, day: date, start_text: str | None, day_change: time | None, where: str) -> datetime:
    if date_text and date_text.strip():
        try:
            return datetime.fromisoformat(date_text.strip())
        except ValueError:
            raise SourceError(f"{where}: date {date_text.strip()[:40]!r} is not an ISO date-time") from None
    try:
        hours, minutes = (int(part) for part in (start_text or "").strip().split(":")[:2])
        clock = time(hours, minutes)
    except ValueError:
        raise SourceError(f"{where}: start {(start_text or '')[:20]!r} is not HH:MM") from None
    next_day = day_change is not None and clock < day_change
    return datetime.combine(day + timedelta(days=1 if next_day else 0), clock)  # naive: the event's zone


def _day_change(text: str | None) -> time | None:
    try:
        hours, minutes = (int(part) for part in (text or "").strip().split(":")[:2])
        return time(hours, minutes)
    except ValueError:
        return None


def _kind_hint(*parts: str | None) -> str:
    return " ".join(part for part in parts if part)


def read_schedule_xml(data: bytes, source: str) -> Programme:
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise SourceError(f"{source}: the XML declares a DTD or entities; refused (entity expansion and external"
                          " entities are not read)") from None  # fmt: skip
    except SafeET.ParseError as error:
        line, column = error.position
        raise SourceError(f"{source}: line {line}, column {column + 1}: not well-formed XML") from None
    if root.tag != "schedule":
        raise SourceError(f"{source}: <{root.tag[:40]}> at the top: not a frab/pretalx schedule (expected <schedule>)")
    conference = root.find("conference")
    day_change = _day_change(conference.findtext("day_change") if conference is not None else None)
    programme = Programme(
        source=source,
        items=[],
        name=(conference.findtext("title") or "").strip() if conference is not None else "",
        key=(conference.findtext("acronym") or "").strip() if conference is not None else "",
        timezone=(conference.findtext("time_zone_name") or "").strip() if conference is not None else "",
        days=[],
    )
    for day_index, day in enumerate(root.findall("day"), start=1):
        try:
            day_date = date.fromisoformat((day.get("date") or "")[:10])
        except ValueError:
            raise SourceError(f"{source}: <day index={day.get('index', day_index)}>: date {day.get('date', '')[:20]!r}"
                              " is not YYYY-MM-DD") from None  # fmt: skip
        programme.days.append(day_date)
        for room in day.findall("room"):
            for event in room.findall("event"):
                ref = event.get("guid") or event.get("id") or ""
                where = f"<event id={event.get('id') or ref}>"
                start = _instant(event.findtext("date"), day_date, event.findtext("start"), day_change, where)
                persons = [(p.text or "").strip() for p in event.iter("person")]
                title = (event.findtext("title") or "").strip()
                subtitle = (event.findtext("subtitle") or "").strip()
                description = "\n\n".join(
                    t for t in (plain_text(event.findtext("abstract")), plain_text(event.findtext("description"))) if t
                )
                programme.items.append(
                    Item(
                        ref=ref,
                        title=f"{title}: {subtitle}" if subtitle and len(title) + len(subtitle) < 250 else title,
                        start=start,
                        end=start + duration(event.findtext("duration"), f"{source}: {where}"),
                        where=where,
                        room=(event.findtext("room") or room.get("name") or "").strip(),
                        kind_hint=_kind_hint(event.findtext("type"), event.findtext("track")),
                        speakers=[(name, "") for name in persons if name],
                        description=description,
                        day=day_date,
                    )
                )
    return programme


def _person_name(person: object) -> str:
    if isinstance(person, str):
        return person
    if isinstance(person, dict):
        return str(person.get("public_name") or person.get("name") or person.get("full_public_name") or "")
    return ""


def read_schedule_json(data: bytes, source: str) -> Programme:
    document = json_document(data, source)
    schedule = document.get("schedule") if isinstance(document, dict) else None
    conference = schedule.get("conference") if isinstance(schedule, dict) else None
    if isinstance(conference, dict) and isinstance(schedule.get("events"), list):
        return _read_schedule_v2(schedule, conference, source)
    if not isinstance(conference, dict) or not isinstance(conference.get("days"), list):
        raise SourceError(f"{source}: schedule.conference.days is missing: not a frab/pretalx schedule.json")
    day_change = _day_change(conference.get("day_change"))
    programme = Programme(
        source=source,
        items=[],
        name=str(conference.get("title") or ""),
        key=str(conference.get("acronym") or ""),
        timezone=str(conference.get("time_zone_name") or ""),
        days=[],
    )
    for day_index, day in enumerate(conference["days"], start=1):
        try:
            day_date = date.fromisoformat(str(day.get("date"))[:10])
        except (ValueError, AttributeError):
            raise SourceError(f"{source}: schedule.conference.days[{day_index - 1}].date is not YYYY-MM-DD") from None
        programme.days.append(day_date)
        rooms = day.get("rooms") or {}
        for room_name, events in rooms.items() if isinstance(rooms, dict) else ():
            for event in events or []:
                ref = str(event.get("guid") or event.get("id") or "")
                where = f"event id {event.get('id') or ref}"
                start = _instant(event.get("date"), day_date, event.get("start"), day_change, where)
                title = str(event.get("title") or "").strip()
                subtitle = str(event.get("subtitle") or "").strip()
                description = "\n\n".join(
                    t for t in (plain_text(event.get("abstract")), plain_text(event.get("description"))) if t
                )
                programme.items.append(
                    Item(
                        ref=ref,
                        title=f"{title}: {subtitle}" if subtitle and len(title) + len(subtitle) < 250 else title,
                        start=start,
                        end=start + duration(event.get("duration"), f"{source}: {where}"),
                        where=where,
                        room=str(event.get("room") or room_name or "").strip(),
                        kind_hint=_kind_hint(str(event.get("type") or ""), str(event.get("track") or "")),
                        speakers=[(name, "") for name in map(_person_name, event.get("persons") or []) if name],
                        description=description,
                        day=day_date,
                    )
                )
    return programme


def _local(value: object) -> str:
    """Schedule v2 writes some texts per language ({"en": ..., "de": ...}): the English one, else the first."""
    if isinstance(value, dict):
        return str(value.get("en") or next(iter(value.values()), "") or "")
    return "" if value is None else str(value)


def _read_schedule_v2(schedule: dict, conference: dict, source: str) -> Programme:
    """c3voc's schedule v2 (the CCC hub): one flat ``events`` list with start and end instants; a conference
    day is the span from its ``start`` to its ``end`` (past midnight), so a night session stays on its day."""
    days: list[tuple[date, datetime | None, datetime | None]] = []
    for index, day in enumerate(conference.get("days") or []):
        try:
            spans = [datetime.fromisoformat(day[k]) if day.get(k) else None for k in ("start", "end")]
            days.append((date.fromisoformat(str(day.get("date"))[:10]), spans[0], spans[1]))
        except (ValueError, TypeError, AttributeError):
            raise SourceError(f"{source}: schedule.conference.days[{index}]: date, start or end is not ISO") from None
    programme = Programme(source=source, items=[], name=_local(conference.get("title")),
                          key=str(conference.get("acronym") or ""), timezone=str(conference.get("time_zone_name") or ""),
                          days=[d for d, _, _ in days] or None)  # fmt: skip
    for index, event in enumerate(schedule["events"]):
        ref = str(event.get("guid") or event.get("code") or event.get("id") or "")
        where = f"events[{index}] ({ref[:40]})"
        try:
            start = datetime.fromisoformat(str(event.get("start")))
            end = datetime.fromisoformat(str(event["end"])) if event.get("end") else start + duration(
                event.get("duration"), f"{source}: {where}")  # fmt: skip
        except ValueError:
            raise SourceError(f"{source}: {where}: start or end is not an ISO date-time") from None
        day = next((d for d, first, last in days if first and last and first <= start < last), None)
        room = event.get("room")
        track = event.get("track")
        speakers = [str(p.get("name") or p.get("public_name") or "") for p in event.get("participants") or event.get("persons") or []
                    if isinstance(p, dict) and str(p.get("role", "SPEAKER")).upper() in ("SPEAKER", "MODERATOR", "HOST", "")]  # fmt: skip
        title, subtitle = _local(event.get("title")).strip(), _local(event.get("subtitle")).strip()
        programme.items.append(
            Item(
                ref=ref,
                title=f"{title}: {subtitle}" if subtitle and len(title) + len(subtitle) < 250 else title,
                start=start,
                end=end,
                where=where,
                room=_local(room.get("name") if isinstance(room, dict) else room).strip(),
                kind_hint=_kind_hint(
                    str(event.get("type") or ""),
                    _local(track.get("name") or track.get("slug")) if isinstance(track, dict) else _local(track),
                ),
                speakers=[(name, "") for name in speakers if name],
                description="\n\n".join(
                    t for t in (plain_text(_local(event.get("abstract"))), plain_text(_local(event.get("description")))) if t
                ),
                day=day,
            )
        )
    return programme
