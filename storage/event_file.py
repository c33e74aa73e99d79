"""The YAML event file: parsed and validated strictly, before anything touches the database.

Every problem becomes one :class:`EventFileError` that names the field (``sessions[3].start``)
or the line, so an organiser can fix the file without reading a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SLUG = r"^[a-z0-9][a-z0-9_-]{0,99}$"
HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class EventFileError(Exception):
    """The event file cannot be loaded; the message says where and why."""


def _time_of_day(value: object) -> str:
    if isinstance(value, int):  # YAML 1.1 reads an unquoted 09:30 as sexagesimal 570
        value = f"{value // 60:02d}:{value % 60:02d}"
    if not isinstance(value, str) or not HHMM.match(value.strip()):
        raise ValueError('must be a time of day as HH:MM, for example "09:30"')
    return value.strip()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EventInfo(_Strict):
    key: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    timezone: str
    dates: list[date] = Field(min_length=1, max_length=31)
    description: str = Field(default="", max_length=5000)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder, not a zone
            raise ValueError(f"unknown IANA time zone {value!r} (for example Europe/Oslo)") from None
        return value

    @field_validator("dates")
    @classmethod
    def _ordered(cls, value: list[date]) -> list[date]:
        if any(later <= earlier for earlier, later in zip(value, value[1:], strict=False)):
            raise ValueError("dates must be in order, each once")
        return value


class OrganiserInfo(_Strict):
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(default="", max_length=200)
    url: str = Field(default="", max_length=500)


class VenueInfo(_Strict):
    key: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(default="", max_length=300)
    map_url: str = Field(default="", max_length=500)
    directions: str = Field(default="", max_length=5000)
    rooms: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(default_factory=list)

    @field_validator("rooms")
    @classmethod
    def _unique_rooms(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("room names must be unique within a venue")
        return value


class SpeakerInfo(_Strict):
    name: str = Field(min_length=1, max_length=200)
    title: str = Field(default="", max_length=200)
    organisation: str = Field(default="", max_length=300)


class SessionInfo(_Strict):
    key: str = Field(pattern=SLUG)
    title: str = Field(min_length=1, max_length=300)
    kind: Literal["talk", "panel", "pitch", "partnering", "break", "networking"]
    day: int = Field(ge=1)
    start: str
    end: str
    venue: str
    room: str | None = None
    description: str = Field(default="", max_length=10_000)
    speakers: list[SpeakerInfo] = Field(default_factory=list)
    # Imported programmes only: a session the source puts on ``day`` that starts after midnight (frab's
    # day_change), and one that ends after midnight. Both keep the real calendar date of each instant.
    next_day: bool = False
    ends_next_day: bool = False

    @field_validator("start", "end", mode="before")
    @classmethod
    def _hhmm(cls, value: object) -> str:
        if isinstance(value, int):  # YAML 1.1 reads an unquoted 09:30 as sexagesimal 570
            value = f"{value // 60:02d}:{value % 60:02d}"
        if not isinstance(value, str) or not HHMM.match(value.strip()):
            raise ValueError('must be a time of day as HH:MM, for example "09:30"')
        return value.strip()

    @model_validator(mode="after")
    def _end_after_start(self) -> SessionInfo:
        if not self.ends_next_day and _parse_hhmm(self.end) <= _parse_hhmm(self.start):
            raise ValueError(f"end {self.end} must be after start {self.start}")
        return self


class BlockInfo(_Strict):
    """A partnering block: either an agenda session's time and place (``session: key``), or its own."""

    session: str | None = None
    key: str | None = Field(default=None, pattern=SLUG)
    title: str = Field(default="", max_length=300)
    day: int | None = Field(default=None, ge=1)
    start: str | None = None
    end: str | None = None
    venue: str | None = None

    _hhmm = field_validator("start", "end", mode="before")(lambda value: None if value is None else _time_of_day(value))

    @model_validator(mode="after")
    def _complete(self) -> BlockInfo:
        own = (self.key, self.day, self.start, self.end, self.venue)
        if self.session is None and any(value is None for value in own):
            raise ValueError("a block names an agenda `session`, or gives its own key, day, start, end and venue")
        if self.start and self.end and _parse_hhmm(self.end) <= _parse_hhmm(self.start):
            raise ValueError(f"end {self.end} must be after start {self.start}")
        return self


class TablesInfo(_Strict):
    """Meeting tables at a venue: ``count`` numbered ones ("Table 1"...) and/or named ones."""

    venue: str
    room: str | None = Field(default=None, max_length=200)
    prefix: str = Field(default="Table", min_length=1, max_length=50)
    count: int = Field(default=0, ge=0, le=2000)
    names: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list)
    capacity: int = Field(default=2, ge=2, le=50)

    def table_names(self) -> list[str]:
        return [f"{self.prefix} {n}" for n in range(1, self.count + 1)] + list(self.names)


