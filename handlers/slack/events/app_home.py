"""App Home: the event at a glance, published whenever someone opens the tab."""

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.errors import UserError
from handlers.slack import blocks
from handlers.slack.identity import participant


def app_home_opened_callback(event: dict, client: WebClient, context: BoltContext) -> None:
    if event.get("tab", "home") != "home":
        return
    try:
        me = participant(context, client, event["user"])
    except UserError:
        me = None
    reply = context["assistant"].home(actor=me, external_id=event["user"])
    client.views_publish(user_id=event["user"], view=blocks.home_view(reply))


def register(app: App) -> None:
    app.event("app_home_opened")(app_home_opened_callback)
