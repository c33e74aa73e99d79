"""The outbound port: how the core reaches a person, whatever the platform.

Slack implements :class:`Notifier` with its Web API, the console prints, a Teams adapter
will send proactive messages. Meeting notices, reminders and announcements never know which.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from bot.replies import Reply


@dataclass(frozen=True)
class Recipient:
    """A person; with ``channel`` set, the message goes to that channel instead of their DMs."""

    participant_id: int
    platform: str
    external_id: str
    name: str
    channel: str | None = None


@dataclass(frozen=True, eq=False)
class Attachment:
    """A file that goes with a message. ``data``: its bytes, or a function that writes them, called the first time
    :attr:`content` is read: a burst's hundred "Meeting booked" messages are rendered together and go out before
    their calendar files, and writing a calendar file costs about as much as rendering its message."""

    filename: str
    data: bytes | Callable[[], bytes] = field(repr=False)
    title: str
    mimetype: str = "text/calendar"

    @cached_property
    def content(self) -> bytes:
        return self.data() if callable(self.data) else self.data


class DeliveryError(Exception):
    """Sending failed. ``permanent`` ones (the user is gone, cannot be messaged) are not retried."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Notifier(Protocol):
    def send(self, recipient: Recipient, reply: Reply, *, attachments: tuple[Attachment, ...] = ()) -> str:
        """Deliver ``reply`` to ``recipient``; return the platform's reference to the message.

        Raises:
            DeliveryError: the message did not go out.
        """
        ...

    def update(self, recipient: Recipient, ref: str, reply: Reply) -> None:
        """Replace a message sent earlier (``ref`` from :meth:`send`), e.g. a progress report.

        Raises:
            DeliveryError: it could not be updated.
        """
        ...
