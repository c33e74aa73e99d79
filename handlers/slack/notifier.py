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


class SlackNotifier:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def send(self, recipient: Recipient, reply: Reply, *, attachments: tuple[Attachment, ...] = ()) -> str:
        """Post to the person's DM (or ``recipient.channel``); returns "<channel>/<ts>" for :meth:`update`."""
        target = recipient.channel or recipient.external_id
        with _as_delivery_error():
            response = self.client.chat_postMessage(channel=target, **blocks.message(reply, with_share=False))
            channel = response.get("channel") or target
        for attachment in attachments:
            try:  # the message is out: a failed attachment must not make it go again
                self.client.files_upload_v2(
                    channel=channel, content=attachment.content, filename=attachment.filename, title=attachment.title
                )
            except Exception as error:
                code = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
                log.warning("message to %s sent, but attaching %s failed: %s", target, attachment.filename, code)
        return f"{channel}/{response.get('ts', '')}"

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
