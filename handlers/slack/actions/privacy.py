"""The /privacy buttons (also on App Home). Deleting takes two presses: the first shows what will happen."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.assistant import say
from bot.errors import UserError
from bot.privacy import replies as pr
from handlers.slack import blocks
from handlers.slack.identity import participant


def privacy_button_callback(
    ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext
) -> None:
    ack()
    a = context["assistant"]
    try:
        me = participant(context, client, body.get("user", {}).get("id", ""))
    except UserError as error:
        reply = say(str(error))
    else:
        handlers = {
            pr.DOWNLOAD: lambda: a.download_my_data(actor=me),
            pr.HIDE: lambda: a.set_hidden(actor=me, hidden=True),
            pr.SHOW: lambda: a.set_hidden(actor=me, hidden=False),
            pr.DELETE: lambda: a.confirm_delete_my_data(actor=me),
            pr.DELETE_CONFIRM: lambda: a.delete_my_data(actor=me),
            pr.DELETE_CANCEL: lambda: say("Nothing was deleted."),
        }
        reply = handlers[action["action_id"]]()
    if not body.get("response_url"):  # pressed on App Home: no message to answer in, so the answer goes by DM
        client.chat_postMessage(channel=body.get("user", {}).get("id", ""), **blocks.message(reply, with_share=False))
        return
    replace = action["action_id"] in (pr.DELETE_CONFIRM, pr.DELETE_CANCEL)
    respond(replace_original=replace, response_type="ephemeral", **blocks.message(reply, with_share=False))


def register(app: App) -> None:
    for action_id in (pr.DOWNLOAD, pr.HIDE, pr.SHOW, pr.DELETE, pr.DELETE_CONFIRM, pr.DELETE_CANCEL):
        app.action(action_id)(privacy_button_callback)
