"""Proactive messages to Teams users: the Teams side of :class:`bot.delivery.notifier.Notifier`.

The worker and the web process are sync where they call a notifier, the SDK is async: sends run on the door's
event loop and this thread waits for them. The stored conversation reference (the person's address) says where
to send; with none stored yet but the person's Teams ID known, the 1:1 conversation is created first. A 403
(MessageWritesBlocked, the app removed) marks the address dead and the delivery fails with that reason; 412, 429
and 5xx were already retried with Retry-After by the SDK client's middleware. Teams cannot take a file in a
proactive message, so a calendar file becomes an "Add to calendar" link to PUBLIC_URL/calendar/<token>.ics.
"""

from __future__ import annotations

import asyncio
import logging

import httpx
from microsoft_teams.api import Account, CreateConversationParams

from bot import lang
from bot.delivery.notifier import Attachment, DeliveryError, Recipient
from bot.partnering.calendar import calendar_link
from bot.replies import Note, Reply
from handlers.teams.app import TeamsDoor
from handlers.teams.render import message

log = logging.getLogger(__name__)
SEND_TIMEOUT = 90.0


class TeamsNotifier:
    needs_address = True  # a person is reached only at a stored conversation reference (see identity.address_of)

    def __init__(self, door: TeamsDoor) -> None:
        self.door = door
        self._scoped: dict[str, object] = {}  # service URL -> the SDK's conversations client bound to it

    def _conversations(self, service_url: str):
        """The conversations client for ``service_url``, made once: the SDK would clone its API client (and reset
        its loggers) for every send that names a service URL, a tenth of a proactive send's time."""
        scoped = self._scoped.get(service_url)
        if scoped is None:
            scoped = self._scoped[service_url] = self.door.sdk.api.from_service_url(service_url).conversations
        return scoped

    def _run(self, coroutine):
        loop = self.door.loop
        if loop is None:
            coroutine.close()
            raise DeliveryError("the Teams door has not started", permanent=False)
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=SEND_TIMEOUT)

    def _address(self, recipient: Recipient) -> dict:
        address, dead = self.door.assistant.addresses.lookup(recipient.participant_id)
        if dead:
            raise DeliveryError(f"cannot message this person in Teams: {dead}", permanent=True)
        if address is None or not address.get("service_url") or not address.get("user_id"):
            raise DeliveryError("no Teams conversation with this person yet (they have not installed the app)",
                                permanent=True)  # fmt: skip
        return address

    def send(self, recipient: Recipient, reply: Reply, *, attachments: tuple[Attachment, ...] = ()) -> str:
        """Send to the person's 1:1 chat; returns the activity ID for :meth:`update`."""
        address = self._address(recipient)
        links = tuple(self._publish(recipient, a) for a in attachments)
        if links:
            reply = Reply(text=reply.text, parts=[_linked(p) for p in reply.parts], share=reply.share, lang=reply.lang)
        return self._guarded(recipient, self._send(recipient, address, message(reply, links=links)))

    def update(self, recipient: Recipient, ref: str, reply: Reply) -> None:
        address = self._address(recipient)
        api = self.door.sdk.api.conversations

        async def put() -> str:
            conversation = recipient.channel or address["conversation_id"]
            await api.update_activity(conversation, ref, message(reply), service_url=address["service_url"])
            return ref

        self._guarded(recipient, put())

    def _publish(self, recipient: Recipient, attachment: Attachment) -> tuple[str, str]:
        a = self.door.assistant
        token = a.published.publish(participant_id=recipient.participant_id, filename=attachment.filename,
                                    mimetype=attachment.mimetype, content=attachment.content, now=a.clock.now())  # fmt: skip
        return calendar_link(self.door.settings.public_url, token)

    async def _send(self, recipient: Recipient, address: dict, activity) -> str:
        conversation = address.get("conversation_id")
        if not conversation and not recipient.channel:
            created = await self._conversations(address["service_url"]).create(
                CreateConversationParams(
                    members=[Account(id=address["user_id"])],
                    tenant_id=address.get("tenant_id") or None,
                    channel_data={"tenant": {"id": address.get("tenant_id", "")}},
                    isGroup=False,
                    bot=Account(id=address.get("bot_id") or f"28:{self.door.app_id}"),
                ),  # fmt: skip
            )
            conversation = created.id
            updated = {**address, "conversation_id": conversation}
            await asyncio.to_thread(self.door.assistant.addresses.remember, participant_id=recipient.participant_id,
                                    address=updated, now=self.door.assistant.clock.now())  # fmt: skip
        if recipient.channel:  # an announcement to a team channel the bot is in, same tenant and region
            conversation = recipient.channel
        sent = await self._conversations(address["service_url"]).create_activity(conversation, activity)
        return sent.id or ""

    def _guarded(self, recipient: Recipient, coroutine) -> str:
        try:
            return self._run(coroutine)
        except httpx.HTTPStatusError as error:
            status = error.response.status_code
            code = _error_code(error.response)
            reason = f"Teams answered {status}{' ' + code if code else ''}"
            if status in (401, 403, 404):
                a = self.door.assistant
                a.addresses.mark_dead(participant_id=recipient.participant_id, reason=reason, now=a.clock.now())
                raise DeliveryError(reason, permanent=True) from None
            raise DeliveryError(reason, permanent=status in (400, 413)) from None
        except DeliveryError:
            raise
        except Exception as error:
            raise DeliveryError(f"{type(error).__name__}: {error}"[:200], permanent=False) from None


# The notes that say a calendar file is attached, in every language, and what Teams says instead.
LINKED_NOTES = {lang.say(code, key): lang.say(code, f"{key}_linked") for code in lang.LANGUAGES
                for key in ("schedule_files", "moved_file", "booked_file")}  # fmt: skip


def _linked(part):
    """Slack attaches the calendar file; here it is the Add to calendar button."""
    if isinstance(part, Note) and part.text in LINKED_NOTES:
        return Note(LINKED_NOTES[part.text])
    return part


def _error_code(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", {}).get("code", ""))[:80]
    except Exception:
        return ""
