"""The console's way of "sending a direct message": print it, addressed, with its buttons numbered
for the person it went to."""

from __future__ import annotations

from collections.abc import Callable

from bot.delivery.notifier import Attachment, Recipient
from bot.replies import Button, Reply
from handlers.console.render import render


class ConsoleNotifier:
    def __init__(self, write: Callable[[str], None], remember: Callable[[str, list[Button]], None]) -> None:
        self._write = write
        self._remember = remember
        self.count = 0

    def send(self, recipient: Recipient, reply: Reply, *, attachments: tuple[Attachment, ...] = ()) -> str:
        text, buttons = render(reply, with_share=False)
        where = f"📣 Posted in {recipient.channel}" if recipient.channel else f"📨 Direct message to {recipient.name}"
        lines = [f"{where}:", text]
        for attachment in attachments:
            lines.append(f"  📎 {attachment.filename} ({attachment.title}, {len(attachment.content)} bytes)")
            if attachment.mimetype == "application/json":  # a data download: the console has nowhere else to show it
                lines.append(attachment.content.decode("utf-8"))
        if buttons:
            lines.append(f"  (as {recipient.name}, type a number to press a button)")
        self._write("\n".join(lines) + "\n\n")
        self._remember(recipient.external_id, buttons)
        self.count += 1
        return f"console-{self.count}"

    def update(self, recipient: Recipient, ref: str, reply: Reply) -> None:
        text, buttons = render(reply, with_share=False)
        self._write(f"🔄 Updated message to {recipient.name}:\n{text}\n\n")
        self._remember(recipient.external_id, buttons)
