"""/privacy: what PartnerUp keeps about you, who sees it, and the buttons to download, hide or delete it."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.assistant import say
from bot.errors import UserError
from handlers.slack import blocks
from handlers.slack.identity import participant


def privacy_callback(ack: Ack, command: dict, client: WebClient, context: BoltContext) -> None:
    try:
        me = participant(context, client, command["user_id"])
    except UserError as error:
        reply = say(str(error))
    else:
        reply = context["assistant"].privacy_overview(actor=me)
    ack(response_type="ephemeral", **blocks.message(reply, with_share=False))


def register(app: App) -> None:
    app.command("/privacy")(privacy_callback)
