"""The YAML event file: parsed and validated strictly, before anything touches the database.

Every problem becomes one :class:`EventFileError` that names the field (``sessions[3].start``)
or the line, so an organiser can fix the file without reading a traceback.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SLUG = r"^[a-z0-9][a-z0-9_-]{0,99}$"
HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class EventFileError(Exception):
    """The event file cannot be loaded; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EventInfo(_Strict):
    key: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    timezone: str
    dates: list[date] = Field(min_length=1, max_length=31)
    description: str = ""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
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
    role: str = ""
    url: str = ""


class VenueInfo(_Strict):
    key: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    address: str = ""
    map_url: str = ""
    directions: str = ""
    rooms: list[str] = Field(default_factory=list)

    @field_validator("rooms")
    @classmethod
    def _unique_rooms(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("room names must be unique within a venue")
        return value


class SpeakerInfo(_Strict):
    name: str = Field(min_length=1, max_length=200)
    title: str = ""
    organisation: str = ""


class SessionInfo(_Strict):
    key: str = Field(pattern=SLUG)
    title: str = Field(min_length=1, max_length=300)
    kind: Literal["talk", "panel", "pitch", "partnering", "break", "networking"]
    day: int = Field(ge=1)
    start: str
    end: str
    venue: str
    room: str | None = None
    description: str = ""
    speakers: list[SpeakerInfo] = Field(default_factory=list)

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
        if _parse_hhmm(self.end) <= _parse_hhmm(self.start):
            raise ValueError(f"end {self.end} must be after start {self.start}")
        return self


class EventFile(_Strict):
    event: EventInfo
    organisers: list[OrganiserInfo] = Field(default_factory=list)
    venues: list[VenueInfo] = Field(min_length=1)
    sessions: list[SessionInfo] = Field(default_factory=list)

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
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.event.timezone)

    def session_instants(self, session: SessionInfo) -> tuple[datetime, datetime]:
        """Start and end of a session as aware datetimes in the event's zone."""
        day = self.event.dates[session.day - 1]
        return (
            datetime.combine(day, _parse_hhmm(session.start), tzinfo=self.zone),
            datetime.combine(day, _parse_hhmm(session.end), tzinfo=self.zone),
        )


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
        data = yaml.safe_load(text)
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
