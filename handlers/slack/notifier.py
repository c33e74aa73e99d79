"""Direct messages through Slack's Web API: the Slack side of :class:`bot.notify.Notifier`.

The WebClient carries slack-sdk's retry handlers, so 429s wait for Retry-After and
server errors are retried before anything here sees them; what is left is sorted into
permanent failures (the person cannot be messaged: recorded, not retried) and transient ones.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.metadata import Metadata

from bot.delivery.notifier import Attachment, DeliveryError, Recipient
from bot.replies import Reply
from handlers.slack import blocks

log = logging.getLogger(__name__)
PERMANENT_ERRORS = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "account_inactive",
        "cannot_dm_bot",
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "user_disabled",
        "messages_tab_disabled",
        "restricted_action",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "missing_scope",
    }
)


METADATA_EVENT = "partnerup_delivery"  # the message metadata type that tags each outbox message with its row
HISTORY_LOOKBACK = 50  # messages of a DM looked through for one sent just before a sender died


class SlackNotifier:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def send(self, recipient: Recipient, reply: Reply, *, attachments: tuple[Attachment, ...] = ()) -> str:
        """Post to the person's DM (or ``recipient.channel``); returns "<channel>/<ts>" for :meth:`update`."""
        ref = self.send_tagged(recipient, reply, key="")
        self.attach(recipient, ref, attachments)
        return ref

    def send_tagged(self, recipient: Recipient, reply: Reply, *, key: str) -> str:
        """The message alone, carrying ``key`` in its metadata so that :meth:`find_sent` can tell it went out."""
        target = recipient.channel or recipient.external_id
        extra = {"metadata": Metadata(event_type=METADATA_EVENT, event_payload={"key": key})} if key else {}
        with _as_delivery_error():
            response = self.client.chat_postMessage(channel=target, **blocks.message(reply, with_share=False), **extra)
        return f"{response.get('channel') or target}/{response.get('ts', '')}"

    def attach(self, recipient: Recipient, ref: str, attachments: tuple[Attachment, ...]) -> None:
        """Files after their message (``ref`` from :meth:`send_tagged`), in the same conversation."""
        channel = ref.partition("/")[0] or recipient.channel or recipient.external_id
        for attachment in attachments:
            try:  # the message is out: a failed attachment must not make it go again
                self.client.files_upload_v2(
                    channel=channel, content=attachment.content, filename=attachment.filename, title=attachment.title
                )
            except Exception as error:
                code = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
                log.warning("message to %s sent, but attaching %s failed: %s", channel, attachment.filename, code)

    def find_sent(self, recipient: Recipient, key: str) -> str | None:
        """The reference of a message tagged ``key`` among the latest in the person's DM, or None.

        A sender that died between Slack's answer and recording it leaves a row that looks unsent; asking Slack
        before sending it again means nobody gets it twice. Channel posts are not looked up (that needs the
        channels:history scope): the sender only looks where a retry could duplicate a direct message."""
        if recipient.channel:
            return None
        with _as_delivery_error():
            channel = self.client.conversations_open(users=recipient.external_id)["channel"]["id"]
            history = self.client.conversations_history(channel=channel, limit=HISTORY_LOOKBACK, include_all_metadata=True)
        for message in history.get("messages", []):
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == METADATA_EVENT and (metadata.get("event_payload") or {}).get("key") == key:
                return f"{channel}/{message.get('ts', '')}"
        return None

    def update(self, recipient: Recipient, ref: str, reply: Reply) -> None:
        channel, _, ts = ref.partition("/")
        with _as_delivery_error():
            self.client.chat_update(channel=channel, ts=ts, **blocks.message(reply, with_share=False))


@contextmanager
def _as_delivery_error() -> Iterator[None]:
    """Slack's errors as :class:`DeliveryError`, permanent when retrying cannot help."""
    try:
        yield
    except SlackApiError as error:
        code = str(error.response.get("error", "unknown_error"))
        raise DeliveryError(code, permanent=code in PERMANENT_ERRORS) from None
    except DeliveryError:
        raise
    except Exception as error:  # connection trouble after the retry handlers gave up
        raise DeliveryError(f"{type(error).__name__}: {error}", permanent=False) from None
