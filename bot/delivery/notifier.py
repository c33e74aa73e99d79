"""The outbound port: how the core reaches a person, whatever the platform.

Slack implements :class:`Notifier` with its Web API, the console prints, a Teams adapter
will send proactive messages. Meeting notices, reminders and announcements never know which.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    title: str
    mimetype: str = "text/calendar"


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