class PartneringInfo(_Strict):
    slot_minutes: int = Field(default=30, ge=5, le=240)
    blocks: list[BlockInfo] = Field(default_factory=list)
    tables: list[TablesInfo] = Field(default_factory=list)
    # How accepted requests get a slot: at once (instant) or in scheduling runs (scheduled); see docs/scheduling.md.
    placement: Literal["instant", "scheduled"] = "instant"
    schedule_at: list[str] = Field(default_factory=list, max_length=50)
    # Organisers' per-person rules, honoured by instant placement and by the optimiser alike.
    max_per_day: int | None = None
    max_in_a_row: int | None = None
    venue_change_slots: int = 0
    # hard: nobody is booked in a block they marked unavailable; soft: only when the count or fairness needs it.
    availability: Literal["hard", "soft"] = "hard"

    @field_validator("max_per_day", "max_in_a_row")
    @classmethod
    def _at_least_one(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError(f"must be at least 1 ({value} would allow no meeting at all); leave it out for no limit")
        if value is not None and value > 1000:
            raise ValueError("must be at most 1000")
        return value

    @field_validator("venue_change_slots")
    @classmethod
    def _free_slots(cls, value: int) -> int:
        if not 0 <= value <= 20:
            raise ValueError("must be a number of free slots from 0 to 20")
        return value

    @field_validator("schedule_at")
    @classmethod
    def _local_times(cls, value: list[str]) -> list[str]:
        for text in value:
            try:
                datetime.strptime(str(text).strip(), "%Y-%m-%d %H:%M")
            except ValueError:
                raise ValueError(f'{str(text)[:40]!r} is not a local date and time like "2026-12-02 18:00"') from None
        return [str(text).strip() for text in value]

    @model_validator(mode="after")
    def _scheduled_times(self) -> PartneringInfo:
        if self.schedule_at and self.placement != "scheduled":
            raise ValueError("schedule_at needs `placement: scheduled` (instant placement has no scheduling runs)")
        return self

    def rules(self) -> dict:
        """What the database keeps of this section for placement (events.partnering_rules)."""
        return {
            "placement": self.placement,
            "schedule_at": list(self.schedule_at),
            "max_per_day": self.max_per_day,
            "max_in_a_row": self.max_in_a_row,
            "venue_change_slots": self.venue_change_slots,
            "availability": self.availability,
        }


class EventFile(_Strict):
    event: EventInfo
    organisers: list[OrganiserInfo] = Field(default_factory=list)
    venues: list[VenueInfo] = Field(min_length=1)
    sessions: list[SessionInfo] = Field(default_factory=list)
    partnering: PartneringInfo = Field(default_factory=PartneringInfo)

    @model_validator(mode="after")
    def _references(self) -> EventFile:
        venues = {}
        for index, venue in enumerate(self.venues):
            if venue.key in venues:
                raise ValueError(f"venues[{index}].key: {venue.key!r} is used twice")
            venues[venue.key] = venue
        seen: set[str] = set()
        for index, session in enumerate(self.sessions):
            where = f"sessions[{index}] ({session.key})"
            if session.key in seen:
                raise ValueError(f"{where}.key: {session.key!r} is used twice")
            seen.add(session.key)
            if session.day > len(self.event.dates):
                raise ValueError(
                    f"{where}.day: day {session.day} does not exist; the event has {len(self.event.dates)} day(s)"
                )
            venue = venues.get(session.venue)
            if venue is None:
                raise ValueError(f"{where}.venue: no venue with key {session.venue!r}")
            if session.room is not None and session.room not in venue.rooms:
                raise ValueError(f"{where}.room: {session.room!r} is not one of the rooms of {venue.key!r}")
        self._check_partnering(venues)
        return self

    def _check_partnering(self, venues: dict[str, VenueInfo]) -> None:
        sessions = {session.key: session for session in self.sessions}
        spans: list[tuple[datetime, datetime, str]] = []
        keys: set[str] = set()
        for index, block in enumerate(self.partnering.blocks):
            where = f"partnering.blocks[{index}]"
            if block.session is not None and block.session not in sessions:
                raise ValueError(f"{where}.session: no agenda session with key {block.session!r}")
            resolved = self.resolve_block(block)
            if resolved.key in keys:
                raise ValueError(f"{where}: block {resolved.key!r} is listed twice")
            keys.add(resolved.key)
            if resolved.day > len(self.event.dates):
                raise ValueError(f"{where}.day: day {resolved.day} does not exist")
            if resolved.venue not in venues:
                raise ValueError(f"{where}.venue: no venue with key {resolved.venue!r}")
            start, end = self.block_instants(resolved)
            if (end - start).total_seconds() < self.partnering.slot_minutes * 60:
                raise ValueError(f"{where}: shorter than one {self.partnering.slot_minutes}-minute slot")
            for other_start, other_end, other in spans:
                if start < other_end and other_start < end:
                    raise ValueError(f"{where}: overlaps block {other!r}; a person can be in one meeting at a time")
            spans.append((start, end, resolved.key))
        seen_tables: set[tuple[str, str]] = set()
        for index, tables in enumerate(self.partnering.tables):
            where = f"partnering.tables[{index}]"
            venue = venues.get(tables.venue)
            if venue is None:
                raise ValueError(f"{where}.venue: no venue with key {tables.venue!r}")
            if tables.room is not None and tables.room not in venue.rooms:
                raise ValueError(f"{where}.room: {tables.room!r} is not one of the rooms of {venue.key!r}")
            if not tables.table_names():
                raise ValueError(f"{where}: give a count or names")
            for name in tables.table_names():
                if (tables.venue, name) in seen_tables:
                    raise ValueError(f"{where}: table {name!r} at {tables.venue!r} is listed twice")
                seen_tables.add((tables.venue, name))

    def resolve_block(self, block: BlockInfo) -> ResolvedBlock:
        """A block with its key, title, day, times and venue filled in from its agenda session."""
        if block.session is not None:
            session = next(s for s in self.sessions if s.key == block.session)
            return ResolvedBlock(
                key=block.key or session.key,
                title=block.title or session.title,
                day=block.day or session.day,
                start=block.start or session.start,
                end=block.end or session.end,
                venue=block.venue or session.venue,
            )
        return ResolvedBlock(block.key, block.title, block.day, block.start, block.end, block.venue)  # type: ignore[arg-type]

    def block_instants(self, block: ResolvedBlock) -> tuple[datetime, datetime]:
        day = self.event.dates[block.day - 1]
        return (
            datetime.combine(day, _parse_hhmm(block.start), tzinfo=self.zone),
            datetime.combine(day, _parse_hhmm(block.end), tzinfo=self.zone),
        )

    def starting_on(self, first_day: date) -> EventFile:
        """The same event moved by whole days so that day 1 is ``first_day`` (rehearsals, the live demo).

        Sessions and partnering blocks name a day number and a local wall-clock time, so moving the dates moves
        every session, block and slot alike and keeps their local times across a DST change.
        """
        delta = timedelta(days=(first_day - self.event.dates[0]).days)
        try:
            event = self.event.model_copy(update={"dates": [day + delta for day in self.event.dates]})
        except OverflowError:
            raise EventFileError(f"starting on {first_day.isoformat()}, the event would end after the year 9999") from None
        return self.model_copy(update={"event": event})

    def last_end(self) -> datetime:
        """When the event is over: the end of its last session, or the end of its last day when it has none."""
        ends = [self.session_instants(session)[1] for session in self.sessions]
        ends += [self.block_instants(self.resolve_block(block))[1] for block in self.partnering.blocks]
        return max(ends, default=datetime.combine(self.event.dates[-1] + timedelta(days=1), time(0), tzinfo=self.zone))

    def day_end(self, day: int) -> datetime | None:
        """The end of the last session of day ``day`` (1-based), or None when that day has none."""
        ends = [self.session_instants(session)[1] for session in self.sessions if session.day == day]
        return max(ends, default=None)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.event.timezone)

    def session_instants(self, session: SessionInfo) -> tuple[datetime, datetime]:
        """Start and end of a session as aware datetimes in the event's zone."""
        day = self.event.dates[session.day - 1] + timedelta(days=1 if session.next_day else 0)
        end_day = day + timedelta(days=1 if session.ends_next_day else 0)
        return (
            datetime.combine(day, _parse_hhmm(session.start), tzinfo=self.zone),
            datetime.combine(end_day, _parse_hhmm(session.end), tzinfo=self.zone),
        )


