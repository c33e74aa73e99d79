"""Files and private links to one person: CSV exports (headed by a personal-data notice) and dashboard sign-in
links go to the organiser's DM with the bot."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.privacy.replies import PERSONAL_DATA_NOTICE
from bot.replies import Reply
from handlers.slack import blocks


def send_csv(client: WebClient, *, user_id: str, filename: str, title: str, content: str) -> None:
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=channel,
        content=content.encode("utf-8"),
        filename=filename,
        title=title,
        initial_comment=f"Personal data. {PERSONAL_DATA_NOTICE}",
    )


def send_private(client: WebClient, *, user_id: str, reply: Reply) -> None:
    """A message only this person sees, straight to their DM (not through the outbox: a sign-in link must not be stored)."""
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    client.chat_postMessage(channel=channel, unfurl_links=False, **blocks.message(reply, with_share=False))
