"""Platform-neutral replies: what the assistant says, never how a platform draws it.

Adapters (Slack Block Kit, the console, later Teams cards) render these parts. All text
here is plain: renderers escape it for their platform, so nothing a user typed can turn
into a mention, a channel ping or a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Button:
    """A button the user can press; ``action`` names the handler, ``value`` is re-validated on use."""

    label: str
    action: str
    value: str
    style: str | None = None  # "primary" or "danger"


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Note:
    """Small print: counts, hints, where a list continues."""

    text: str


@dataclass(frozen=True)
class Markdown:
    """Text an organiser wrote in the platform's markup (Slack mrkdwn); ``allow_broadcast`` lets
    @channel, @here and @everyone through, which are otherwise neutralised."""

    text: str
    allow_broadcast: bool = False


@dataclass(frozen=True)
class DayHeading:
    day: date
    number: int | None


@dataclass(frozen=True)
class SessionCard:
    """A session (``session`` is a :class:`bot.agenda.catalog.SessionView`)."""

    session: Any
    timezone: str
    show_day: bool = False
    show_description: bool = False
    bookmarked: bool | None = None  # None: no "Remind me" button (shared posts, past sessions)


@dataclass(frozen=True)
class VenueCard:
    """A venue (``venue`` is a :class:`bot.agenda.catalog.VenueView`)."""

    venue: Any
    days: tuple[tuple[int, date], ...] = ()


@dataclass(frozen=True)
class ProfileCard:
    """A person's partnering profile (``profile`` is a :class:`bot.participants.Profile`)."""

    profile: Any


@dataclass(frozen=True)
class MeetingCard:
    """A booked meeting seen by one of its two people (``meeting`` is a :class:`bot.meetings.MeetingView`)."""

    meeting: Any


@dataclass(frozen=True)
class RequestCard:
    """A meeting request (``request`` is a :class:`bot.meetings.RequestView`), from ``side``'s point of view."""

    request: Any
    side: str  # "invitee" or "requester"


@dataclass(frozen=True)
class Actions:
    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class Divider:
    pass


Part = (
    Heading
    | Paragraph
    | Note
    | DayHeading
    | SessionCard
    | VenueCard
    | ProfileCard
    | MeetingCard
    | RequestCard
    | Actions
    | Divider
)


@dataclass(frozen=True)
class HeldMessage:
    """A message queued for the person who pressed (their "Meeting booked"), held back because the door can show
    it in its answer: a Teams Accept's card, in the same chat the message would arrive in. The door says whether
    it did (:meth:`bot.assistant.Assistant.held_message_shown`); if it never says, the message goes out anyway once
    held long enough. ``calendar_token``: the meeting's calendar file, published for the card's Add to calendar."""

    delivery_id: int | None  # None: nothing held (Accept pressed again), only the calendar link to show
    calendar_token: str


@dataclass
class Reply:
    """One answer. ``text`` is the plain summary (notifications, screen readers, fallbacks)."""

    text: str
    parts: list[Part] = field(default_factory=list)
    share: Button | None = None  # how to post the same answer in the channel, when it makes sense
    lang: str = "en"  # the language of the answer's words; renderers write dates in it (see bot.lang)
    held: HeldMessage | None = None  # what the door may show instead of a message to come (Teams' Accept card)

    def add(self, *parts: Part) -> Reply:
        self.parts.extend(parts)
        return self
