"""Files to one person: CSV exports go to the organiser's DM with the bot, headed by a personal-data notice."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.privacy.replies import PERSONAL_DATA_NOTICE


def send_csv(client: WebClient, *, user_id: str, filename: str, title: str, content: str) -> None:
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=channel,
        content=content.encode("utf-8"),
        filename=filename,
        title=title,
        initial_comment=f"Personal data. {PERSONAL_DATA_NOTICE}",
    )
