"""The neutral programme every reader gives, and its mapping onto the validated event model."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from storage.event_file import EventFile

MAX_DAYS = 31
KINDS = ("talk", "panel", "pitch", "partnering", "break", "networking")
# Words in a source's type or track that say which of PartnerUp's kinds a session is; the first match wins.
_KIND_WORDS: list[tuple[str, tuple[str, ...]]] = [
    ("partnering", ("partnering", "one-to-one", "1:1 meeting", "matchmaking", "b2b")),
    ("break", ("break", "pause", "lunch", "lunsj", "coffee", "kaffe", "dinner", "breakfast", "frokost", "middag")),
    ("panel", ("panel", "podium", "discussion", "debatt", "roundtable", "fireside")),
    ("pitch", ("pitch",)),
    ("networking", ("networking", "nettverk", "reception", "mingle", "mingling", "social", "party", "meetup", "meet-up")),
]


class SourceError(Exception):
    """The source cannot be imported; the message names the row, line or element and the field."""


def json_document(data: bytes, source: str) -> object:
    """A JSON export parsed, or one line saying where it is broken (schedule JSON and Indico both come as JSON)."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise SourceError(f"{source}: not UTF-8 text") from None
    except ValueError as error:
        raise SourceError(f"{source}: line {getattr(error, 'lineno', '?')}: not valid JSON") from None


@dataclass
class Item:
    """One session as the source gives it, before it becomes a ``SessionInfo``."""

    ref: str  # the source's stable id: guid, id, UID or a column
    title: str
    start: datetime  # aware, or naive meaning "in the event's zone"
    end: datetime
    where: str  # "event 12", "row 5", "VEVENT 3": for messages
    room: str = ""
    venue: str = ""
    kind_hint: str = ""  # the source's type and track, matched against _KIND_WORDS
    speakers: list[tuple[str, str]] = field(default_factory=list)  # (name, organisation)
    description: str = ""
    day: date | None = None  # the day the source puts it on (frab's day_change); None: its local start date


@dataclass
class Programme:
    source: str  # a label for messages: the file name or URL
    items: list[Item]
    name: str = ""
    key: str = ""
    timezone: str = ""
    description: str = ""
    days: list[date] | None = None  # the source's own days (frab), when it has them
    skipped: list[str] = field(default_factory=list)  # what was left out and why (unscheduled entries)


@dataclass(frozen=True)
class ImportOptions:
    """What the organiser adds on the command line or in chat."""

    timezone: str | None = None  # for sources without one
    fallback_timezone: str | None = None  # the current event's, when neither the source nor --timezone says
    venue: str | None = None  # for rooms the source does not place
    name: str | None = None  # for sources without an event name
    fallback_name: str | None = None  # the file's name, when neither the source nor --name gives one
    partnering_kind: str | None = None  # a type/track that marks partnering sessions
    columns: dict[str, str] = field(default_factory=dict)  # --column title=Session


