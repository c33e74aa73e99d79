"""Helpers for partnering tests: a notifier that records what each person was sent, people and
profiles made through the assistant's front door, and small event files with few tables."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from icalendar import Calendar

from bot.assistant import Assistant
from bot.delivery.notifier import Attachment, DeliveryError, Recipient
from bot.partnering.participants import PersonInfo, Profile, ProfileUpdate
from bot.replies import Actions, Button, Reply
from bot.text import tokens
from handlers.console.render import render


@dataclass(frozen=True)
class Sent:
    """One direct message as a person received it."""

    name: str
    reply: Reply
    attachments: tuple[Attachment, ...]

    @property
    def text(self) -> str:
        """The summary text and the message as drawn (the console's rendering), to search in."""
        return self.reply.text + "\n" + render(self.reply, with_share=False)[0]

    @property
    def buttons(self) -> list[Button]:
        return [button for part in self.reply.parts if isinstance(part, Actions) for button in part.buttons]


class RecordingNotifier:
    """A :class:`bot.notify.Notifier` that keeps every message, and fails on demand for chosen people."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self._failures: dict[str, bool] = {}
        self._lock = threading.Lock()

    def fail_for(self, name: str, *, permanent: bool) -> None:
        """Raise :class:`DeliveryError` for every message to ``name`` until :meth:`recover`."""
        self._failures[name] = permanent

    def recover(self, name: str) -> None:
        self._failures.pop(name, None)

    def send(self, recipient: Recipient, reply: Reply, *, attachments: tuple[Attachment, ...] = ()) -> str:
        if recipient.name in self._failures:
            permanent = self._failures[recipient.name]
            raise DeliveryError(f"cannot reach {recipient.name}", permanent=permanent)
        with self._lock:
            self.sent.append(Sent(recipient.name, reply, tuple(attachments)))
            return f"rec-{len(self.sent)}"

    def to(self, name: str) -> list[Sent]:
        with self._lock:
            return [message for message in self.sent if message.name == name]

    def texts(self, name: str) -> list[str]:
        return [message.reply.text for message in self.to(name)]

    def clear(self) -> None:
        with self._lock:
            self.sent.clear()


def persona_id(name: str) -> str:
    return "-".join(tokens(name))[:64] or "someone"


def people(assistant: Assistant, *names: str, is_bot: bool = False) -> list[int]:
    """Participants on the console platform, created the way a door does on first contact; their IDs."""
    return [
        assistant.identify(
            platform="console",
            external_id=persona_id(name),
            lookup=lambda name=name: PersonInfo(display_name=name, is_bot=is_bot),
        )
        for name in names
    ]


def give_profile(
    assistant: Assistant,
    participant_id: int,
    *,
    organisation: str,
    org_type: str = "biotech",
    role: str = "",
    offers: str = "",
    seeks: str = "",
    interests: tuple[str, ...] = (),
) -> Profile:
    """Save a partnering profile for someone, at the assistant's clock."""
    update = ProfileUpdate(
        organisation=organisation, org_type=org_type, role=role, offers=offers, seeks=seeks, interests=list(interests)
    )
    return assistant.participants.update_profile(participant_id, update, now=assistant.clock.now())


def calendar_event(attachment: Attachment) -> tuple[Calendar, object]:
    """The parsed calendar file and its one VEVENT."""
    calendar = Calendar.from_ical(attachment.content)
    events = [component for component in calendar.walk() if component.name == "VEVENT"]
    assert len(events) == 1
    return calendar, events[0]


TINY_EVENT = """\
event:
  key: tiny-partnering-2026
  name: Tiny partnering
  timezone: Europe/Oslo
  dates: [2026-12-03]
venues:
  - key: hall
    name: Small Hall
    address: Testveien 1, 0001 Oslo
    rooms: [Lounge]
partnering:
  slot_minutes: 30
  blocks:
    - key: only-block
      title: Partnering
      day: 1
      start: "11:00"
      end: "{end}"
      venue: hall
  tables:
    - venue: hall
      room: Lounge
      count: {tables}
"""


def tiny_event_file(directory: Path, *, tables: int = 1, slots: int = 1) -> Path:
    """An event on 3 Dec 2026 with one block from 11:00 of ``slots`` 30-minute slots and ``tables`` tables."""
    minutes = 11 * 60 + 30 * slots
    path = directory / "tiny-event.yml"
    path.write_text(TINY_EVENT.format(end=f"{minutes // 60:02d}:{minutes % 60:02d}", tables=tables), encoding="utf-8")
    return path
