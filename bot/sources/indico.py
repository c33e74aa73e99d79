"""Indico's JSON export (``/export/event/<id>.json?detail=contributions``): contributions with their room,
speakers (or primary authors) and affiliation."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.sources.plain import plain_text
from bot.sources.programme import Item, Programme, SourceError, json_document


def _when(value: object, where: str, field: str) -> datetime:
    if not isinstance(value, dict):
        raise SourceError(f"{where}: {field} is missing")
    try:
        moment = datetime.fromisoformat(f"{value['date']}T{value['time']}")
        return moment.replace(tzinfo=ZoneInfo(str(value.get("tz") or "UTC")))
    except (KeyError, ValueError, ZoneInfoNotFoundError):
        raise SourceError(f"{where}: {field} {str(value)[:60]!r} is not a date and time") from None


def _person(person: dict) -> tuple[str, str]:
    name = str(person.get("fullName") or "").strip()
    first, last = str(person.get("first_name") or "").strip(), str(person.get("last_name") or "").strip()
    if first or last:
        name = f"{first} {last}".strip()  # "Peres, Martin" reads as "Martin Peres"
    return name, str(person.get("affiliation") or "").strip()


def read_indico(data: bytes, source: str) -> Programme:
    document = json_document(data, source)
    results = document.get("results") if isinstance(document, dict) else None
    event = results[0] if isinstance(results, list) and results else document
    if not isinstance(event, dict) or not isinstance(event.get("contributions"), list):
        raise SourceError(f"{source}: results[0].contributions is missing: export with ?detail=contributions")
    programme = Programme(
        source=source,
        items=[],
        name=str(event.get("title") or ""),
        key=f"indico-{event.get('id')}" if event.get("id") else "",
        timezone=str(event.get("timezone") or ""),
        description=plain_text(event.get("description")),
    )
    default_room = str(event.get("room") or "").strip()
    venue = str(event.get("location") or "").strip()
    for index, contribution in enumerate(event["contributions"]):
        where = f"contributions[{index}] (id {contribution.get('id') or contribution.get('db_id')})"
        if not contribution.get("startDate"):
            programme.skipped.append(f"{where}: {str(contribution.get('title'))[:60]!r} is not scheduled")
            continue
        start = _when(contribution.get("startDate"), f"{source}: {where}", "startDate")
        if contribution.get("endDate"):
            end = _when(contribution.get("endDate"), f"{source}: {where}", "endDate")
        else:
            end = start + timedelta(minutes=int(contribution.get("duration") or 0))
        people = contribution.get("speakers") or contribution.get("primaryauthors") or []
        track = contribution.get("track") or ""
        kind = contribution.get("type") or ""
        kind = kind.get("name", "") if isinstance(kind, dict) else str(kind)
        programme.items.append(
            Item(
                ref=str(contribution.get("db_id") or contribution.get("id") or ""),
                title=str(contribution.get("title") or ""),
                start=start,
                end=end,
                where=where,
                room=str(contribution.get("room") or default_room or "").strip(),
                venue=str(contribution.get("location") or venue or "").strip(),
                kind_hint=f"{kind} {track} {contribution.get('session') or ''}",
                speakers=[_person(p) for p in people if isinstance(p, dict)],
                description=plain_text(contribution.get("description")),
            )
        )
    return programme
