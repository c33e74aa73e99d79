"""The /announce modals: compose → preview with the count → confirm. Problems show next to the field."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.errors import UserError
from bot.text import button_id
from handlers.slack import announce_modals
from handlers.slack.blocks import escape
from handlers.slack.commands.announce import channel_problem
from handlers.slack.identity import participant


def compose_callback(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    a = context["assistant"]
    user_id = body["user"]["id"]
    try:
        me = participant(context, client, user_id)
        draft = announce_modals.draft_from(view, a.partnering.timezone())
        preview, draft_id = a.draft_announcement(
            external_id=user_id, actor=me, draft=draft, channel_problem=channel_problem(client)
        )
    except UserError as error:
        return ack(response_action="errors", errors={announce_modals.field_block(error.field): str(error)[:150]})
    return ack(response_action="update", view=announce_modals.confirm_modal(preview, draft_id=draft_id))


def confirm_callback(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    a = context["assistant"]
    user_id = body["user"]["id"]
    metadata = view.get("private_metadata", "")
    draft_id = button_id(metadata)
    if draft_id is None:
        return ack(response_action="clear")
    try:
        me = participant(context, client, user_id)
        reply = a.confirm_announcement(
            external_id=user_id, actor=me, draft_id=draft_id, channel_problem=channel_problem(client)
        )
    except UserError as error:  # the confirm view has no inputs to attach an error to: say it in the modal
        return ack(response_action="update", view=announce_modals.message_view(str(error)))
    ack()
    client.chat_postMessage(channel=user_id, text=escape(reply.text))
    return None


def register(app: App) -> None:
    app.view(announce_modals.COMPOSE)(compose_callback)
    app.view(announce_modals.CONFIRM)(confirm_callback)