def slug(text: str, *, limit: int = 100, hashed: bool = True) -> str:
    """A stable key: lower-case ASCII letters, digits and dashes; a hash keeps keys apart that fold alike."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    clean = re.sub(r"[^a-z0-9_-]+", "-", folded).strip("-_")
    if clean and (clean == text or not hashed) and len(clean) <= limit:
        return clean
    digest = hashlib.sha1(text.encode()).hexdigest()[:8]
    return (clean[: limit - 9].strip("-_") + "-" + digest) if clean else "s-" + digest


# When a source says nothing of a session's type (a calendar export, a sheet without a type column), its title
# still often does ("Lunch", "Panel: ...", "Networking reception"). Whole words only, so that "Breaking news" is no
# break, and without the words that titles of talks use for other things ("social", "party", "discussion").
_TITLE_WORDS = re.compile(
    r"\b(?:(?P<break>coffee break|break|lunch|lunsj|coffee|kaffe|dinner|breakfast|frokost|middag)"
    r"|(?P<panel>panel|podium|roundtable|fireside chat)"
    r"|(?P<partnering>partnering|matchmaking|one-to-one meetings)"
    r"|(?P<networking>networking|nettverk|reception|mingling)"
    r"|(?P<pitch>pitches|pitch session))\b",
    re.IGNORECASE,
)


def kind_of(hint: str, partnering_kind: str | None, *, title: str = "") -> str:
    """PartnerUp's kind for a session: from the source's type and track, else (no type given) from its title."""
    if not hint.strip() and title:
        found = _TITLE_WORDS.search(title)
        if found is None or (found.lastgroup == "partnering" and partnering_kind):
            return "talk"  # with --partnering-kind the organiser said which type marks partnering
        return found.lastgroup
    words = hint.lower()
    if partnering_kind and partnering_kind.lower() in words:
        return "partnering"
    for kind, needles in _KIND_WORDS:
        if kind == "partnering" and partnering_kind:
            continue  # the organiser said which type marks partnering
        if any(needle in words for needle in needles):
            return kind
    return "talk"


def _zone(programme: Programme, options: ImportOptions) -> str:
    for candidate, said in ((options.timezone, "--timezone"), (programme.timezone, "the source")):
        if candidate:
            try:
                ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                raise SourceError(f"{programme.source}: unknown time zone {candidate[:60]!r} from {said}"
                                  " (give an IANA zone such as Europe/Oslo)") from None  # fmt: skip
            return candidate
    if options.fallback_timezone:
        return options.fallback_timezone
    raise SourceError(f"{programme.source}: the source names no time zone; give one with --timezone Europe/Oslo")


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split()) if limit <= 300 else text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def to_event_file(programme: Programme, options: ImportOptions) -> EventFile:
    """The validated event model for ``programme``.

    Raises:
        SourceError: one line naming the session (row, element) and the field at fault.
    """
    src = programme.source
    zone_name = _zone(programme, options)
    zone = ZoneInfo(zone_name)
    name = _cut(options.name or programme.name or options.fallback_name or "Imported programme", 200)
    event_key = slug(programme.key or name, hashed=False)
    default_venue = _cut(options.venue or name, 200)
    if not programme.items:
        raise SourceError(f"{src}: the source has no scheduled sessions; nothing was changed")
    placed: list[tuple[Item, datetime, datetime, date]] = []
    refs: dict[str, str] = {}
    for item in programme.items:
        if not item.title.strip():
            raise SourceError(f"{src}: {item.where}: title is empty")
        if not item.ref.strip():
            raise SourceError(f"{src}: {item.where}: has no id")
        if item.ref in refs:
            raise SourceError(f"{src}: {item.where}: id {item.ref[:60]!r} is used twice (also {refs[item.ref]})")
        refs[item.ref] = item.where
        start = (item.start if item.start.tzinfo else item.start.replace(tzinfo=zone)).astimezone(zone)
        end = (item.end if item.end.tzinfo else item.end.replace(tzinfo=zone)).astimezone(zone)
        if end <= start:
            raise SourceError(f"{src}: {item.where}: end {end:%H:%M} is not after start {start:%H:%M}")
        if end - start > timedelta(hours=24):
            raise SourceError(
                f"{src}: {item.where}: lasts more than 24 hours ({start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M})"
            )
        day = item.day or start.date()
        if programme.days is not None and day not in programme.days:
            raise SourceError(f"{src}: {item.where}: date {day.isoformat()} is not one of the event's days")
        if start.date() not in (day, day + timedelta(days=1)):
            raise SourceError(f"{src}: {item.where}: starts {start:%Y-%m-%d %H:%M}, not on its day {day.isoformat()}")
        placed.append((item, start, end, day))
    _no_overlapping_duplicates(src, placed)
    dates = sorted(set(programme.days or []) | {day for _, _, _, day in placed})
    if len(dates) > MAX_DAYS:
        raise SourceError(f"{src}: the programme spans {len(dates)} days ({dates[0]} to {dates[-1]}); at most {MAX_DAYS}")
    day_number = {d: n for n, d in enumerate(dates, start=1)}
    venues: dict[str, dict] = {}
    sessions = []
    keys: set[str] = set()
    for item, start, end, day in placed:
        venue_name = _cut(item.venue or default_venue, 200)
        venue = venues.setdefault(venue_name, {"key": _unique(slug(venue_name, hashed=False), {v["key"] for v in venues.values()}),
                                               "name": venue_name, "rooms": []})  # fmt: skip
        room = _cut(item.room, 200) if item.room.strip() else None
        if room and room not in venue["rooms"]:
            venue["rooms"].append(room)
        key = _unique(slug(item.ref), keys)
        keys.add(key)
        sessions.append(
            {
                "key": key,
                "title": _cut(item.title, 300),
                "kind": kind_of(item.kind_hint, options.partnering_kind, title=item.title),
                "day": day_number[day],
                "start": f"{start:%H:%M}",
                "end": f"{end:%H:%M}",
                "next_day": start.date() != day,
                "ends_next_day": end.date() != start.date(),
                "venue": venue["key"],
                "room": room,
                "description": _cut(item.description, 10_000),
                "speakers": [{"name": _cut(n, 200), "organisation": _cut(o, 300)} for n, o in item.speakers if n.strip()],
            }
        )
    data = {
        "event": {
            "key": event_key,
            "name": name,
            "timezone": zone_name,
            "dates": dates,
            "description": _cut(programme.description, 5000),
        },  # fmt: skip
        "venues": list(venues.values()),
        "sessions": sessions,
    }
    try:
        return EventFile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        loc = first["loc"]
        where = src
        if len(loc) >= 2 and loc[0] == "sessions" and isinstance(loc[1], int):
            where = f"{src}: {placed[loc[1]][0].where}"
            loc = loc[2:]
        field_name = ".".join(str(part) for part in loc) or "value"
        raise SourceError(f"{where}: {field_name}: {first['msg'].removeprefix('Value error, ')}") from None


def _unique(key: str, taken: set[str]) -> str:
    if key not in taken:
        return key
    n = 2
    while f"{key[:95]}-{n}" in taken:
        n += 1
    return f"{key[:95]}-{n}"


def _no_overlapping_duplicates(src: str, placed: list[tuple[Item, datetime, datetime, date]]) -> None:
    """The same title in the same room at overlapping times, under two ids: a row pasted twice."""
    by_place: dict[tuple[str, str, str], list[tuple[datetime, datetime, Item]]] = {}
    for item, start, end, _ in placed:
        by_place.setdefault((item.title.strip().lower(), item.room.strip().lower(), item.venue.strip().lower()), []).append(
            (start, end, item)
        )
    for spans in by_place.values():
        spans.sort(key=lambda span: span[0])
        for (_start_a, end_a, a), (start_b, _end_b, b) in zip(spans, spans[1:], strict=False):
            if start_b < end_a:
                raise SourceError(
                    f"{src}: {b.where}: duplicates {a.where} ({a.title[:60]!r} in the same room at an overlapping time)"
                )
