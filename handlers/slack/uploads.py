"""Files to one person: CSV exports go to the organiser's DM with the bot."""

from __future__ import annotations

from slack_sdk import WebClient


def send_csv(client: WebClient, *, user_id: str, filename: str, title: str, content: str) -> None:
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    client.files_upload_v2(channel=channel, content=content.encode("utf-8"), filename=filename, title=title)
