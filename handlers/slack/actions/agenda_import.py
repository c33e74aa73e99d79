"""The *Apply* button under a ``/session import <url>`` preview."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond

from bot.assistant.imports import EXPIRED, IMPORT_APPLY
from bot.text import button_id
from handlers.slack import blocks


def import_apply_callback(ack: Ack, action: dict, body: dict, respond: Respond, context: BoltContext) -> None:
    ack()
    value = str(action.get("value", ""))
    user = body.get("user", {}).get("id", "")
    pending_id = button_id(value)
    if pending_id is None:
        respond(replace_original=False, response_type="ephemeral", text=EXPIRED)
        return
    reply = context["assistant"].apply_import(external_id=user, pending_id=pending_id)
    respond(replace_original=True, response_type="ephemeral", **blocks.message(reply, with_share=False))


def register(app: App) -> None:
    app.action(IMPORT_APPLY)(import_apply_callback)