@dataclass(frozen=True)
class ResolvedBlock:
    key: str
    title: str
    day: int
    start: str
    end: str
    venue: str


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (PyYAML silently keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark, f"found {key!r} twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# Dates stay text for pydantic to parse, so an impossible one ("2026-02-30") is reported by field.
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _location(loc: tuple) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


def parse_event_text(text: str, *, source: str = "event file") -> EventFile:
    """Parse and validate the YAML text of an event file.

    Raises:
        EventFileError: one message naming the line or the field at fault.
    """
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise EventFileError(f"{source}:{line}: not valid YAML ({error.problem})") from None
    except yaml.YAMLError as error:
        raise EventFileError(f"{source}: not valid YAML ({error})") from None
    if not isinstance(data, dict):
        raise EventFileError(f"{source}: expected a mapping with event, venues and sessions at the top")
    try:
        return EventFile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = _location(first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown field (check its spelling)"
        if first["type"] == "missing":
            message = "this field is required"
        count = error.error_count()
        more = f" (and {count - 1} more problem(s))" if count > 1 else ""
        return_message = f"{source}: {where}: {message}{more}" if where else f"{source}: {message}{more}"
        raise EventFileError(return_message) from None


def parse_event_file(path: str | Path) -> EventFile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise EventFileError(f"{path}: cannot read the file ({error.strerror})") from None
    except UnicodeDecodeError:
        raise EventFileError(f"{path}: the file is not UTF-8 text") from None
    return parse_event_text(text, source=str(path))
